package timeline.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class RecordKeyTest {
    private static String change(String record) throws IOException {
        return RecordKey.CHANGE.of(record.getBytes(StandardCharsets.UTF_8));
    }

    private static String aggregate(String record) throws IOException {
        return RecordKey.AGGREGATE.of(record.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aChangeRecordIsKeyedByItsKeyStringOrInteger() throws IOException {
        assertThat(change("{\"key\":\"s1\",\"timeline\":\"cirr\",\"time\":5,\"value\":true}")).isEqualTo("s1");
        assertThat(change("{\"timeline\":\"cirr\",\"nested\":{\"key\":\"no\"},\"key\":\"s\\u00e9\\n\"}")).isEqualTo("s\u00e9\n");
        assertThat(change("{\"key\":12345678901234567890}")).isEqualTo("12345678901234567890");
    }

    @Test
    void aChangeRecordWithoutAKeyOfTheRightTypeHasNone() throws IOException {
        assertThat(change("{\"timeline\":\"cirr\"}")).isNull();
        assertThat(change("{\"key\":1.5}")).isNull();
        assertThat(change("{\"key\":null}")).isNull();
        assertThat(change("[\"key\",\"s1\"]")).isNull();
    }

    @Test
    void anAggregateRecordIsKeyedByItsMetricAndGroupAsWritten() throws IOException {
        assertThat(aggregate("{\"metric\":\"cirr_by_cdn\",\"group\":{\"cdn\":\"akamai\",\"n\":[1, 2]},\"time\":60000,\"avg\":0.5}"))
                .isEqualTo("[\"cirr_by_cdn\",{\"cdn\":\"akamai\",\"n\":[1, 2]}]");
        assertThat(aggregate("{\"group\":{},\"time\":1,\"metric\":\"m\\\"\"}")).isEqualTo("[\"m\\\"\",{}]");
        assertThat(aggregate("{\"metric\":\"m\",\"group\":[1]}")).isNull();
        assertThat(aggregate("{\"metric\":\"m\"}")).isNull();
    }

    @Test
    void aRecordThatIsNotJsonIsRefused() {
        assertThatThrownBy(() -> change("{\"key\" \"s1\"}")).isInstanceOf(IOException.class);
    }
}
