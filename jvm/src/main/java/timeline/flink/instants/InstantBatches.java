package timeline.flink.instants;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Row;
import timeline.flink.decode.JsonStrings;

/**
 * The complete instants of one watermark step gathered into one batch per bucket of entity keys.
 *
 * <p>Placed right after {@link Instants} (chained, same parallelism). Input: {@code Row(key, (key, time,
 * payloads))}, payloads joined by {@link Instants#PAYLOAD_SEPARATOR}. A key's bucket is its key group:
 * the operator after this one is keyed by the bucket's name, a string chosen to fall in that same key
 * group, so the batches stay in this subtask (no exchange) and rescale with the key groups. The number
 * of buckets is the job's maximum parallelism.
 *
 * <p>Output: {@code Row(bucket, batch)}, the batch JSON text {@code [[key,time,[event,...]],...]} with
 * each event's payload verbatim, in arrival order (so each key's instants in time order). The batches
 * are released before every watermark this operator forwards, before every checkpoint barrier and at
 * the end of the input: so the operator after it receives all instants at or below a watermark before
 * the watermark, and a checkpoint never holds one in flight.
 */
public final class InstantBatches extends AbstractStreamOperator<Row>
        implements OneInputStreamOperator<Row, Row>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private transient int maxParallelism;
    private transient String[] bucketNames;  // by key group
    private transient Map<Integer, StringBuilder> batches;  // key group -> open batch

    public InstantBatches() {
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    /** The output type: {@code Row(bucket, batch)}. */
    public static TypeInformation<Row> outputType() {
        return Types.ROW(Types.STRING, Types.STRING);
    }

    @Override
    public void open() throws Exception {
        super.open();
        maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
        bucketNames = bucketNames(maxParallelism);
        batches = new LinkedHashMap<>();
    }

    /** For each key group, the first name {@code b0, b1, ...} whose key {@code Row(name)} falls in it. */
    static String[] bucketNames(int maxParallelism) {
        String[] names = new String[maxParallelism];
        int found = 0;
        for (int i = 0; found < maxParallelism; i++) {
            String name = "b" + i;
            int group = keyGroup(name, maxParallelism);
            if (names[group] == null) {
                names[group] = name;
                found++;
            }
        }
        return names;
    }

    private static int keyGroup(String key, int maxParallelism) {
        return KeyGroupRangeAssignment.assignToKeyGroup(Row.of(key), maxParallelism);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void processElement(StreamRecord<Row> element) {
        Tuple3<String, Long, String> instant = (Tuple3<String, Long, String>) element.getValue().getField(1);
        StringBuilder batch = batches.computeIfAbsent(keyGroup(instant.f0, maxParallelism), group -> new StringBuilder("["));
        if (batch.length() > 1) {
            batch.append(',');
        }
        append(batch, instant);
    }

    /** Appends {@code instant} to a batch's text: {@code [key,time,[event,...]]}. */
    static void append(StringBuilder batch, Tuple3<String, Long, String> instant) {
        JsonStrings.append(batch.append('['), instant.f0).append(',').append((long) instant.f1).append(",[")
                .append(instant.f2.replace(Instants.PAYLOAD_SEPARATOR, ',')).append("]]");
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
        for (Map.Entry<Integer, StringBuilder> batch : batches.entrySet()) {
            String text = batch.getValue().append(']').toString();
            output.collect(new StreamRecord<>(Row.of(bucketNames[batch.getKey()], text)));
        }
        batches.clear();
    }
}
