package timeline.flink.pulsar.reader;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.pulsar.source.config.SourceConfiguration;
import org.apache.flink.connector.pulsar.source.reader.deserializer.PulsarDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.pulsar.client.api.Message;

/** Deserializes with {@code inner}, dropping the messages that {@link ResumePoints} says were emitted already. */
public final class ResumingDeserializationSchema<T> implements PulsarDeserializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final PulsarDeserializationSchema<T> inner;
    private final ResumePoints points;

    public ResumingDeserializationSchema(PulsarDeserializationSchema<T> inner, ResumePoints points) {
        this.inner = inner;
        this.points = points;
    }

    @Override
    public void open(PulsarInitializationContext context, SourceConfiguration configuration) throws Exception {
        inner.open(context, configuration);
    }

    @Override
    public void deserialize(Message<byte[]> message, Collector<T> out) throws Exception {
        if (!points.alreadyEmitted(message)) {
            inner.deserialize(message, out);
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return inner.getProducedType();
    }
}
