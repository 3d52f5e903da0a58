package timeline.flink.transactions;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
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

/**
 * The connector's exactly-once {@link PulsarWriter}, whose checkpoint state is the transaction it
 * writes in after that checkpoint.
 *
 * <p>At each checkpoint the connector's writer hands its transaction to the committer and opens the
 * next one with the next record. This writer opens that next transaction when its state is taken
 * instead (or keeps the one it opened before, when nothing was written since) and returns its id as
 * the state; all topics share it ({@link OneTransaction}). The writer's Pulsar client, transaction
 * coordinator and settings are the connector's, so authentication and TLS are those of the sink.
 */
public final class OpenAheadWriter<IN>
        implements StatefulSinkWriter<IN, TxnID>, CommittingSinkWriter<IN, PulsarCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAheadWriter.class);

    private final PulsarWriter<IN> connector;
    private final PulsarClient client;
    private final TransactionCoordinatorClient coordinator;
    private final long timeoutMillis;
    private final OneTransaction transactions = new OneTransaction();

    OpenAheadWriter(PulsarWriter<IN> connector) throws IOException {
        this.connector = connector;
        Object register = field(connector, "producerRegister");
        this.client = (PulsarClient) field(register, "pulsarClient");
        this.coordinator = (TransactionCoordinatorClient) field(register, "coordinatorClient");
        this.timeoutMillis = ((SinkConfiguration) field(register, "sinkConfiguration")).getTransactionTimeoutMillis();
        if (coordinator == null) {
            throw new IllegalArgumentException("the Pulsar sink is not at exactly-once delivery");
        }
        replace(register, "transactions", transactions);
    }

    /**
     * Aborts {@code leftOpen}, transactions an earlier attempt opened after the checkpoint restored; one
     * that has ended already (committed, aborted or timed out) is passed over.
     */
    void abort(Collection<TxnID> leftOpen) throws IOException {
        for (TxnID id : leftOpen) {
            try {
                coordinator.abort(id);
                LOG.info("Aborted transaction {}, which an earlier attempt left open", id);
            } catch (TransactionNotFoundException | InvalidTxnStatusException ended) {
                LOG.info("Transaction {} of an earlier attempt has ended already: {}", id, ended.getMessage());
            } catch (TransactionCoordinatorClientException e) {
                throw new IOException("cannot abort transaction " + id + " of an earlier attempt", e);
            }
        }
    }

    @Override
    public List<TxnID> snapshotState(long checkpointId) throws IOException {
        if (transactions.ahead() == null) {
            transactions.openAhead(PulsarTransactionUtils.createTransaction(client, timeoutMillis));
        }
        return List.of(transactions.ahead().getTxnID());
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
        Transaction unused = transactions.takeAhead();
        if (unused != null) {
            abort(List.of(unused.getTxnID()));
        }
        connector.close();  // aborts the transaction in use
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
