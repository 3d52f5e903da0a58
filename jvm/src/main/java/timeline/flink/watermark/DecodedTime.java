package timeline.flink.watermark;

import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.types.Row;

/** The event time of a decoded row (field 1); a dead letter has none and never moves event time. */
final class DecodedTime implements SerializableTimestampAssigner<Row> {
    private static final long serialVersionUID = 1L;

    @Override
    public long extractTimestamp(Row decoded, long recordTimestamp) {
        Long time = (Long) decoded.getField(1);
        return time == null ? Long.MIN_VALUE : time;
    }
}
