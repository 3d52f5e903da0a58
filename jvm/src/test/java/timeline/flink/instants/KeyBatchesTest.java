package timeline.flink.instants;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class KeyBatchesTest {
    private static OneInputStreamOperatorTestHarness<Row, String> harness(int maxChars) throws Exception {
        OneInputStreamOperatorTestHarness<Row, String> harness = new OneInputStreamOperatorTestHarness<>(new KeyBatches(maxChars));
        harness.open();
        return harness;
    }

    private static void instant(OneInputStreamOperatorTestHarness<Row, String> harness, String key, long time,
                                String payloads) throws Exception {
        harness.processElement(Row.of(key, Tuple3.of(key, time, payloads)), time);
    }

    @Test
    void aBatchClosesAtTheFirstKeyAfterItReachesItsSizeNeverInsideAKey() throws Exception {
        try (var harness = harness(20)) {
            instant(harness, "a", 1, "{\"n\":1}");
            instant(harness, "a", 2, "{\"n\":2}" + Instants.PAYLOAD_SEPARATOR + "{\"n\":3}");  // 20 characters and more
            instant(harness, "a", 3, "{\"n\":4}");  // still key a: same batch
            assertThat(harness.extractOutputValues()).isEmpty();
            instant(harness, "b", 1, "{\"n\":5}");
            instant(harness, "c", 1, "{}");
            harness.endInput();
            assertThat(harness.extractOutputValues()).containsExactly(
                    "[[\"a\",1,[{\"n\":1}]],[\"a\",2,[{\"n\":2},{\"n\":3}]],[\"a\",3,[{\"n\":4}]]]",
                    "[[\"b\",1,[{\"n\":5}]],[\"c\",1,[{}]]]");
        }
    }

    @Test
    void smallKeysShareABatchReleasedBeforeAWatermarkAndNothingIsReleasedEmpty() throws Exception {
        try (var harness = harness(1 << 20)) {
            instant(harness, "a", 1, "{}");
            instant(harness, "b", 1, "{}");
            harness.processWatermark(new Watermark(Long.MAX_VALUE));
            harness.endInput();
            assertThat(harness.getOutput()).hasSize(2);
            assertThat(harness.extractOutputValues()).containsExactly("[[\"a\",1,[{}]],[\"b\",1,[{}]]]");
            assertThat(harness.getOutput().toArray()[1]).isEqualTo(new Watermark(Long.MAX_VALUE));
        }
    }
}
