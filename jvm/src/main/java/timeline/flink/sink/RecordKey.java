package timeline.flink.sink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;

/**
 * The key of one of the job's JSON records, read with a streaming parser that reads the record's
 * top-level fields only until it has the ones it needs.
 */
enum RecordKey {
    /** A change record's {@code "key"}: a string's text, an integer's decimal text as written. */
    CHANGE("a \"key\" string or integer") {
        @Override
        String of(byte[] record) throws IOException {
            try (JsonParser parser = JSON.createParser(record)) {
                for (String name = firstField(parser); name != null; name = nextField(parser)) {
                    if (name.equals("key")) {
                        JsonToken value = parser.currentToken();
                        boolean text = value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT;
                        return text ? parser.getText() : null;
                    }
                }
                return null;
            }
        }
    },
    /**
     * An aggregate record's {@code [metric,group]}: its {@code "metric"} string and {@code "group"} object
     * exactly as the record writes them, in brackets, separated by a comma. For the job's compact records
     * that is {@code orjson.dumps([metric, group])}, the group's fields in the record's order.
     */
    AGGREGATE("a \"metric\" string and a \"group\" object") {
        @Override
        String of(byte[] record) throws IOException {
            String metric = null;
            String group = null;
            try (JsonParser parser = JSON.createParser(record)) {
                String name = firstField(parser);
                while (name != null && (metric == null || group == null)) {
                    JsonToken value = parser.currentToken();
                    if (name.equals("metric") && value == JsonToken.VALUE_STRING) {
                        metric = written(parser, record);
                    } else if (name.equals("group") && value == JsonToken.START_OBJECT) {
                        group = written(parser, record);
                    }
                    name = nextField(parser);
                }
            }
            return metric == null || group == null ? null : "[" + metric + "," + group + "]";
        }
    };

    private static final JsonFactory JSON = new JsonFactory();

    /** What a record needs for a key, for messages. */
    final String fields;

    RecordKey(String fields) {
        this.fields = fields;
    }

    /**
     * The key of {@code record} (UTF-8 JSON); {@code null} if it has none.
     *
     * @throws IOException if the record is no JSON as far as it was read
     */
    abstract String of(byte[] record) throws IOException;

    /** The name of the record's first field, the parser at its value; {@code null} if none or no object. */
    private static String firstField(JsonParser parser) throws IOException {
        return parser.nextToken() == JsonToken.START_OBJECT ? fieldAfter(parser) : null;
    }

    /** Skips the current value; then the next field's name, the parser at its value, or {@code null}. */
    private static String nextField(JsonParser parser) throws IOException {
        parser.skipChildren();
        return fieldAfter(parser);
    }

    private static String fieldAfter(JsonParser parser) throws IOException {
        if (parser.nextToken() != JsonToken.FIELD_NAME) {
            return null;
        }
        String name = parser.currentName();
        parser.nextToken();
        return name;
    }

    /** The current value's text as {@code record} has it; the parser at its last token. */
    private static String written(JsonParser parser, byte[] record) throws IOException {
        int start = (int) parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        parser.finishToken();
        int end = (int) parser.currentLocation().getByteOffset();
        return new String(record, start, end - start, StandardCharsets.UTF_8);
    }
}
