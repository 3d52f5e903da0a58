package timeline.flink.transactions;

import java.util.HashMap;
import org.apache.pulsar.client.api.transaction.Transaction;

/**
 * The connector's map of open transactions by topic (its {@code ProducerRegister} looks a topic's
 * transaction up with {@code containsKey} and {@code get}, opens one with {@code put} when there is
 * none, makes the committables of the entries and clears the map at each checkpoint, and aborts the
 * values on close), made to hold one transaction for every topic, opened ahead when one is set.
 *
 * <p>So all the records a writer sends between two checkpoints, to any partition, are in the one
 * transaction that {@link OpenAheadWriter} recorded in the first of the two.
 */
final class OneTransaction extends HashMap<String, Transaction> {
    private static final long serialVersionUID = 1L;

    private Transaction ahead;  // the next period's transaction while nothing was written in it

    /** The transaction the next record opens with, or null when none is set. */
    Transaction ahead() {
        return ahead;
    }

    /** Writes to come, to any topic, go into {@code transaction} until the map is cleared. */
    void openAhead(Transaction transaction) {
        ahead = transaction;
    }

    /** The transaction set ahead and not used, which is forgotten; null when there is none. */
    Transaction takeAhead() {
        Transaction unused = ahead;
        ahead = null;
        return unused;
    }

    @Override
    public boolean containsKey(Object topic) {
        return !isEmpty() || ahead != null;
    }

    @Override
    public Transaction get(Object topic) {
        if (isEmpty() && ahead != null) {
            put((String) topic, takeAhead());
        }
        return isEmpty() ? null : values().iterator().next();
    }
}
