package timeline.flink.instants;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Row;

/**
 * The instants of whole keys gathered into batches of bounded size, for the BATCH runtime mode.
 *
 * <p>Placed right after {@link Instants} (chained, same parallelism). In BATCH mode its input arrives
 * sorted by key, and each key's instants leave {@code Instants} together, in time order, when its key
 * ends: so a batch closed where the key changes holds complete keys. Input: {@code Row(key, (key, time,
 * payloads))}, payloads joined by {@link Instants#PAYLOAD_SEPARATOR}. Output: the batch, JSON text
 * {@code [[key,time,[event,...]],...]} (as {@link InstantBatches} writes one), released at the first
 * instant of another key once it holds {@code maxChars} characters or more, and before every watermark,
 * every checkpoint barrier and at the end of the input. A batch holds at most {@code maxChars} characters
 * plus one key's instants.
 */
public final class KeyBatches extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<Row, String>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final int maxChars;
    private transient StringBuilder batch;
    private transient String lastKey;

    public KeyBatches(int maxChars) {
        this.maxChars = maxChars;
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    /** The output type: the batch's text. */
    public static TypeInformation<String> outputType() {
        return Types.STRING;
    }

    @Override
    public void open() throws Exception {
        super.open();
        batch = new StringBuilder();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void processElement(StreamRecord<Row> element) {
        Tuple3<String, Long, String> instant = (Tuple3<String, Long, String>) element.getValue().getField(1);
        if (batch.length() >= maxChars && !instant.f0.equals(lastKey)) {
            release();
        }
        lastKey = instant.f0;
        InstantBatches.append(batch.append(batch.length() == 0 ? '[' : ','), instant);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        release();
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) {
        release();
    }

    @Override
    public void endInput() {
        release();
    }

    private void release() {
        if (batch.length() > 0) {
            output.collect(new StreamRecord<>(batch.append(']').toString()));
            batch.setLength(0);
        }
    }
}
