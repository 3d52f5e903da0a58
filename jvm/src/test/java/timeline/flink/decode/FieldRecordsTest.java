package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class FieldRecordsTest {
    private static final String SEPARATOR = String.valueOf(FieldRecords.SEPARATOR);

    /** The payload the BATCH job's decoder, with records of {@code fields}, makes of {@code line}. */
    private static String payload(List<String> fields, String line) {
        Row decoded = new EventDecoder("id", "ts", -1, new FieldRecords(fields)).decode(line, 0);
        return (String) decoded.getField(2);
    }

    @Test
    void aRecordIsTheKeyTimeAndEachFieldsTextAsWrittenAbsentOnesEmpty() {
        String line = "{\"id\": \"a\\u001fb\", \"ts\": 5, \"state\" :\"b\\\\u00e9\\\"\",\r\"bitrate\": 1.50E2,"
                + " \"tags\": {\"x\":\r[1, 2]}, \"state\": \"last\"}";
        assertThat(payload(List.of("state", "bitrate", "tags", "missing", "id"), line)).isEqualTo(String.join(SEPARATOR,
                "\"a\\u001fb\"", "5", "\"last\"", "1.50E2", "{\"x\": [1, 2]}", "", "\"a\\u001fb\""));
    }

    @Test
    void noFieldsAnIntegerKeyAndANullField() {
        assertThat(payload(List.of(), "{\"id\":1,\"ts\":7}")).isEqualTo("\"1\"" + SEPARATOR + "7");
        assertThat(payload(List.of("v"), "{\"id\":\"k\",\"ts\":7,\"v\":null}"))
                .isEqualTo(String.join(SEPARATOR, "\"k\"", "7", "null"));
    }

    @Test
    void aBadEventIsADeadLetterWithItsLineAsBefore() {
        Row decoded = new EventDecoder("id", "ts", -1, new FieldRecords(List.of("v"))).decode("{\"v\":", 0);
        assertThat(Decoded.isDeadLetter(decoded)).isTrue();
        assertThat(decoded.getField(2)).isEqualTo("{\"v\":");
    }
}
