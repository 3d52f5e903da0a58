package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DeadLetterCountTest {
    /** The cases of tests/unit/test_decode.py's test of engine.decode.reason_class. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "time field \"ts\" is not ISO-8601: \"so\\\"on\" | time field is not ISO-8601",
        "key field \"a:\\\"b\" is not a string or integer: true | key field is not a string or integer",
        "event too large: 9 bytes (limit 8) | event too large",
        "late | late",
        "\"only quoted\" | unknown",
    })
    void aReasonsClassLeavesTheDetailsOut(String reason, String general) {
        assertThat(Reasons.general(reason)).isEqualTo(general);
    }

    @Test
    void aCutStringIsLeftOutWithItsEllipsis() {
        assertThat(Reasons.general("time field \"ts\" is not ISO-8601: \"" + "x".repeat(64) + "\"..."))
                .isEqualTo("time field is not ISO-8601");
    }

    @Test
    void deadLettersPassUnchanged() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(new DeadLetterCount()))) {
            harness.open();
            String letter = DeadLetters.json("{\"ts\":\"soon\"}", "time field \"ts\" is not ISO-8601: \"soon\"");
            harness.processElement(letter, 0);
            harness.processElement(DeadLetters.json("x", "late"), 0);
            assertThat(harness.extractOutputValues()).containsExactly(letter, DeadLetters.json("x", "late"));
        }
    }
}
