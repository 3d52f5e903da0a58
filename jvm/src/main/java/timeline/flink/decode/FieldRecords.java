package timeline.flink.decode;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A decoded event as one record of the BATCH job's batches, for Python's {@code
 * engine.columnar_input.decode_fields}: its key as a JSON string, its time in decimal, then the JSON text of
 * each field the spec reads as the event writes it (empty when absent), separated by {@link #SEPARATOR}.
 * Neither the separator nor a line end can occur in JSON text but as whitespace (a carriage return, written
 * as a space), so the records of a batch, one a line, read as columns without a JSON parser.
 */
public final class FieldRecords implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Separates a record's fields: a raw control character, which JSON text cannot hold. */
    public static final char SEPARATOR = '\u001f';

    private final List<String> fields;
    private final Set<String> kept;

    /** Records of the named fields, in this order. */
    public FieldRecords(List<String> fields) {
        this.fields = List.copyOf(fields);
        this.kept = Set.copyOf(fields);
    }

    /** The record of the event {@code line}, decoded already with key {@code key} and time {@code time}. */
    public String of(String key, long time, String line) {
        Map<String, String> texts;
        try {
            texts = JsonText.memberTexts(line, kept);
        } catch (BadEvent bad) {
            throw new IllegalArgumentException("not the line of a decoded event: " + bad.getMessage(), bad);
        }
        StringBuilder record = JsonStrings.append(new StringBuilder(line.length() + 16), key);
        record.append(SEPARATOR).append(time);
        for (String field : fields) {
            record.append(SEPARATOR);
            String text = texts.get(field);
            if (text != null) {
                record.append(text.replace('\r', ' '));
            }
        }
        return record.toString();
    }
}
