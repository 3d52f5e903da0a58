package timeline.flink.watermark;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.types.Row;

/** The job's watermark strategy, applied by the source to each split (partition or file) on its own. */
public final class EventTime {
    private EventTime() {}

    /**
     * Event time of decoded rows: the largest time seen in a split minus {@code boundMs} (and 1 ms), the
     * least over the splits of a source reader; a split without events for {@code idleTimeoutMs} (0: never)
     * is idle and holds nothing back.
     */
    public static WatermarkStrategy<Row> strategy(long boundMs, long idleTimeoutMs) {
        WatermarkStrategy<Row> strategy = WatermarkStrategy.<Row>forBoundedOutOfOrderness(Duration.ofMillis(boundMs))
                .withTimestampAssigner(new DecodedTime());
        return idleTimeoutMs > 0 ? strategy.withIdleness(Duration.ofMillis(idleTimeoutMs)) : strategy;
    }
}
