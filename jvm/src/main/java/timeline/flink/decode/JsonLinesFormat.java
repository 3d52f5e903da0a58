package timeline.flink.decode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.types.Row;

/**
 * Files of JSON lines to {@link Decoded} rows, as {@code timeline eval} reads them: a line ends at each
 * {@code \n} (nothing else ends one, a last line may lack it), blank lines are skipped, every other line
 * is decoded by {@link EventDecoder} at the clock of reading.
 */
public final class JsonLinesFormat implements StreamFormat<Row> {
    private static final long serialVersionUID = 1L;

    private final EventDecoder decoder;

    public JsonLinesFormat(String keyField, String timeField, long maxFutureMs) {
        this.decoder = new EventDecoder(keyField, timeField, maxFutureMs);
    }

    @Override
    public Reader<Row> createReader(Configuration config, FSDataInputStream stream, long fileLen, long splitEnd) {
        return new LineReader(stream, decoder);
    }

    @Override
    public Reader<Row> restoreReader(Configuration config, FSDataInputStream stream, long restoredOffset,
                                     long fileLen, long splitEnd) throws IOException {
        stream.seek(restoredOffset);
        return createReader(config, stream, fileLen, splitEnd);
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
        private int position;
        private int limit;

        LineReader(InputStream stream, EventDecoder decoder) {
            this.stream = stream;
            this.decoder = decoder;
        }

        @Override
        public Row read() throws IOException {
            byte[] next;
            while ((next = nextLine()) != null) {
                Row decoded = decoder.decode(next, System.currentTimeMillis());
                if (decoded != null) {
                    return decoded;
                }
            }
            return null;
        }

        /** The next line without its {@code \n}, null at the end of the file. */
        private byte[] nextLine() throws IOException {
            line.reset();
            while (true) {
                if (position == limit) {
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
