package timeline.flink.pulsar;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The connector's source reader, given restored splits that resume at the start of the checkpointed
 * batched entry, and checkpointing the restored position until it has read past it.
 *
 * <p>The connector seeks a restored split to the entry after its checkpointed message. For a message
 * inside a batch this reader hands the split over as if the message before the entry had been the last
 * one read, so the whole entry comes again; the schema drops its messages up to the checkpointed one
 * ({@link ResumePoints}). Until the first later message arrives, a checkpoint keeps the restored
 * position rather than the connector's (which then points into the dropped messages).
 */
final class BatchResumingReader<T> implements SourceReader<T, PulsarPartitionSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchResumingReader.class);

    private final SourceReader<T, PulsarPartitionSplit> connector;
    private final ResumePoints points;

    BatchResumingReader(SourceReader<T, PulsarPartitionSplit> connector, ResumePoints points) {
        this.connector = connector;
        this.points = points;
    }

    @Override
    public void addSplits(List<PulsarPartitionSplit> splits) {
        List<PulsarPartitionSplit> resumed = new ArrayList<>(splits.size());
        for (PulsarPartitionSplit split : splits) {
            resumed.add(fromEntryStart(split));
        }
        connector.addSplits(resumed);
    }

    /** {@code split}, read again from the start of its checkpointed message's entry when that is a batch. */
    private PulsarPartitionSplit fromEntryStart(PulsarPartitionSplit split) {
        MessageId lastEmitted = split.getLatestConsumedId();
        BatchPosition position = lastEmitted == null ? null : BatchPosition.of(lastEmitted);
        if (position == null || !position.inBatch()) {
            return split;
        }
        points.add(split.getPartition().getFullTopicName(), lastEmitted);
        LOG.info("Split {} resumes inside the batched entry {}:{} after batch index {}",
                split.splitId(), position.ledgerId, position.entryId, position.batchIndex);
        // the connector resumes after this id's entry: the entry before the batch
        MessageId beforeEntry = new MessageIdImpl(
                position.ledgerId, position.entryId - 1, split.getPartition().getPartitionId());
        return new PulsarPartitionSplit(
                split.getPartition(), split.getStopCursor(), beforeEntry, split.getUncommittedTransactionId());
    }

    @Override
    public List<PulsarPartitionSplit> snapshotState(long checkpointId) {
        List<PulsarPartitionSplit> splits = connector.snapshotState(checkpointId);
        List<PulsarPartitionSplit> state = new ArrayList<>(splits.size());
        for (PulsarPartitionSplit split : splits) {
            MessageId restored = points.of(split.getPartition().getFullTopicName());
            state.add(restored == null ? split : new PulsarPartitionSplit(
                    split.getPartition(), split.getStopCursor(), restored, split.getUncommittedTransactionId()));
        }
        return state;
    }

    @Override
    public void start() {
        connector.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
        return connector.pollNext(output);
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return connector.isAvailable();
    }

    @Override
    public void notifyNoMoreSplits() {
        connector.notifyNoMoreSplits();
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        connector.handleSourceEvents(event);
    }

    @Override
    public void pauseOrResumeSplits(Collection<String> toPause, Collection<String> toResume) {
        connector.pauseOrResumeSplits(toPause, toResume);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        connector.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        connector.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void close() throws Exception {
        connector.close();
    }
}
