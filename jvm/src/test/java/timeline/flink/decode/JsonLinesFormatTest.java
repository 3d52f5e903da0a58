package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class JsonLinesFormatTest {
    /** A file's bytes as Flink's file source hands them to a format. */
    private static final class InMemoryFile extends FSDataInputStream {
        private final ByteArrayInputStream bytes;
        private final int length;

        InMemoryFile(byte[] content) {
            bytes = new ByteArrayInputStream(content);
            length = content.length;
        }

        @Override public void seek(long position) { bytes.reset(); bytes.skip(position); }
        @Override public long getPos() { return length - bytes.available(); }
        @Override public int read() { return bytes.read(); }
        @Override public int read(byte[] buffer, int offset, int count) { return bytes.read(buffer, offset, count); }
    }

    private static List<Row> read(String file) throws IOException {
        return read(new JsonLinesFormat("id", "ts", -1), file);
    }

    private static List<Row> read(JsonLinesFormat format, String file) throws IOException {
        byte[] content = file.getBytes(StandardCharsets.UTF_8);
        StreamFormat.Reader<Row> reader =
                format.createReader(new Configuration(), new InMemoryFile(content), content.length, content.length);
        List<Row> rows = new ArrayList<>();
        for (Row row = reader.read(); row != null; row = reader.read()) {
            rows.add(row);
        }
        reader.close();
        return rows;
    }

    @Test
    void eachNewlineEndsALineBlankOnesAreSkippedAndTheLastMayLackIt() throws IOException {
        assertThat(read("{\"id\":\"a\",\"ts\":1}\n\n  \r\n{\"id\":\"b\",\"ts\":2}\r\n{\"id\":\"c\",\"ts\":3}")).containsExactly(
                Decoded.at(Decoded.event("a", 1, "{\"id\":\"a\",\"ts\":1}"), 0),
                Decoded.at(Decoded.event("b", 2, "{\"id\":\"b\",\"ts\":2}\r"), 23),
                Decoded.at(Decoded.event("c", 3, "{\"id\":\"c\",\"ts\":3}"), 42));
    }

    @Test
    void aBadLineIsADeadLetterAndReadingGoesOn() throws IOException {
        assertThat(read("{\"id\":\"a\"\u2028,\"ts\":1}\n{\"id\":\"b\",\"ts\":2}\n")).containsExactly(
                Decoded.at(Decoded.deadLetter("{\"id\":\"a\"\u2028,\"ts\":1}", "malformed JSON"), 0),
                Decoded.at(Decoded.event("b", 2, "{\"id\":\"b\",\"ts\":2}"), 21));
    }

    @Test
    void aLineLongerThanTheReadBufferIsWhole() throws IOException {
        String line = "{\"id\":\"a\",\"ts\":1,\"pad\":\"" + "x".repeat(200_000) + "\"}";
        assertThat(read(line + "\n" + line)).containsExactly(
                Decoded.at(Decoded.event("a", 1, line), 0), Decoded.at(Decoded.event("a", 1, line), line.length() + 1));
    }

    @Test
    void aLineIsPlacedByTheNumberOfItsFileInReadingOrderThenItsByteOffsetAlsoAfterARestore() throws IOException {
        JsonLinesFormat format = new JsonLinesFormat("id", "ts", -1);
        String second = "{\"id\":\"b\",\"ts\":2}\n{\"id\":\"c\",\"ts\":3}\n";
        assertThat(read(format, "{\"id\":\"a\",\"ts\":1}\n")).extracting(Decoded::position).containsExactly(0L);
        assertThat(read(format, second)).extracting(Decoded::position).containsExactly(1L << 40, (1L << 40) + 18);
        byte[] content = second.getBytes(StandardCharsets.UTF_8);
        StreamFormat.Reader<Row> restored = format.restoreReader(
                new Configuration(), new InMemoryFile(content), 18, content.length, content.length);
        assertThat(restored.read()).isEqualTo(Decoded.at(Decoded.event("c", 3, "{\"id\":\"c\",\"ts\":3}"), (2L << 40) + 18));
        assertThat(restored.read()).isNull();
    }
}
