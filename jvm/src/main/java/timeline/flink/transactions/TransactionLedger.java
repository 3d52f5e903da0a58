package timeline.flink.transactions;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * The transactions the writers of one sink of one job opened and may still have to abort, kept in the
 * job's checkpoint storage (any file system Flink's {@link FileSystem} reaches): one empty file a
 * transaction, {@code <checkpoint dir>/<job id>/transactions/<sink>/<subtask>.<after>.<most>.<least>},
 * closed before the transaction receives its first record.
 *
 * <p>{@code after} is the checkpoint after which the writer opened it (the checkpoint whose state it
 * took then, or the one its attempt restored, 0 for none), so it holds only records written after that
 * checkpoint: a restore from checkpoint N aborts the transactions opened after N or later
 * ({@link Opened#isLeftOpenAt}), and no other: one opened after an earlier checkpoint was written in
 * before N (its checkpoint completed: the committer commits it) or was still waiting at N (N's state
 * names it).
 */
final class TransactionLedger {
    /** Listings of the folder tried before a file that vanished while listed is reported. */
    private static final int LISTING_ATTEMPTS = 100;

    private final FileSystem fileSystem;
    private final Path folder;

    TransactionLedger(Path folder) throws IOException {
        this.fileSystem = folder.getFileSystem();
        this.folder = folder;
    }

    /** The ledger of the sink {@code sink} of job {@code job} checkpointed into {@code checkpointDir}. */
    static TransactionLedger of(String checkpointDir, JobID job, String sink) throws IOException {
        return new TransactionLedger(new Path(new Path(new Path(checkpointDir, job.toString()), "transactions"), sink));
    }

    /** A transaction a writer opened: its subtask, the checkpoint after which it was opened, its id. */
    static final class Opened {
        final int subtask;
        final long after;
        final TxnID id;

        Opened(int subtask, long after, TxnID id) {
            this.subtask = subtask;
            this.after = after;
            this.id = id;
        }

        /**
         * Whether subtask {@code subtask} of {@code parallelism}, restored from checkpoint {@code restored}
         * (0: none), aborts this transaction: one of its own subtask, or of a subtask beyond the
         * parallelism (each taken by exactly one: the one its index modulo the parallelism names), opened
         * after the restored checkpoint or later.
         */
        boolean isLeftOpenAt(long restored, int subtask, int parallelism) {
            return isOf(subtask, parallelism) && after >= restored;
        }

        /** Whether subtask {@code subtask} of {@code parallelism} looks after this transaction at a restore. */
        boolean isOf(int subtask, int parallelism) {
            return this.subtask == subtask || (this.subtask >= parallelism && this.subtask % parallelism == subtask);
        }

        String fileName() {
            return subtask + "." + after + "." + id.getMostSigBits() + "." + id.getLeastSigBits();
        }

        /** The transaction a ledger file names, or null for a file of another name. */
        static Opened parse(String fileName) {
            String[] parts = fileName.split("\\.");
            if (parts.length != 4) {
                return null;
            }
            try {
                return new Opened(Integer.parseInt(parts[0]), Long.parseLong(parts[1]),
                        new TxnID(Long.parseLong(parts[2]), Long.parseLong(parts[3])));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Opened && fileName().equals(((Opened) other).fileName());
        }

        @Override
        public int hashCode() {
            return Objects.hash(subtask, after, id);
        }

        @Override
        public String toString() {
            return "subtask " + subtask + ", opened after checkpoint " + after;
        }
    }

    /** Records {@code opened}; the file is closed when this returns. */
    void record(Opened opened) throws IOException {
        fileSystem.create(new Path(folder, opened.fileName()), FileSystem.WriteMode.NO_OVERWRITE).close();
    }

    /**
     * Every transaction recorded and not forgotten. Listing again when an entry vanished while it was
     * listed: a local file system looks up each file it lists, and another subtask may forget one meanwhile.
     */
    List<Opened> entries() throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return listing();
            } catch (FileNotFoundException vanished) {
                if (attempt == LISTING_ATTEMPTS) {
                    throw vanished;
                }
            }
        }
    }

    private List<Opened> listing() throws IOException {
        List<Opened> entries = new ArrayList<>();
        if (!fileSystem.exists(folder)) {
            return entries;
        }
        FileStatus[] files = fileSystem.listStatus(folder);
        for (FileStatus file : files == null ? new FileStatus[0] : files) {
            Opened opened = Opened.parse(file.getPath().getName());
            if (opened != null) {
                entries.add(opened);
            }
        }
        return entries;
    }

    /** Forgets {@code opened} (nothing when it is forgotten already). */
    void forget(Opened opened) throws IOException {
        fileSystem.delete(new Path(folder, opened.fileName()), false);
    }

    /** Forgets the transactions {@code ids}, of any subtask. */
    void forget(Collection<TxnID> ids) throws IOException {
        for (Opened opened : entries()) {
            if (ids.contains(opened.id)) {
                forget(opened);
            }
        }
    }
}
