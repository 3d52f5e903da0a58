package timeline.flink.transactions;

import java.io.IOException;
import java.util.Collection;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.pulsar.sink.PulsarSink;
import org.apache.flink.connector.pulsar.sink.committer.PulsarCommittable;
import org.apache.flink.connector.pulsar.sink.writer.PulsarWriter;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * The connector's {@link PulsarSink} at exactly-once delivery, whose restore aborts the transactions a
 * failed attempt left open.
 *
 * <p>Each writer writes all its topics in one transaction per checkpoint period, opened in advance,
 * recorded in the job's {@link TransactionLedger} before it is written in and in the checkpoints taken
 * before its period starts ({@link OpenAheadWriter}). A restore from checkpoint N aborts the
 * transactions recorded in N, and those the ledger lists as opened after N or later (an attempt's first
 * ones, before any checkpoint of it): none was written in before N, so no completed checkpoint commits
 * them (the committables of N and of earlier checkpoints were prepared before N and are committed on
 * restore, as before), and the attempt that wrote them is gone. Aborted, they stop holding back the
 * readers of their partitions at once instead of at the transaction timeout. Committing, committables
 * and their serializer are the connector's own; the committer then forgets the committed transactions
 * in the ledger.
 */
public final class ExactlyOncePulsarSink<IN>
        implements Sink<IN>, SupportsWriterState<IN, TxnID>, SupportsCommitter<PulsarCommittable> {
    private static final long serialVersionUID = 1L;

    private final PulsarSink<IN> connector;
    private final long intervalMillis;
    private final String checkpointDir;
    private final String name;

    private ExactlyOncePulsarSink(PulsarSink<IN> connector, long intervalMillis, String checkpointDir, String name) {
        this.connector = connector;
        this.intervalMillis = intervalMillis;
        this.checkpointDir = checkpointDir;
        this.name = name;
    }

    /**
     * {@code connector}, built with {@code DeliveryGuarantee.EXACTLY_ONCE}, aborting at restore, in a job
     * checkpointed every {@code intervalMillis} into {@code checkpointDir} (a URI), where the ledger of
     * the sink {@code name} (unique in the job) is kept.
     */
    public static <IN> ExactlyOncePulsarSink<IN> of(PulsarSink<IN> connector, long intervalMillis,
                                                    String checkpointDir, String name) {
        return new ExactlyOncePulsarSink<>(connector, intervalMillis, checkpointDir, name);
    }

    @Override
    @SuppressWarnings("deprecation")
    public OpenAheadWriter<IN> createWriter(InitContext context) throws IOException {
        TaskInfo task = context.getTaskInfo();
        OpenAheadWriter<IN> writer = new OpenAheadWriter<>((PulsarWriter<IN>) connector.createWriter(context),
                intervalMillis, ledger(context), task.getIndexOfThisSubtask());
        writer.start(context.getRestoredCheckpointId().orElse(0), task.getNumberOfParallelSubtasks());
        return writer;
    }

    @Override
    public StatefulSinkWriter<IN, TxnID> restoreWriter(WriterInitContext context, Collection<TxnID> leftOpen)
            throws IOException {
        OpenAheadWriter<IN> writer = (OpenAheadWriter<IN>) createWriter(context);
        writer.abort(leftOpen, "left open by an earlier attempt");
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<TxnID> getWriterStateSerializer() {
        return new TxnIdSerializer();
    }

    @Override
    public Committer<PulsarCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return new LedgerPruningCommitter(connector.createCommitter(context), ledger(context));
    }

    @Override
    public SimpleVersionedSerializer<PulsarCommittable> getCommittableSerializer() {
        return connector.getCommittableSerializer();
    }

    private TransactionLedger ledger(org.apache.flink.api.connector.sink2.InitContext context) throws IOException {
        return TransactionLedger.of(checkpointDir, context.getJobInfo().getJobId(), name);
    }
}
