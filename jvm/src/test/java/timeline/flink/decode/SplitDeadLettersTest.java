package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class SplitDeadLettersTest {
    @Test
    void eventsPassOnAndDeadLettersGoAsideAsRecords() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<Row, Row>(new ProcessOperator<>(new SplitDeadLetters()),
                Decoded.type().createSerializer(new SerializerConfigImpl()))) {
            harness.setup(Decoded.type().createSerializer(new SerializerConfigImpl()));
            harness.open();
            harness.processElement(Decoded.event("a", 1, "{\"id\":\"a\",\"ts\":1}"), 1);
            harness.processElement(Decoded.deadLetter("{oops", "malformed JSON"), 0);
            assertThat(harness.extractOutputValues()).containsExactly(Decoded.event("a", 1, "{\"id\":\"a\",\"ts\":1}"));
            assertThat(harness.getSideOutput(SplitDeadLetters.deadLetters())).extracting(StreamRecord::getValue)
                    .containsExactly("{\"reason\":\"malformed JSON\",\"payload\":\"{oops\"}");
        }
    }
}
