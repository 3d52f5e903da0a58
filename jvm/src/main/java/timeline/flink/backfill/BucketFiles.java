package timeline.flink.backfill;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.util.FileUtils;

/**
 * Each bucket of keys' events as one batch in input order, for the BATCH job: the records of a bucket's
 * events ({@link timeline.flink.decode.FieldRecords}), in their order in the input, joined by {@code \n}
 * (UTF-8).
 *
 * <p>Input: {@link KeyBuckets}' {@code (bucket, position, record)}, partitioned by bucket: a subtask
 * receives whole buckets. Each record is appended to its bucket's file in the task's spilling directories
 * (its position, then the record); at the end of the input each file is read back, its records sorted by
 * position ({@link timeline.flink.decode.Decoded#position}: the file's number, then the byte offset of the
 * line, so input order whatever order the events arrived in) and released as one batch. What waits in the
 * heap is a write buffer per bucket and, at the end, one bucket. Nothing is sorted but each bucket by
 * position: no comparison of keys or times.
 */
public final class BucketFiles extends AbstractStreamOperator<byte[]>
        implements OneInputStreamOperator<Tuple3<Integer, Long, byte[]>, byte[]>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final int BUFFER_BYTES = 1 << 16;

    private transient Path folder;
    private transient Map<Integer, DataOutputStream> files;

    public BucketFiles() {
        this.chainingStrategy = ChainingStrategy.ALWAYS;
    }

    /** The output type: a batch's records, UTF-8. */
    public static TypeInformation<byte[]> outputType() {
        return PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;
    }

    @Override
    public void open() throws Exception {
        super.open();
        File[] spilling = getContainingTask().getEnvironment().getIOManager().getSpillingDirectories();
        folder = Files.createTempDirectory(spilling[0].toPath(), "bucket-files-");
        files = new TreeMap<>();
    }

    @Override
    public void processElement(StreamRecord<Tuple3<Integer, Long, byte[]>> element) throws IOException {
        int bucket = element.getValue().f0;
        DataOutputStream file = files.get(bucket);
        if (file == null) {
            file = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(fileOf(bucket)), BUFFER_BYTES));
            files.put(bucket, file);
        }
        file.writeLong(element.getValue().f1);
        file.writeInt(element.getValue().f2.length);
        file.write(element.getValue().f2);
    }

    @Override
    public void endInput() throws IOException {
        for (Map.Entry<Integer, DataOutputStream> bucket : files.entrySet()) {
            bucket.getValue().close();
            Path file = fileOf(bucket.getKey());
            output.collect(new StreamRecord<>(batchOf(file)));
            Files.delete(file);
        }
        files.clear();
    }

    @Override
    public void close() throws Exception {
        try {
            for (DataOutputStream file : files.values()) {
                file.close();
            }
            FileUtils.deleteDirectory(folder.toFile());
        } finally {
            super.close();
        }
    }

    private Path fileOf(int bucket) {
        return folder.resolve(Integer.toString(bucket));
    }

    /** The records of a bucket's file in position order, joined by {@code \n}. */
    static byte[] batchOf(Path file) throws IOException {
        List<Record> records = new ArrayList<>();
        long bytes = 0;
        try (DataInputStream in = new DataInputStream(
                new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES))) {
            while (true) {
                long position;
                try {
                    position = in.readLong();
                } catch (EOFException end) {
                    break;
                }
                byte[] text = new byte[in.readInt()];
                in.readFully(text);
                records.add(new Record(position, text));
                bytes += text.length + 1;
            }
        }
        records.sort(Comparator.comparingLong(Record::position));
        byte[] batch = new byte[Math.toIntExact(Math.max(0, bytes - 1))];
        int at = 0;
        for (int index = 0; index < records.size(); index++) {
            if (index > 0) {
                batch[at++] = '\n';
            }
            byte[] text = records.get(index).text;
            System.arraycopy(text, 0, batch, at, text.length);
            at += text.length;
        }
        return batch;
    }

    private static final class Record {
        final long position;
        final byte[] text;

        Record(long position, byte[] text) {
            this.position = position;
            this.text = text;
        }

        long position() {
            return position;
        }
    }
}
