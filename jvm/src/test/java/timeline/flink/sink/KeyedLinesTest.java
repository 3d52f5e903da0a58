package timeline.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.junit.jupiter.api.Test;

class KeyedLinesTest {
    private static List<Tuple2<String, byte[]>> keyed(byte[] lines) {
        List<Tuple2<String, byte[]>> records = new ArrayList<>();
        new KeyedLines().flatMap(lines, new ListCollector<>(records));
        return records;
    }

    private static List<String> split(String lines) {
        return keyed(lines.getBytes(StandardCharsets.UTF_8)).stream()
                .map(record -> record.f0 + " -> " + new String(record.f1, StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    @Test
    void eachLineIsARecordWithItsKeyInTheirOrder() {
        assertThat(split("2:s1{\"key\":\"s1\",\"time\":1}\n2:s1{\"key\":\"s1\",\"time\":2}\n3:s10{\"key\":\"s10\"}"))
                .containsExactly("s1 -> {\"key\":\"s1\",\"time\":1}", "s1 -> {\"key\":\"s1\",\"time\":2}",
                        "s10 -> {\"key\":\"s10\"}");
    }

    @Test
    void aKeyIsTakenByItsUtf8LengthWhateverItHolds() {
        String key = "a:\n\u00e9\uD83D\uDE00";  // 1 + 1 + 1 + 2 + 4 bytes
        assertThat(split("9:" + key + "{\"key\":\"a:\\n\"}\n13:[\"m\",{\"g\":1}]{\"metric\":\"m\"}"))
                .containsExactly(key + " -> {\"key\":\"a:\\n\"}", "[\"m\",{\"g\":1}] -> {\"metric\":\"m\"}");
    }

    @Test
    void theRecordIsPassedOnAsItsBytes() {
        List<Tuple2<String, byte[]>> records = keyed("1:k{\"v\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(records).hasSize(1);
        assertThat(records.get(0).f1).containsExactly("{\"v\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void somethingElseIsRefusedWithWhatItIs() {
        assertThatThrownBy(() -> split("{\"key\":\"s1\"}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a keyed record at byte 0: {\"key\":\"s1\"}");
        assertThatThrownBy(() -> split("2:s1{}\n9:s1")).hasMessage("not a keyed record at byte 7: 9:s1");
        assertThatThrownBy(() -> split(":{}")).hasMessage("not a keyed record at byte 0: :{}");
    }
}
