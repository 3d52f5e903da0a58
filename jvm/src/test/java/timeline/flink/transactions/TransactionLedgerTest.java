package timeline.flink.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.flink.api.common.JobID;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import timeline.flink.transactions.TransactionLedger.Opened;

class TransactionLedgerTest {
    @TempDir
    java.nio.file.Path checkpoints;

    private TransactionLedger ledger(JobID job, String sink) throws IOException {
        return TransactionLedger.of(checkpoints.toUri().toString(), job, sink);
    }

    private static Opened opened(int subtask, long after, long sequence) {
        return new Opened(subtask, after, new TxnID(1, sequence));
    }

    @Test
    void recordsEachTransactionAsAFileInTheJobsCheckpointFolderUntilForgotten() throws IOException {
        JobID job = new JobID();
        TransactionLedger ledger = ledger(job, "sink");
        assertThat(ledger.entries()).isEmpty();
        ledger.record(opened(0, 0, 7));
        ledger.record(opened(1, 12, 8));
        assertThat(Files.exists(checkpoints.resolve(job + "/transactions/sink/1.12.1.8"))).isTrue();
        assertThat(ledger(job, "sink").entries()).containsExactlyInAnyOrder(opened(0, 0, 7), opened(1, 12, 8));
        assertThat(ledger(job, "aggregate-sink").entries()).isEmpty();
        assertThat(ledger(new JobID(), "sink").entries()).isEmpty();

        ledger.forget(opened(0, 0, 7));
        ledger.forget(opened(0, 0, 7));  // forgotten already: nothing
        assertThat(ledger.entries()).containsExactly(opened(1, 12, 8));
    }

    @Test
    void forgetsCommittedTransactionsByTheirIdsWhateverTheirSubtask() throws IOException {
        TransactionLedger ledger = ledger(new JobID(), "sink");
        ledger.record(opened(0, 3, 1));
        ledger.record(opened(1, 3, 2));
        ledger.record(opened(1, 4, 3));
        ledger.forget(Set.of(new TxnID(1, 1), new TxnID(1, 3), new TxnID(1, 99)));
        assertThat(ledger.entries()).containsExactly(opened(1, 3, 2));
    }

    @Test
    void aFileOfAnotherNameIsNoEntry() throws IOException {
        JobID job = new JobID();
        TransactionLedger ledger = ledger(job, "sink");
        ledger.record(opened(0, 1, 2));
        Files.createFile(checkpoints.resolve(job + "/transactions/sink/notes.txt"));
        Files.createFile(checkpoints.resolve(job + "/transactions/sink/a.b.c.d"));
        assertThat(ledger.entries()).containsExactly(opened(0, 1, 2));
        assertThat(Opened.parse(opened(3, 40, -5).fileName())).isEqualTo(opened(3, 40, -5));
    }

    @Test
    void listsWhileAnotherSubtaskRecordsAndForgets() throws Exception {
        JobID job = new JobID();
        TransactionLedger ledger = ledger(job, "sink");
        ledger.record(opened(0, 1, 1));
        AtomicBoolean listing = new AtomicBoolean(true);
        ExecutorService otherSubtask = Executors.newSingleThreadExecutor();
        Future<?> churn = otherSubtask.submit(() -> {
            TransactionLedger its = ledger(job, "sink");
            for (long sequence = 2; listing.get(); sequence++) {  // one commit every 0.1 ms at most
                its.record(opened(1, 1, sequence));
                its.forget(opened(1, 1, sequence));
                LockSupport.parkNanos(100_000);
            }
            return null;
        });
        try {
            for (int listings = 0; listings < 5_000; listings++) {
                assertThat(ledger.entries()).contains(opened(0, 1, 1));
            }
        } finally {
            listing.set(false);
            churn.get();
            otherSubtask.shutdown();
        }
    }

    @Test
    void aRestoreAbortsWhatWasOpenedAfterTheRestoredCheckpointOrLater() {
        // opened after checkpoint 5 or later: written in after 5 only, and 5 is the latest completed
        assertThat(opened(0, 5, 1).isLeftOpenAt(5, 0, 2)).isTrue();
        assertThat(opened(0, 9, 1).isLeftOpenAt(5, 0, 2)).isTrue();
        // opened after 4: written in before 5 (committed by the committer) or named in 5's state
        assertThat(opened(0, 4, 1).isLeftOpenAt(5, 0, 2)).isFalse();
        // no checkpoint restored: everything an earlier attempt opened
        assertThat(opened(0, 0, 1).isLeftOpenAt(0, 0, 2)).isTrue();
        // another running subtask's: never
        assertThat(opened(1, 9, 1).isLeftOpenAt(5, 0, 2)).isFalse();
    }

    @Test
    void afterARescaleEachFormerSubtaskIsLookedAfterByExactlyOneSubtask() {
        for (int parallelism = 1; parallelism <= 4; parallelism++) {
            for (int former = 0; former < 8; former++) {
                int formerSubtask = former;
                int p = parallelism;
                List<Integer> takers = IntStream.range(0, p)
                        .filter(subtask -> opened(formerSubtask, 0, 1).isOf(subtask, p))
                        .boxed().collect(Collectors.toList());
                assertThat(takers).as("subtask %d of a former run at parallelism %d", former, p)
                        .containsExactly(former < p ? former : former % p);
            }
        }
    }
}
