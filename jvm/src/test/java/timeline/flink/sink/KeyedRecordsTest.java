package timeline.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.pulsar.sink.writer.message.PulsarMessage;
import org.junit.jupiter.api.Test;

class KeyedRecordsTest {
    @Test
    void theMessageIsTheRecordUnchangedWithItsKey() {
        String key = "[\"cirr_by_cdn\",{\"cdn\":\"akamai\"}]";
        byte[] record = "{\"metric\":\"cirr_by_cdn\",\"group\":{\"cdn\":\"akamai\"}}".getBytes(StandardCharsets.UTF_8);
        PulsarMessage<byte[]> message = new KeyedRecords().serialize(Tuple2.of(key, record), null);
        assertThat(message.getKey()).isEqualTo(key);
        assertThat(message.getValue()).isSameAs(record);
    }
}
