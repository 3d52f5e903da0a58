package timeline.flink.transactions;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.sink2.CommittingSinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.connector.pulsar.common.utils.PulsarTransactionUtils;
import org.apache.flink.connector.pulsar.sink.committer.PulsarCommittable;
import org.apache.flink.connector.pulsar.sink.config.SinkConfiguration;
import org.apache.flink.connector.pulsar.sink.writer.PulsarWriter;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClient;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClientException;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClientException.InvalidTxnStatusException;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClientException.TransactionNotFoundException;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import timeline.flink.transactions.OneTransaction.Ahead;

/**
 * The connector's exactly-once {@link PulsarWriter}, whose checkpoint state is the transactions it
 * will write in after that checkpoint, and which records every transaction it opens in a ledger first.
 *
 * <p>At each checkpoint the connector's writer hands its transaction to the committer and opens the
 * next one with the next record. This writer keeps {@link #AHEAD} transactions opened in advance
 * instead, the next period writes in the first of them (all topics share it, {@link OneTransaction}),
 * and its state is their ids. So the state of checkpoint N names every transaction the writer opens
 * for the periods after N until {@link #AHEAD} more checkpoints have started. The {@link
 * TransactionLedger} names the rest: the transactions opened at the start of an attempt, before any
 * checkpoint of it, and those opened after more checkpoints than that that never completed. A start
 * ({@link #start}) aborts the transactions of both that an earlier attempt left open, before opening its
 * own. A transaction opened ahead is renewed before it gets too old to be written in for a period and
 * committed within the timeout. The writer's Pulsar client, transaction coordinator and settings are
 * the connector's, so authentication and TLS are those of the sink.
 */
public final class OpenAheadWriter<IN>
        implements StatefulSinkWriter<IN, TxnID>, CommittingSinkWriter<IN, PulsarCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAheadWriter.class);
    /** Transactions opened ahead: for the next period and for two more checkpoints begun, not completed. */
    static final int AHEAD = 3;

    private final PulsarWriter<IN> connector;
    private final PulsarClient client;
    private final TransactionCoordinatorClient coordinator;
    private final long timeoutMillis;
    private final long renewAfterMillis;  // the age of a transaction opened ahead that is aborted and replaced
    private final OneTransaction transactions = new OneTransaction();
    private final TransactionLedger ledger;
    private final int subtask;

    /**
     * {@code connector}'s writer at the checkpoint interval {@code intervalMillis}, subtask {@code subtask}
     * of the sink whose transactions {@code ledger} records.
     */
    OpenAheadWriter(PulsarWriter<IN> connector, long intervalMillis, TransactionLedger ledger, int subtask)
            throws IOException {
        this.connector = connector;
        this.ledger = ledger;
        this.subtask = subtask;
        Object register = field(connector, "producerRegister");
        this.client = (PulsarClient) field(register, "pulsarClient");
        this.coordinator = (TransactionCoordinatorClient) field(register, "coordinatorClient");
        this.timeoutMillis = ((SinkConfiguration) field(register, "sinkConfiguration")).getTransactionTimeoutMillis();
        // used within a period or two after the check, committed a period later: three periods to spare
        this.renewAfterMillis = Math.max(0, timeoutMillis - 3 * intervalMillis);
        if (coordinator == null) {
            throw new IllegalArgumentException("the Pulsar sink is not at exactly-once delivery");
        }
        replace(register, "transactions", transactions);
    }

    /**
     * Aborts the transactions the ledger lists for this subtask of {@code parallelism} (or for a subtask
     * beyond it) opened after checkpoint {@code restored} (0: none) or later, which an earlier attempt left
     * open, and forgets every entry of these subtasks (no later restore, from {@code restored} or a later
     * checkpoint, aborts the others); then opens the transactions to write in.
     */
    void start(long restored, int parallelism) throws IOException {
        for (TransactionLedger.Opened opened : ledger.entries()) {
            if (opened.isLeftOpenAt(restored, subtask, parallelism)) {
                abort(List.of(opened.id), "left open by an earlier attempt (" + opened + ")");
            }
            if (opened.isOf(subtask, parallelism)) {
                ledger.forget(opened);
            }
        }
        openAhead(restored);
    }

    /**
     * Aborts {@code transactions} ({@code which} says what they are, for the log); one that has ended
     * already (committed, aborted or timed out) is passed over.
     */
    void abort(Collection<TxnID> transactions, String which) throws IOException {
        for (TxnID id : transactions) {
            try {
                coordinator.abort(id);
                LOG.info("Aborted transaction {}, {}", id, which);
            } catch (TransactionNotFoundException | InvalidTxnStatusException ended) {
                LOG.info("Transaction {}, {}, has ended already: {}", id, which, ended.getMessage());
            } catch (TransactionCoordinatorClientException e) {
                throw new IOException("cannot abort transaction " + id + ", " + which, e);
            }
        }
    }

    /** Aborts the transactions opened ahead and forgets them in the ledger. */
    private void abortAhead(List<Ahead> ahead, String which) throws IOException {
        abort(ids(ahead), which);
        for (Ahead transaction : ahead) {
            ledger.forget(transaction.recorded);
        }
    }

    /**
     * Opens transactions ahead, up to {@link #AHEAD}, each recorded in the ledger as opened after checkpoint
     * {@code after} before it can be written in.
     */
    private void openAhead(long after) throws IOException {
        long now = System.currentTimeMillis();
        for (int count = transactions.ahead().size(); count < AHEAD; count++) {
            Transaction transaction = PulsarTransactionUtils.createTransaction(client, timeoutMillis);
            TransactionLedger.Opened opened = new TransactionLedger.Opened(subtask, after, transaction.getTxnID());
            ledger.record(opened);
            transactions.openAhead(new Ahead(transaction, opened, now));
        }
    }

    @Override
    public List<TxnID> snapshotState(long checkpointId) throws IOException {
        long renewBefore = System.currentTimeMillis() - renewAfterMillis;
        abortAhead(transactions.takeOpenedBefore(renewBefore), "opened ahead long ago, renewed");
        openAhead(checkpointId);
        return ids(transactions.ahead());
    }

    @Override
    public void write(IN element, Context context) throws IOException, InterruptedException {
        connector.write(element, context);
    }

    @Override
    public void writeWatermark(Watermark watermark) throws IOException, InterruptedException {
        connector.writeWatermark(watermark);
    }

    @Override
    public void flush(boolean endOfInput) throws IOException, InterruptedException {
        connector.flush(endOfInput);
    }

    @Override
    public Collection<PulsarCommittable> prepareCommit() throws IOException, InterruptedException {
        return connector.prepareCommit();
    }

    @Override
    public void close() throws Exception {
        try {
            abortAhead(transactions.takeOpenedBefore(Long.MAX_VALUE), "opened ahead, not written in");
        } finally {
            connector.close();  // aborts the transaction in use
        }
    }

    private static List<TxnID> ids(List<Ahead> transactions) {
        return transactions.stream().map(ahead -> ahead.transaction.getTxnID()).collect(Collectors.toList());
    }

    private static Object field(Object owner, String name) throws IOException {
        try {
            return accessible(owner, name).get(owner);
        } catch (ReflectiveOperationException e) {
            throw new IOException("the Pulsar connector has no field " + name + " here", e);
        }
    }

    private static void replace(Object owner, String name, Object value) throws IOException {
        try {
            accessible(owner, name).set(owner, value);
        } catch (ReflectiveOperationException e) {
            throw new IOException("the Pulsar connector's field " + name + " cannot be replaced", e);
        }
    }

    private static Field accessible(Object owner, String name) throws NoSuchFieldException {
        Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
