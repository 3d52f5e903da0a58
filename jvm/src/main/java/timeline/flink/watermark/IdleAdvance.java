package timeline.flink.watermark;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Lets event time follow the clock while the whole input is quiet.
 *
 * <p>Placed after the exchange by entity key, where the input is idle when every source reader is:
 * its splits have had no event for the idle timeout by the sources' input-activity clock, which stands
 * still while the job is backpressured, so a slow job never looks idle. While the input is idle and no
 * record has arrived here for the idle timeout either, this operator emits the watermark
 * {@code W + (now - lastRecord)}, where {@code W} is the highest input watermark: event time moves on
 * as if the watermark had kept pace with the clock since the last event. Input watermarks above the
 * emitted one pass unchanged; once it has moved on, an event at or below it is late for the operators
 * after this one. The input's idleness is not forwarded: this operator keeps the time of everything
 * after it.
 */
public final class IdleAdvance<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final long idleTimeoutMs;
    private final long checkEveryMs;
    private transient long inputWatermark;
    private transient boolean inputIdle;
    private transient long lastRecord;  // processing time
    private transient long emitted;

    /** For sources whose splits turn idle after {@code idleTimeoutMs}; looks at the clock every {@code checkEveryMs}. */
    public IdleAdvance(long idleTimeoutMs, long checkEveryMs) {
        this.idleTimeoutMs = idleTimeoutMs;
        this.checkEveryMs = checkEveryMs;
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    @Override
    public void open() throws Exception {
        super.open();
        inputWatermark = Long.MIN_VALUE;
        emitted = Long.MIN_VALUE;
        lastRecord = now();
        scheduleCheck();
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        lastRecord = now();
        output.collect(element);
    }

    @Override
    public void processWatermark(Watermark mark) {
        inputWatermark = Math.max(inputWatermark, mark.getTimestamp());
        emit(mark.getTimestamp());
    }

    @Override
    public void processWatermarkStatus(WatermarkStatus status) {
        inputIdle = status.isIdle();
    }

    @Override
    public void onProcessingTime(long time) {
        long quiet = now() - lastRecord;
        boolean started = inputWatermark != Long.MIN_VALUE && inputWatermark != Long.MAX_VALUE;
        if (inputIdle && started && quiet >= idleTimeoutMs) {
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
