package timeline.flink.watermark;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.util.clock.RelativeClock;
import org.junit.jupiter.api.Test;

class EventTimeReaderTest {
    private final List<String> calls = new ArrayList<>();

    /** A connector's reader that answers each poll with the next of {@code statuses}. */
    private final class FakeReader implements SourceReader<String, SourceSplit> {
        private final List<InputStatus> statuses;

        FakeReader(InputStatus... statuses) {
            this.statuses = new ArrayList<>(List.of(statuses));
        }

        @Override public void start() {}
        @Override public InputStatus pollNext(ReaderOutput<String> output) {
            calls.add("inner.pollNext");
            return statuses.remove(0);
        }
        @Override public List<SourceSplit> snapshotState(long checkpointId) { return List.of(); }
        @Override public CompletableFuture<Void> isAvailable() { return CompletableFuture.completedFuture(null); }
        @Override public void addSplits(List<SourceSplit> splits) {
            splits.forEach(split -> calls.add("inner.addSplits " + split.splitId()));
        }
        @Override public void notifyNoMoreSplits() {}
        @Override public void close() {}
    }

    @SuppressWarnings("unchecked")
    private <I> I recording(Class<I> type) {
        return (I) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            calls.add(method.getName() + (args == null ? "" : " " + args[0]));
            return null;
        });
    }

    private static SourceSplit split(String id) {
        return () -> id;
    }

    @Test
    void eachAddedSplitGetsItsOutputAndWithItsWatermarkBeforeTheNextRecord() throws Exception {
        EventTimeReader<String, SourceSplit> reader = EventTimeReader.of(new FakeReader(InputStatus.MORE_AVAILABLE,
                InputStatus.MORE_AVAILABLE));
        reader.addSplits(List.of(split("p0"), split("p1")));
        ReaderOutput<String> output = recording(ReaderOutput.class);
        reader.pollNext(output);
        reader.pollNext(output);
        assertThat(calls).containsExactly("inner.addSplits p0", "inner.addSplits p1", "createOutputForSplit p0",
                "createOutputForSplit p1", "inner.pollNext", "inner.pollNext");
    }

    @Test
    void requestingAllAsksForAnotherSplitWheneverOneComes() {
        SourceReaderContext context = recording(SourceReaderContext.class);
        EventTimeReader<String, SourceSplit> reader = EventTimeReader.requestingAll(new FakeReader(), context);
        reader.addSplits(List.of(split("a.jsonl")));
        reader.addSplits(List.of(split("b.jsonl")));
        assertThat(calls).containsExactly("inner.addSplits a.jsonl", "sendSplitRequest",
                "inner.addSplits b.jsonl", "sendSplitRequest");
    }

    @Test
    void theSplitsWaitClockRunsOnlyFromAPollThatFoundNothingToTheNextPoll() throws Exception {
        EventTimeReader<String, SourceSplit> reader = EventTimeReader.of(new FakeReader(InputStatus.MORE_AVAILABLE,
                InputStatus.NOTHING_AVAILABLE, InputStatus.MORE_AVAILABLE));
        RelativeClock clock = ReaderWaitClock.ofThisThread();  // what the splits' watermark generators count on
        ReaderOutput<String> output = recording(ReaderOutput.class);

        reader.pollNext(output);
        long busy = clock.relativeTimeNanos();
        Thread.sleep(5);
        assertThat(clock.relativeTimeNanos()).isEqualTo(busy);

        reader.pollNext(output);  // nothing: the reader waits
        Thread.sleep(5);
        long waited = clock.relativeTimeNanos();
        assertThat(waited - busy).isGreaterThanOrEqualTo(5_000_000);

        reader.pollNext(output);
        long stopped = clock.relativeTimeNanos();
        Thread.sleep(5);
        assertThat(clock.relativeTimeNanos()).isEqualTo(stopped);
    }
}
