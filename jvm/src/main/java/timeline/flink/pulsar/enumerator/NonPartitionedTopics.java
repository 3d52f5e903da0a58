package timeline.flink.pulsar.enumerator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.source.ReaderInfo;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.connector.pulsar.source.enumerator.PulsarSourceEnumState;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.flink.util.function.FunctionWithException;
import timeline.flink.source.ForwardingEnumerator;
import timeline.flink.source.ForwardingEnumeratorContext;

/**
 * Non-partitioned topics read at any parallelism.
 *
 * <p>Connector 4.1.0 gives partition {@code p} of a topic to reader {@code (start + p) % parallelism},
 * where {@code start} is a hash of the topic name and {@code %} is Java's remainder. A non-partitioned
 * topic has {@code p = -1}: when {@code start} is 0 its owner is reader -1, which never registers, and
 * at a parallelism above 1 nothing of the topic is ever read. Here reader -1 stands for the reader
 * {@code Math.floorMod} names, {@code parallelism - 1}: it is registered when that reader is, and its
 * splits go to that reader.
 */
public final class NonPartitionedTopics {
    private static final int MISSING_OWNER = -1;

    private NonPartitionedTopics() {}

    /** The enumerator {@code create} makes with a context that hands reader -1's splits to a real reader. */
    public static SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> enumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context,
            FunctionWithException<SplitEnumeratorContext<PulsarPartitionSplit>,
                    SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState>, Exception> create) throws Exception {
        return new Enumerator(create.apply(new Context(context)), standIn(context));
    }

    private static int standIn(SplitEnumeratorContext<PulsarPartitionSplit> context) {
        return Math.floorMod(MISSING_OWNER, context.currentParallelism());
    }

    /** Reader -1 registered as its stand-in; its splits assigned to the stand-in; its end signal dropped. */
    private static final class Context extends ForwardingEnumeratorContext<PulsarPartitionSplit> {
        Context(SplitEnumeratorContext<PulsarPartitionSplit> context) {
            super(context);
        }

        @Override
        public Map<Integer, ReaderInfo> registeredReaders() {
            Map<Integer, ReaderInfo> readers = new HashMap<>(context.registeredReaders());
            ReaderInfo standIn = readers.get(standIn(context));
            if (standIn != null) {
                readers.put(MISSING_OWNER, standIn);
            }
            return readers;
        }

        @Override
        public void assignSplits(SplitsAssignment<PulsarPartitionSplit> assignment) {
            Map<Integer, List<PulsarPartitionSplit>> splits = new HashMap<>(assignment.assignment());
            List<PulsarPartitionSplit> unowned = splits.remove(MISSING_OWNER);
            if (unowned != null) {
                splits.computeIfAbsent(standIn(context), reader -> new ArrayList<>()).addAll(unowned);
            }
            context.assignSplits(new SplitsAssignment<>(splits));
        }

        @Override
        public void signalNoMoreSplits(int subtask) {
            if (subtask != MISSING_OWNER) {  // the stand-in gets its own signal
                context.signalNoMoreSplits(subtask);
            }
        }
    }

    /** The connector's enumerator, told that reader -1 arrived whenever its stand-in does, just before it. */
    private static final class Enumerator extends ForwardingEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> {
        private final int standIn;

        Enumerator(SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> enumerator, int standIn) {
            super(enumerator);
            this.standIn = standIn;
        }

        @Override
        public void addReader(int subtaskId) {
            if (subtaskId == standIn && standIn != MISSING_OWNER) {
                // first: the stand-in's own arrival may tell it that no more splits will come
                inner.addReader(MISSING_OWNER);
            }
            inner.addReader(subtaskId);
        }
    }
}
