package timeline.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.functions.util.ListCollector;
import org.junit.jupiter.api.Test;

class LinesTest {
    private static List<String> split(String lines) {
        List<String> records = new ArrayList<>();
        new Lines().flatMap(lines, new ListCollector<>(records));
        return records;
    }

    @Test
    void eachLineIsARecordInItsOrder() {
        assertThat(split("{\"a\":1}\n{\"b\":2}\n{\"c\":3}")).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
        assertThat(split("{\"a\":1}")).containsExactly("{\"a\":1}");
    }

    @Test
    void onlyANewlineEndsALine() {
        assertThat(split("{\"a\":\"x\\ny\"}\r\n{}")).containsExactly("{\"a\":\"x\\ny\"}\r", "{}");
    }
}
