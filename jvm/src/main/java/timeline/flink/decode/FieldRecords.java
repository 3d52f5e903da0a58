package timeline.flink.decode;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A decoded event as one record of the BATCH job's batches (its {@link EventDecoder}'s payload), for
 * Python's {@code engine.columnar_input.decode_fields}: its key as a JSON string, its time in decimal, then
 * the JSON text of each field the spec reads as the event writes it (empty when absent), separated by
 * {@link #SEPARATOR}.
 * Neither the separator nor a line end can occur in JSON text but as whitespace (a carriage return, written
 * as a space), so the records of a batch, one a line, read as columns without a JSON parser.
 */
public final class FieldRecords implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Separates a record's fields: a raw control character, which JSON text cannot hold. */
    public static final char SEPARATOR = '\u001f';

    private final List<String> fields;

    /** Records of the named fields, in this order. */
    public FieldRecords(List<String> fields) {
        this.fields = List.copyOf(fields);
    }

    /** The fields whose texts a record holds. */
    Set<String> fields() {
        return Set.copyOf(fields);
    }

    /** The record of an event of key {@code key} and time {@code time} whose fields are written {@code texts}. */
    String of(String key, long time, Map<String, String> texts) {
        StringBuilder record = JsonStrings.append(new StringBuilder(), key);
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
