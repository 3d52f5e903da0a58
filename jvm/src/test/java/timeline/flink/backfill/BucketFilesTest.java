package timeline.flink.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import timeline.flink.decode.Decoded;

class BucketFilesTest {
    private static final KeyBuckets TWO_BUCKETS = new KeyBuckets(2);

    /** An event as the BATCH job's decoder makes it, its payload its record. */
    private static Row event(String key, long position) {
        return Decoded.at(Decoded.event(key, 1, record(key, position)), position);
    }

    /** The record of the event of {@code key} at {@code position}: key, time and a field "é". */
    private static String record(String key, long position) {
        return "\"" + key + "\"\u001f1\u001f\"é" + position + "\"";
    }

    private static Tuple3<Integer, Long, byte[]> bucketed(String key, long position) {
        return TWO_BUCKETS.map(event(key, position));
    }

    private static List<String> batches(OneInputStreamOperatorTestHarness<Tuple3<Integer, Long, byte[]>, byte[]> harness) {
        return harness.extractOutputValues().stream().map(batch -> new String(batch, StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    /** A key in the other bucket than {@code key}'s. */
    private static String otherBucketThan(String key) {
        String other = "b";
        for (int n = 0; bucketed(other, 0).f0.equals(bucketed(key, 0).f0); n++) {
            other = "b" + n;
        }
        return other;
    }

    @Test
    void eachBucketIsOneBatchOfItsLinesInInputOrderReleasedAtTheEndOfTheInput() throws Exception {
        String other = otherBucketThan("a");
        try (var harness = new OneInputStreamOperatorTestHarness<>(new BucketFiles())) {
            harness.open();
            harness.processElement(bucketed("a", 30), 0);  // arrival out of input order
            harness.processElement(bucketed(other, 5), 0);
            harness.processElement(bucketed("a", 7), 0);
            harness.processElement(bucketed("a", (1L << 40) + 2), 0);  // the second file, after the first's lines
            assertThat(harness.extractOutputValues()).isEmpty();
            harness.endInput();
            assertThat(batches(harness)).containsExactlyInAnyOrder(
                    String.join("\n", record("a", 7), record("a", 30), record("a", (1L << 40) + 2)), record(other, 5));
        }
    }

    @Test
    void nothingIsReleasedEmptyAndEveryBucketAndSubtaskIsInRange() throws Exception {
        try (var harness = new OneInputStreamOperatorTestHarness<>(new BucketFiles())) {
            harness.open();
            harness.endInput();
            assertThat(harness.extractOutputValues()).isEmpty();
        }
        KeyBuckets seven = new KeyBuckets(7);
        for (String key : new String[] {"a", "ключ", "x".repeat(100), "-1"}) {
            Tuple3<Integer, Long, byte[]> bucketed = seven.map(event(key, 12));
            assertThat(bucketed.f0).isBetween(0, 6).isEqualTo(seven.map(event(key, 99)).f0);
            assertThat(seven.partition(bucketed.f0, 3)).isBetween(0, 2);
            assertThat(bucketed.f1).isEqualTo(12);
            assertThat(new String(bucketed.f2, StandardCharsets.UTF_8)).isEqualTo(record(key, 12));
        }
    }
}
