package timeline.flink.backfill;

import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.types.Row;
import timeline.flink.decode.Decoded;
import timeline.flink.decode.FieldRecords;

/**
 * A decoded event ({@link Decoded}, read from a file, its payload its {@link FieldRecords} record of the
 * spec's fields) as {@code (bucket, position, record)}: the bucket of its key (the key's {@link
 * String#hashCode} modulo the number of buckets, the same in every JVM), its position in the input
 * ({@link Decoded#position}) and its record, UTF-8; and the subtask of a bucket (the bucket modulo the
 * number of subtasks). The BATCH job sends each event to the subtask of its bucket, whose {@link
 * BucketFiles} gathers every bucket's events.
 */
public final class KeyBuckets implements MapFunction<Row, Tuple3<Integer, Long, byte[]>>, Partitioner<Integer> {
    private static final long serialVersionUID = 1L;

    private final int buckets;

    public KeyBuckets(int buckets) {
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets must be at least 1: " + buckets);
        }
        this.buckets = buckets;
    }

    /** The output type: {@code (bucket, position, record)}. */
    public static TypeInformation<Tuple3<Integer, Long, byte[]>> outputType() {
        return Types.TUPLE(Types.INT, Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    }

    @Override
    public Tuple3<Integer, Long, byte[]> map(Row event) {
        Long position = Decoded.position(event);
        if (position == null) {
            throw new IllegalStateException("an event without a position in its input: the BATCH job reads files");
        }
        String record = (String) event.getField(2);
        return Tuple3.of(Math.floorMod(event.getField(0).hashCode(), buckets), position,
                record.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int partition(Integer bucket, int subtasks) {
        return bucket % subtasks;
    }
}
