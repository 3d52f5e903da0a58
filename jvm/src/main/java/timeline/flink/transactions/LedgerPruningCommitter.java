package timeline.flink.transactions;

import java.io.IOException;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.pulsar.sink.committer.PulsarCommittable;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * The connector's committer, which then forgets the committed transactions in the ledger: the committer
 * is given the transactions of completed checkpoints only, which no restore aborts, whether their commit
 * succeeded now, had succeeded before or is retried later.
 */
final class LedgerPruningCommitter implements Committer<PulsarCommittable> {
    private final Committer<PulsarCommittable> connector;
    private final TransactionLedger ledger;

    LedgerPruningCommitter(Committer<PulsarCommittable> connector, TransactionLedger ledger) {
        this.connector = connector;
        this.ledger = ledger;
    }

    @Override
    public void commit(Collection<CommitRequest<PulsarCommittable>> requests) throws IOException, InterruptedException {
        connector.commit(requests);
        Set<TxnID> committed = requests.stream()
                .map(request -> request.getCommittable().getTxnID())
                .collect(Collectors.toSet());
        if (!committed.isEmpty()) {
            ledger.forget(committed);
        }
    }

    @Override
    public void close() throws Exception {
        connector.close();
    }
}
