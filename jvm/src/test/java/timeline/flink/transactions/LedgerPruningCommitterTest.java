package timeline.flink.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.Committer.CommitRequest;
import org.apache.flink.connector.pulsar.sink.committer.PulsarCommittable;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import timeline.flink.transactions.TransactionLedger.Opened;

class LedgerPruningCommitterTest {
    @TempDir
    java.nio.file.Path checkpoints;

    /** A request to commit a transaction; what a committer signals about it is not looked at. */
    private static CommitRequest<PulsarCommittable> request(long sequence) {
        PulsarCommittable committable = new PulsarCommittable(new TxnID(1, sequence), "out");
        return new CommitRequest<>() {
            @Override
            public PulsarCommittable getCommittable() {
                return committable;
            }

            @Override
            public int getNumberOfRetries() {
                return 0;
            }

            @Override
            public void signalFailedWithKnownReason(Throwable t) {}

            @Override
            public void signalFailedWithUnknownReason(Throwable t) {}

            @Override
            public void retryLater() {}

            @Override
            public void updateAndRetryLater(PulsarCommittable committable) {}

            @Override
            public void signalAlreadyCommitted() {}
        };
    }

    @Test
    void forgetsTheTransactionsGivenToCommitAfterTheConnectorsCommitterHadThem() throws Exception {
        TransactionLedger ledger = TransactionLedger.of(checkpoints.toUri().toString(), new JobID(), "sink");
        ledger.record(new Opened(0, 3, new TxnID(1, 1)));
        ledger.record(new Opened(1, 3, new TxnID(1, 2)));
        ledger.record(new Opened(0, 4, new TxnID(1, 3)));
        List<TxnID> committed = new ArrayList<>();
        List<Integer> recordedAtCommit = new ArrayList<>();
        LedgerPruningCommitter committer = new LedgerPruningCommitter(new Committer<>() {
            @Override
            public void commit(Collection<CommitRequest<PulsarCommittable>> requests) throws IOException {
                recordedAtCommit.add(ledger.entries().size());
                requests.forEach(request -> committed.add(request.getCommittable().getTxnID()));
            }

            @Override
            public void close() {}
        }, ledger);
        committer.commit(List.of(request(1), request(2)));
        assertThat(committed).containsExactly(new TxnID(1, 1), new TxnID(1, 2));
        assertThat(ledger.entries()).containsExactly(new Opened(0, 4, new TxnID(1, 3)));
        committer.commit(List.of());
        assertThat(ledger.entries()).hasSize(1);
        assertThat(recordedAtCommit).containsExactly(3, 1);  // forgotten after the connector's commit
    }
}
