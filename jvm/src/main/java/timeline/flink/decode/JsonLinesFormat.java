package timeline.flink.decode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.types.Row;

/**
 * Files of JSON lines to {@link Decoded} rows, as {@code timeline eval} reads them: a line ends at each
 * {@code \n} (nothing else ends one, a last line may lack it), blank lines are skipped, every other line
 * is decoded by {@link EventDecoder} at the clock of reading.
 *
 * <p>Each decoded line is placed in the input ({@link Decoded#position}, so that input order survives a
 * sort): the number of its file in the order this format's reader opened them (a source reader reads its
 * files one after another) times 2<sup>40</sup>, plus the byte offset of the line in its file.
 */
public final class JsonLinesFormat implements StreamFormat<Row> {
    private static final long serialVersionUID = 1L;

    private static final int OFFSET_BITS = 40;  // files up to 1 TiB

    private final EventDecoder decoder;
    private final AtomicLong filesOpened = new AtomicLong();

    public JsonLinesFormat(String keyField, String timeField, long maxFutureMs) {
        this.decoder = new EventDecoder(keyField, timeField, maxFutureMs);
    }

    /** Each event's payload its {@link FieldRecords} record of {@code fields} (the BATCH job's). */
    public JsonLinesFormat(String keyField, String timeField, long maxFutureMs, List<String> fields) {
        this.decoder = new EventDecoder(keyField, timeField, maxFutureMs, new FieldRecords(fields));
    }

    @Override
    public Reader<Row> createReader(Configuration config, FSDataInputStream stream, long fileLen, long splitEnd) {
        return new LineReader(stream, firstPosition(0), decoder);
    }

    @Override
    public Reader<Row> restoreReader(Configuration config, FSDataInputStream stream, long restoredOffset,
                                     long fileLen, long splitEnd) throws IOException {
        stream.seek(restoredOffset);
        return new LineReader(stream, firstPosition(restoredOffset), decoder);
    }

    /** The position of the next file's byte at {@code offset}. */
    private long firstPosition(long offset) {
        return (filesOpened.getAndIncrement() << OFFSET_BITS) + offset;
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<Row> getProducedType() {
        return Decoded.type();
    }

    private static final class LineReader implements StreamFormat.Reader<Row> {
        private final InputStream stream;
        private final EventDecoder decoder;
        private final byte[] buffer = new byte[1 << 16];
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private long bufferOffset;  // the position of buffer[0]
        private int position;
        private int limit;
        private long linePosition;  // of the line nextLine returned last

        LineReader(InputStream stream, long position, EventDecoder decoder) {
            this.stream = stream;
            this.bufferOffset = position;
            this.decoder = decoder;
        }

        @Override
        public Row read() throws IOException {
            byte[] next;
            while ((next = nextLine()) != null) {
                Row decoded = decoder.decode(next, System.currentTimeMillis());
                if (decoded != null) {
                    return Decoded.at(decoded, linePosition);
                }
            }
            return null;
        }

        /** The next line without its {@code \n}, null at the end of the file. */
        private byte[] nextLine() throws IOException {
            line.reset();
            linePosition = bufferOffset + position;
            while (true) {
                if (position == limit) {
                    bufferOffset += limit;
                    limit = stream.read(buffer);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return line.size() > 0 ? line.toByteArray() : null;
                    }
                }
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                line.write(buffer, start, position - start);
                if (position < limit) {
                    position++;
                    return line.toByteArray();
                }
            }
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
