package timeline.flink.pulsar.enumerator;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.connector.pulsar.source.enumerator.PulsarSourceEnumState;
import org.apache.flink.connector.pulsar.source.enumerator.cursor.StopCursor;
import org.apache.flink.connector.pulsar.source.enumerator.topic.TopicPartition;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.junit.jupiter.api.Test;

class NonPartitionedTopicsTest {
    private static final int PARALLELISM = 3;
    private static final int STAND_IN = PARALLELISM - 1;

    /** What the job's context and the connector's enumerator were told, in order. */
    private final List<String> calls = new ArrayList<>();
    private final Map<Integer, ReaderInfo> registered = new HashMap<>();
    private SplitEnumeratorContext<PulsarPartitionSplit> seenByConnector;

    @SuppressWarnings("unchecked")
    private <I> I recording(Class<I> type, String who) {
        return (I) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "currentParallelism": return PARALLELISM;
                case "registeredReaders": return registered;
                case "assignSplits":
                    Map<Integer, List<PulsarPartitionSplit>> byReader = ((SplitsAssignment<PulsarPartitionSplit>) args[0]).assignment();
                    calls.add(who + ".assignSplits " + new TreeMap<>(byReader).keySet());
                    return null;
                default:
                    calls.add(who + "." + method.getName() + (args == null ? "" : " " + args[0]));
                    return null;
            }
        });
    }

    @SuppressWarnings("unchecked")
    private SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> enumerator() throws Exception {
        SplitEnumeratorContext<PulsarPartitionSplit> context = recording(SplitEnumeratorContext.class, "context");
        return NonPartitionedTopics.enumerator(context, fixed -> {
            seenByConnector = fixed;
            return recording(SplitEnumerator.class, "connector");
        });
    }

    private static PulsarPartitionSplit split() {
        return new PulsarPartitionSplit(new TopicPartition("persistent://public/default/events"), StopCursor.never());
    }

    @Test
    void readerMinusOneArrivesJustBeforeItsStandIn() throws Exception {
        SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> enumerator = enumerator();
        enumerator.addReader(0);
        enumerator.addReader(STAND_IN);
        assertThat(calls).containsExactly("connector.addReader 0", "connector.addReader -1", "connector.addReader 2");
    }

    @Test
    void readerMinusOneIsRegisteredAsItsStandInAndItsSplitsGoThere() throws Exception {
        enumerator();
        ReaderInfo standIn = new ReaderInfo(STAND_IN, "localhost");
        assertThat(seenByConnector.registeredReaders()).doesNotContainKey(-1);
        registered.put(STAND_IN, standIn);
        assertThat(seenByConnector.registeredReaders()).containsEntry(-1, standIn).containsEntry(STAND_IN, standIn);

        Map<Integer, List<PulsarPartitionSplit>> assignment = new HashMap<>();
        assignment.put(-1, List.of(split()));
        assignment.put(0, List.of(split()));
        seenByConnector.assignSplits(new SplitsAssignment<>(assignment));
        seenByConnector.signalNoMoreSplits(-1);
        seenByConnector.signalNoMoreSplits(STAND_IN);
        assertThat(calls).containsExactly("context.assignSplits [0, 2]", "context.signalNoMoreSplits 2");
    }

    @Test
    void everyOtherCallReachesTheConnectorsEnumerator() throws Exception {
        SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> enumerator = enumerator();
        enumerator.snapshotState(7);
        enumerator.close();
        assertThat(calls).containsExactly("connector.snapshotState 7", "connector.close");
    }
}
