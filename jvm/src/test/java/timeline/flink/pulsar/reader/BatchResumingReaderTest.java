package timeline.flink.pulsar.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.connector.pulsar.source.enumerator.cursor.StopCursor;
import org.apache.flink.connector.pulsar.source.enumerator.topic.TopicPartition;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.junit.jupiter.api.Test;

class BatchResumingReaderTest {
    private static final TopicPartition PARTITION = new TopicPartition("persistent://public/default/events", 2);

    /** A connector reader that keeps the splits it is given and checkpoints what it is told to. */
    private static final class FakeConnectorReader implements SourceReader<String, PulsarPartitionSplit> {
        final List<PulsarPartitionSplit> added = new ArrayList<>();
        List<PulsarPartitionSplit> state = new ArrayList<>();

        @Override public void start() {}
        @Override public InputStatus pollNext(ReaderOutput<String> output) { return InputStatus.NOTHING_AVAILABLE; }
        @Override public List<PulsarPartitionSplit> snapshotState(long checkpointId) { return state; }
        @Override public CompletableFuture<Void> isAvailable() { return new CompletableFuture<>(); }
        @Override public void addSplits(List<PulsarPartitionSplit> splits) { added.addAll(splits); }
        @Override public void notifyNoMoreSplits() {}
        @Override public void close() {}
    }

    private static PulsarPartitionSplit split(MessageId latestConsumed) {
        return new PulsarPartitionSplit(PARTITION, StopCursor.never(), latestConsumed, null);
    }

    @Test
    void aSplitCheckpointedInsideABatchResumesAtTheStartOfItsEntry() {
        FakeConnectorReader connector = new FakeConnectorReader();
        ResumePoints points = new ResumePoints();
        BatchMessageIdImpl checkpointed = new BatchMessageIdImpl(3, 7, 2, 4);
        new BatchResumingReader<>(connector, points).addSplits(List.of(split(checkpointed)));

        assertThat(connector.added).hasSize(1);
        PulsarPartitionSplit handedOver = connector.added.get(0);
        assertThat(handedOver.getLatestConsumedId()).isEqualTo(new MessageIdImpl(3, 6, 2));
        assertThat(handedOver.getPartition()).isEqualTo(PARTITION);
        assertThat(points.of(PARTITION.getFullTopicName())).isEqualTo(checkpointed);
    }

    @Test
    void aSplitCheckpointedAtAWholeEntryOrNotYetReadIsHandedOverUnchanged() {
        FakeConnectorReader connector = new FakeConnectorReader();
        ResumePoints points = new ResumePoints();
        PulsarPartitionSplit whole = split(new MessageIdImpl(3, 7, 2));
        PulsarPartitionSplit fresh = split(null);
        new BatchResumingReader<>(connector, points).addSplits(List.of(whole, fresh));
        assertThat(connector.added).containsExactly(whole, fresh);
        assertThat(points.of(PARTITION.getFullTopicName())).isNull();
    }

    @Test
    void aCheckpointKeepsTheRestoredPositionUntilTheReaderHasPassedIt() {
        FakeConnectorReader connector = new FakeConnectorReader();
        ResumePoints points = new ResumePoints();
        BatchResumingReader<String> reader = new BatchResumingReader<>(connector, points);
        BatchMessageIdImpl checkpointed = new BatchMessageIdImpl(3, 7, 2, 4);
        reader.addSplits(List.of(split(checkpointed)));

        connector.state = List.of(split(new BatchMessageIdImpl(3, 7, 2, 1)));  // inside the dropped messages
        assertThat(reader.snapshotState(1)).extracting(PulsarPartitionSplit::getLatestConsumedId).containsExactly(checkpointed);

        points.alreadyEmitted(FakeMessages.at(PARTITION.getFullTopicName(), new BatchMessageIdImpl(3, 7, 2, 5)));
        MessageId read = new BatchMessageIdImpl(3, 7, 2, 5);
        connector.state = List.of(split(read));
        assertThat(reader.snapshotState(2)).extracting(PulsarPartitionSplit::getLatestConsumedId).containsExactly(read);
    }
}
