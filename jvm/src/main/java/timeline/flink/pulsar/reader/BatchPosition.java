package timeline.flink.pulsar.reader;

import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;

import java.io.Serializable;

/**
 * A message's place in its topic partition: ledger, entry and index inside the entry's batch (-1 when
 * the entry holds one unbatched message). Ordered as the broker delivers messages.
 */
final class BatchPosition implements Serializable, Comparable<BatchPosition> {
    private static final long serialVersionUID = 1L;

    final long ledgerId;
    final long entryId;
    final int batchIndex;

    private BatchPosition(long ledgerId, long entryId, int batchIndex) {
        this.ledgerId = ledgerId;
        this.entryId = entryId;
        this.batchIndex = batchIndex;
    }

    /** The position of {@code id}, or null when it names no single message (earliest, latest, chunks). */
    static BatchPosition of(MessageId id) {
        if (!(id instanceof MessageIdAdv) || id == MessageId.earliest || id == MessageId.latest) {
            return null;
        }
        MessageIdAdv advanced = (MessageIdAdv) id;
        return new BatchPosition(advanced.getLedgerId(), advanced.getEntryId(), advanced.getBatchIndex());
    }

    /** True when this message is one of several in its entry. */
    boolean inBatch() {
        return batchIndex >= 0;
    }

    @Override
    public int compareTo(BatchPosition other) {
        int byLedger = Long.compare(ledgerId, other.ledgerId);
        if (byLedger != 0) {
            return byLedger;
        }
        int byEntry = Long.compare(entryId, other.entryId);
        return byEntry != 0 ? byEntry : Integer.compare(batchIndex, other.batchIndex);
    }

    @Override
    public String toString() {
        return ledgerId + ":" + entryId + ":" + batchIndex;
    }
}
