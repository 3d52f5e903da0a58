package timeline.flink.watermark;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Lets event time follow the wall clock once the input has been quiet for a while.
 *
 * <p>Placed after the exchange by entity key, so its input watermark is the least over all source
 * readers. It forwards records and watermarks unchanged. When neither a record nor a higher watermark
 * has arrived for {@code quietMs} of processing time, it emits the watermark {@code W + (now - A)},
 * where {@code W} is the highest input watermark and {@code A} the processing time of the last record
 * or watermark increase: event time moves on as if the watermark had kept pace with the clock since
 * the input stopped. Once it has moved on, an input watermark at or below it is not forwarded, and an
 * event at or below it is late for the operators after this one. Its input's idleness is not
 * forwarded: this operator keeps the time of everything after it.
 */
public final class IdleAdvance<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final long quietMs;
    private final long checkEveryMs;
    private transient long inputWatermark;
    private transient long lastActivity;
    private transient long emitted;

    /** Advances after {@code quietMs} of quiet, checked every {@code checkEveryMs}. */
    public IdleAdvance(long quietMs, long checkEveryMs) {
        this.quietMs = quietMs;
        this.checkEveryMs = checkEveryMs;
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    @Override
    public void open() throws Exception {
        super.open();
        inputWatermark = Long.MIN_VALUE;
        emitted = Long.MIN_VALUE;
        lastActivity = now();
        scheduleCheck();
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        lastActivity = now();
        output.collect(element);
    }

    @Override
    public void processWatermark(Watermark mark) {
        if (mark.getTimestamp() <= inputWatermark) {
            return;
        }
        inputWatermark = mark.getTimestamp();
        lastActivity = now();
        emit(inputWatermark);
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) {
        // not forwarded: the operators after this one take their time from it alone
    }

    @Override
    public void onProcessingTime(long time) {
        long quiet = now() - lastActivity;
        boolean started = inputWatermark != Long.MIN_VALUE;
        if (started && inputWatermark != Long.MAX_VALUE && quiet >= quietMs) {
            emit(inputWatermark + quiet);
        }
        scheduleCheck();
    }

    private void emit(long watermark) {
        if (watermark > emitted) {
            emitted = watermark;
            output.emitWatermark(new Watermark(watermark));
        }
    }

    private void scheduleCheck() {
        getProcessingTimeService().registerTimer(now() + checkEveryMs, this);
    }

    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }
}
