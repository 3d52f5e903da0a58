package timeline.flink.transactions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import org.apache.pulsar.client.api.transaction.Transaction;

/**
 * The connector's map of open transactions by topic (its {@code ProducerRegister} looks a topic's
 * transaction up with {@code containsKey} and {@code get}, opens one with {@code put} when there is
 * none, makes the committables of the entries and clears the map at each checkpoint, and aborts the
 * values on close), made to hold one transaction for every topic: the first of those opened ahead, when
 * there is one.
 *
 * <p>So all the records a writer sends between two checkpoints, to any partition, are in one
 * transaction that {@link OpenAheadWriter} recorded in its ledger before, and in a checkpoint's state
 * unless none was taken since it was opened.
 */
final class OneTransaction extends HashMap<String, Transaction> {
    private static final long serialVersionUID = 1L;

    /** A transaction opened ahead, not written in yet, its ledger entry, and when it was opened (epoch ms). */
    static final class Ahead {
        final Transaction transaction;
        final TransactionLedger.Opened recorded;
        final long openedAt;

        Ahead(Transaction transaction, TransactionLedger.Opened recorded, long openedAt) {
            this.transaction = transaction;
            this.recorded = recorded;
            this.openedAt = openedAt;
        }
    }

    private final transient Deque<Ahead> ahead = new ArrayDeque<>();  // the next to write in first

    /** The transactions opened ahead, the next to write in first. */
    List<Ahead> ahead() {
        return new ArrayList<>(ahead);
    }

    /** Writes after the ones already set ahead go into {@code transaction}. */
    void openAhead(Ahead transaction) {
        ahead.addLast(transaction);
    }

    /** Forgets the transactions opened ahead before {@code time} and returns them. */
    List<Ahead> takeOpenedBefore(long time) {
        List<Ahead> old = new ArrayList<>();
        ahead.removeIf(transaction -> transaction.openedAt < time && old.add(transaction));
        return old;
    }

    @Override
    public boolean containsKey(Object topic) {
        return !isEmpty() || !ahead.isEmpty();
    }

    @Override
    public Transaction get(Object topic) {
        if (isEmpty() && !ahead.isEmpty()) {
            super.put((String) topic, ahead.removeFirst().transaction);
        }
        return isEmpty() ? null : values().iterator().next();
    }

    /** Refused: every transaction is opened ahead, so that the ledger has it before its first record. */
    @Override
    public Transaction put(String topic, Transaction transaction) {
        throw new IllegalStateException("no transaction opened ahead for a record to " + topic);
    }
}
