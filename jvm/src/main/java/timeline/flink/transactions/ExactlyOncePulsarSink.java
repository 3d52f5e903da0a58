package timeline.flink.transactions;

import java.io.IOException;
import java.util.Collection;
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
 * <p>Each writer writes all its topics in one transaction per checkpoint period, opened before the
 * period starts and recorded in the checkpoint that starts it ({@link OpenAheadWriter}). A restore
 * from checkpoint N aborts the transactions recorded in N: they were opened after N, so no completed
 * checkpoint commits them (the committables of N and of earlier checkpoints were prepared before N
 * and are committed on restore, as before), and the attempt that wrote them is gone. Aborted, they stop
 * holding back the readers of their partitions at once instead of at the transaction timeout.
 * Committing, committables and their serializer are the connector's own.
 */
public final class ExactlyOncePulsarSink<IN>
        implements Sink<IN>, SupportsWriterState<IN, TxnID>, SupportsCommitter<PulsarCommittable> {
    private static final long serialVersionUID = 1L;

    private final PulsarSink<IN> connector;

    private ExactlyOncePulsarSink(PulsarSink<IN> connector) {
        this.connector = connector;
    }

    /** {@code connector}, built with {@code DeliveryGuarantee.EXACTLY_ONCE}, aborting at restore. */
    public static <IN> ExactlyOncePulsarSink<IN> of(PulsarSink<IN> connector) {
        return new ExactlyOncePulsarSink<>(connector);
    }

    @Override
    @SuppressWarnings("deprecation")
    public OpenAheadWriter<IN> createWriter(InitContext context) throws IOException {
        return new OpenAheadWriter<>((PulsarWriter<IN>) connector.createWriter(context));
    }

    @Override
    public StatefulSinkWriter<IN, TxnID> restoreWriter(WriterInitContext context, Collection<TxnID> leftOpen)
            throws IOException {
        OpenAheadWriter<IN> writer = (OpenAheadWriter<IN>) createWriter(context);
        writer.abort(leftOpen);
        return writer;
    }

    @Override
    public SimpleVersionedSerializer<TxnID> getWriterStateSerializer() {
        return new TxnIdSerializer();
    }

    @Override
    public Committer<PulsarCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return connector.createCommitter(context);
    }

    @Override
    public SimpleVersionedSerializer<PulsarCommittable> getCommittableSerializer() {
        return connector.getCommittableSerializer();
    }
}
