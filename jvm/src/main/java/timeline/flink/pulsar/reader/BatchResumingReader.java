package timeline.flink.pulsar.reader;

import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import timeline.flink.source.ForwardingReader;

import java.util.ArrayList;
import java.util.List;

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
public final class BatchResumingReader<T> extends ForwardingReader<T, PulsarPartitionSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchResumingReader.class);

    private final ResumePoints points;

    public BatchResumingReader(SourceReader<T, PulsarPartitionSplit> connector, ResumePoints points) {
        super(connector);
        this.points = points;
    }

    @Override
    public void addSplits(List<PulsarPartitionSplit> splits) {
        List<PulsarPartitionSplit> resumed = new ArrayList<>(splits.size());
        for (PulsarPartitionSplit split : splits) {
            resumed.add(fromEntryStart(split));
        }
        inner.addSplits(resumed);
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
        List<PulsarPartitionSplit> splits = inner.snapshotState(checkpointId);
        List<PulsarPartitionSplit> state = new ArrayList<>(splits.size());
        for (PulsarPartitionSplit split : splits) {
            MessageId restored = points.of(split.getPartition().getFullTopicName());
            state.add(restored == null ? split : new PulsarPartitionSplit(
                    split.getPartition(), split.getStopCursor(), restored, split.getUncommittedTransactionId()));
        }
        return state;
    }
}
