package timeline.flink.watermark;

import org.apache.flink.util.clock.RelativeClock;
import org.apache.flink.util.clock.SystemClock;

/**
 * A clock that runs only while a source reader waits for input: from a poll that found nothing until
 * the next poll.
 *
 * <p>Split idleness counts on it. A split is idle when it has had no event for the idle timeout of
 * this clock, so only when its reader had nothing to emit for that long: while a reader works through
 * a backlog the clock stands still, and a partition whose events come late (a slow fetch, a consumer
 * that starts after the others) holds event time back instead of turning idle and making its own events
 * late. A partition without messages in a live stream still turns idle, since the reader then waits.
 *
 * <p>An {@link EventTimeReader} registers its clock with its task thread ({@link #register}); the watermark
 * generators of its splits, created in the same thread, take it from there ({@link #ofThisThread}). The
 * thread is the only way from the reader to them: Flink's source operator makes each split's generator
 * itself, from the job's serialized {@code WatermarkStrategy}, with a context that offers the operator's
 * metric group and Flink's own input-activity clock (which keeps running while a reader works through a
 * backlog, and stops only for watermark alignment), and the reader cannot emit idleness itself, as it is
 * not called while it waits. Reader and generators live in the one source task thread, so the clock is
 * read in the thread that moves it.
 */
final class ReaderWaitClock implements RelativeClock {
    private static final ThreadLocal<ReaderWaitClock> OF_THREAD = new ThreadLocal<>();

    private long waitedNanos;
    private long waitingSince = -1;  // nanos, -1 while the reader is not waiting

    /** Makes {@code clock} the one of the calling task thread's source reader. */
    static void register(ReaderWaitClock clock) {
        OF_THREAD.set(clock);
    }

    /** The clock the calling task thread's source reader registered. */
    static RelativeClock ofThisThread() {
        ReaderWaitClock clock = OF_THREAD.get();
        if (clock == null) {
            throw new IllegalStateException("the source's reader is not an EventTimeReader: no wait clock to count idleness on");
        }
        return clock;
    }

    /** The reader found nothing to emit: the clock runs until the next {@link #polled}. */
    void foundNothing() {
        if (waitingSince < 0) {
            waitingSince = now();
        }
    }

    /** The reader is being polled again: the clock stops. */
    void polled() {
        if (waitingSince >= 0) {
            waitedNanos += now() - waitingSince;
            waitingSince = -1;
        }
    }

    @Override
    public long relativeTimeNanos() {
        return waitingSince < 0 ? waitedNanos : waitedNanos + now() - waitingSince;
    }

    @Override
    public long relativeTimeMillis() {
        return relativeTimeNanos() / 1_000_000;
    }

    private static long now() {
        return SystemClock.getInstance().relativeTimeNanos();
    }
}
