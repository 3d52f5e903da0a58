package timeline.flink.instants;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;

class InstantBatchesTest {
    private static final int MAX_PARALLELISM = 16;
    private static final String SEPARATOR = String.valueOf(Instants.PAYLOAD_SEPARATOR);

    private static OneInputStreamOperatorTestHarness<Row, Row> harness() throws Exception {
        OneInputStreamOperatorTestHarness<Row, Row> harness =
                new OneInputStreamOperatorTestHarness<>(new InstantBatches(), MAX_PARALLELISM, 1, 0);
        harness.open();
        return harness;
    }

    private static void instant(OneInputStreamOperatorTestHarness<Row, Row> harness, String key, long time,
                                String... payloads) throws Exception {
        harness.processElement(Row.of(key, Tuple3.of(key, time, String.join(SEPARATOR, payloads))), time);
    }

    private static int keyGroup(String key) {
        return KeyGroupRangeAssignment.assignToKeyGroup(Row.of(key), MAX_PARALLELISM);
    }

    /** Two keys of one key group, and one of another. */
    private static String[] keysSharingAGroup() {
        Map<Integer, String> firstOfGroup = new HashMap<>();
        for (int i = 0; ; i++) {
            String key = "k" + i;
            String earlier = firstOfGroup.putIfAbsent(keyGroup(key), key);
            if (earlier != null) {
                String other = keyGroup("x") == keyGroup(key) ? "y" : "x";
                return new String[] {earlier, key, other};
            }
        }
    }

    private static Map<String, String> batchesByBucket(List<Row> batches) {
        return batches.stream().collect(Collectors.toMap(row -> (String) row.getField(0), row -> (String) row.getField(1)));
    }

    @Test
    void eachKeyGroupHasABucketNamedByAKeyOfThatGroup() {
        String[] names = InstantBatches.bucketNames(MAX_PARALLELISM);
        assertThat(names).hasSize(MAX_PARALLELISM).doesNotContainNull().doesNotHaveDuplicates();
        for (int group = 0; group < MAX_PARALLELISM; group++) {
            assertThat(keyGroup(names[group])).isEqualTo(group);
        }
    }

    @Test
    void theInstantsOfOneWatermarkStepLeaveAsOneBatchPerBucketBeforeTheWatermark() throws Exception {
        String[] keys = keysSharingAGroup();
        try (var harness = harness()) {
            instant(harness, keys[0], 5, "{\"a\":1}", "{\"a\":2}");
            instant(harness, keys[2], 5, "{\"c\":1}");
            instant(harness, keys[1], 6, "{\"b\":1}");
            instant(harness, keys[0], 7, "{\"a\":3}");
            assertThat(harness.getOutput()).isEmpty();
            harness.processWatermark(new Watermark(7));

            List<Row> batches = harness.extractOutputValues();
            assertThat(batches).hasSize(2);
            for (Row batch : batches) {
                assertThat(keyGroup((String) batch.getField(0))).isIn(keyGroup(keys[0]), keyGroup(keys[2]));
            }
            Map<String, String> byBucket = batchesByBucket(batches);
            String shared = InstantBatches.bucketNames(MAX_PARALLELISM)[keyGroup(keys[0])];
            String other = InstantBatches.bucketNames(MAX_PARALLELISM)[keyGroup(keys[2])];
            assertThat(byBucket).containsOnlyKeys(shared, other);
            assertThat(byBucket.get(shared)).isEqualTo(String.format(
                    "[[\"%s\",5,[{\"a\":1},{\"a\":2}]],[\"%s\",6,[{\"b\":1}]],[\"%s\",7,[{\"a\":3}]]]", keys[0], keys[1], keys[0]));
            assertThat(byBucket.get(other)).isEqualTo(String.format("[[\"%s\",5,[{\"c\":1}]]]", keys[2]));
            assertThat(List.copyOf(harness.getOutput()).get(2)).isEqualTo(new Watermark(7));

            instant(harness, keys[1], 8, "{\"b\":2}");
            harness.processWatermark(new Watermark(8));
            assertThat(harness.extractOutputValues()).hasSize(3);
            assertThat(harness.extractOutputValues().get(2)).isEqualTo(
                    Row.of(shared, String.format("[[\"%s\",8,[{\"b\":2}]]]", keys[1])));
        }
    }

    @Test
    void aKeyIsWrittenAsAJsonString() throws Exception {
        try (var harness = harness()) {
            instant(harness, "say \"hi\"\n", 1, "{}");
            harness.processWatermark(new Watermark(1));
            assertThat(harness.extractOutputValues().get(0).getField(1)).isEqualTo("[[\"say \\\"hi\\\"\\n\",1,[{}]]]");
        }
    }

    @Test
    void openBatchesLeaveBeforeACheckpointBarrier() throws Exception {
        try (var harness = harness()) {
            instant(harness, "a", 1, "{}");
            harness.prepareSnapshotPreBarrier(1);
            assertThat(harness.extractOutputValues()).extracting(row -> row.getField(1)).containsExactly("[[\"a\",1,[{}]]]");
            harness.prepareSnapshotPreBarrier(2);
            assertThat(harness.extractOutputValues()).hasSize(1);
        }
    }

    @Test
    void openBatchesLeaveAtTheEndOfTheInput() throws Exception {
        try (var harness = harness()) {
            instant(harness, "a", 1, "{}");
            harness.endInput();
            assertThat(harness.getOutput()).hasSize(1);
            assertThat(((StreamRecord<?>) harness.getOutput().poll()).getValue()).isEqualTo(Row.of(InstantBatches.bucketNames(MAX_PARALLELISM)[keyGroup("a")], "[[\"a\",1,[{}]]]"));
        }
    }
}
