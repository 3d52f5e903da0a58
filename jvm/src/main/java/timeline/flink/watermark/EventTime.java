package timeline.flink.watermark;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.eventtime.WatermarksWithIdleness;
import org.apache.flink.types.Row;

/** The job's watermark strategy, applied by the source to each split (partition or file) on its own. */
public final class EventTime {
    private EventTime() {}

    /**
     * Event time of decoded rows: the largest time seen in a split minus {@code boundMs} (and 1 ms), the
     * least over the splits of a source reader; a split without events for {@code idleTimeoutMs} (0: never)
     * is idle and holds nothing back. Idleness counts on the reader's {@link ReaderWaitClock}: the source's
     * reader must be an {@link EventTimeReader}.
     */
    public static WatermarkStrategy<Row> strategy(long boundMs, long idleTimeoutMs) {
        Duration bound = Duration.ofMillis(boundMs);
        Duration idleTimeout = Duration.ofMillis(idleTimeoutMs);
        WatermarkStrategy<Row> strategy = idleTimeoutMs <= 0
                ? WatermarkStrategy.forBoundedOutOfOrderness(bound)
                : context -> new WatermarksWithIdleness<>(new BoundedOutOfOrdernessWatermarks<>(bound), idleTimeout,
                        ReaderWaitClock.ofThisThread());
        return strategy.withTimestampAssigner(new DecodedTime());
    }
}
