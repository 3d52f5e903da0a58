package timeline.flink.decode;

import java.io.IOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/** Pulsar payloads to {@link Decoded} rows at the clock of decoding; a blank payload emits nothing. */
public final class DecodingSchema implements DeserializationSchema<Row> {
    private static final long serialVersionUID = 1L;

    private final EventDecoder decoder;

    public DecodingSchema(String keyField, String timeField, long maxFutureMs) {
        this.decoder = new EventDecoder(keyField, timeField, maxFutureMs);
    }

    @Override
    public Row deserialize(byte[] message) {
        return decoder.decode(message, System.currentTimeMillis());
    }

    @Override
    public void deserialize(byte[] message, Collector<Row> out) throws IOException {
        Row decoded = deserialize(message);
        if (decoded != null) {
            out.collect(decoded);
        }
    }

    @Override
    public boolean isEndOfStream(Row nextElement) {
        return false;
    }

    @Override
    public TypeInformation<Row> getProducedType() {
        return Decoded.type();
    }
}
