package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FieldRecordsTest {
    private static final String SEPARATOR = String.valueOf(FieldRecords.SEPARATOR);

    @Test
    void aRecordIsTheKeyTimeAndEachFieldsTextAsWrittenAbsentOnesEmpty() {
        FieldRecords records = new FieldRecords(List.of("state", "bitrate", "tags", "missing", "id"));
        String line = "{\"id\": \"a\\u001fb\", \"ts\": 5, \"state\" :\"b\\\\u00e9\\\"\",\r\"bitrate\": 1.50E2,"
                + " \"tags\": {\"x\":\r[1, 2]}, \"state\": \"last\"}";
        assertThat(records.of("a\u001fb", 5, line)).isEqualTo(String.join(SEPARATOR,
                "\"a\\u001fb\"", "5", "\"last\"", "1.50E2", "{\"x\": [1, 2]}", "", "\"a\\u001fb\""));
    }

    @Test
    void noFieldsAndANullField() {
        assertThat(new FieldRecords(List.of()).of("k", 7, "{\"k\":1}")).isEqualTo("\"k\"" + SEPARATOR + "7");
        assertThat(new FieldRecords(List.of("v")).of("k", 7, "{\"v\":null}"))
                .isEqualTo(String.join(SEPARATOR, "\"k\"", "7", "null"));
    }

    @Test
    void aLineThatIsNotJsonIsRefused() {
        assertThatThrownBy(() -> new FieldRecords(List.of("v")).of("k", 7, "{\"v\":"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed JSON");
    }
}
