package timeline.flink.instants;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import timeline.flink.decode.Decoded;
import timeline.flink.decode.DeadLetters;

class InstantsTest {
    private static final String SEPARATOR = String.valueOf(Instants.PAYLOAD_SEPARATOR);

    static KeyedOneInputStreamOperatorTestHarness<Row, Row, Row> harness() throws Exception {
        return harness(new Instants());
    }

    static KeyedOneInputStreamOperatorTestHarness<Row, Row, Row> harness(Instants instants) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<Row, Row, Row> harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(instants), event -> Row.of(event.getField(0)),
                Types.ROW(Types.STRING));
        harness.open();
        return harness;
    }

    static void event(KeyedOneInputStreamOperatorTestHarness<Row, Row, Row> harness, String key, long time,
                      String payload) throws Exception {
        harness.processElement(Decoded.event(key, time, payload), time);
    }

    @SuppressWarnings("unchecked")
    static List<Tuple3<String, Long, String>> instants(KeyedOneInputStreamOperatorTestHarness<Row, Row, Row> harness) {
        return harness.extractOutputValues().stream()
                .map(row -> {
                    assertThat(row.getField(0)).isEqualTo(((Tuple3<String, Long, String>) row.getField(1)).f0);
                    return (Tuple3<String, Long, String>) row.getField(1);
                })
                .collect(Collectors.toList());
    }

    @Test
    void eventsOfOneKeyAtOneTimeLeaveAsOneInstantInArrivalOrder() throws Exception {
        try (var harness = harness()) {
            event(harness, "a", 5, "{\"n\":1}");
            event(harness, "b", 5, "{\"n\":2}");
            event(harness, "a", 5, "{\"n\":3}");
            harness.processWatermark(new Watermark(5));
            assertThat(instants(harness)).containsExactlyInAnyOrder(
                    Tuple3.of("a", 5L, "{\"n\":1}" + SEPARATOR + "{\"n\":3}"), Tuple3.of("b", 5L, "{\"n\":2}"));
        }
    }

    @Test
    void instantsLeaveInTimeOrderOnlyOnceTheWatermarkReachesThem() throws Exception {
        try (var harness = harness()) {
            event(harness, "a", 30, "{\"t\":30}");
            event(harness, "a", 10, "{\"t\":10}");
            event(harness, "a", 20, "{\"t\":20}");
            harness.processWatermark(new Watermark(19));
            assertThat(instants(harness)).containsExactly(Tuple3.of("a", 10L, "{\"t\":10}"));
            harness.processWatermark(new Watermark(30));
            assertThat(instants(harness)).containsExactly(Tuple3.of("a", 10L, "{\"t\":10}"),
                    Tuple3.of("a", 20L, "{\"t\":20}"), Tuple3.of("a", 30L, "{\"t\":30}"));
        }
    }

    @Test
    void aWatermarkIsForwardedAfterTheInstantsItReleases() throws Exception {
        try (var harness = harness()) {
            event(harness, "a", 10, "{}");
            harness.processWatermark(new Watermark(10));
            assertThat(harness.getOutput()).hasSize(2);
            assertThat(harness.getOutput().poll()).isInstanceOf(StreamRecord.class);
            assertThat(harness.getOutput().poll()).isEqualTo(new Watermark(10));
        }
    }

    @Test
    void anEventAtOrBelowTheWatermarkIsLateAndADeadLetter() throws Exception {
        try (var harness = harness()) {
            harness.processWatermark(new Watermark(10));
            event(harness, "a", 10, "{\"late\":1}");
            event(harness, "a", 9, "{\"late\":2}");
            event(harness, "a", 11, "{\"on time\":3}");
            harness.processWatermark(new Watermark(11));
            assertThat(instants(harness)).containsExactly(Tuple3.of("a", 11L, "{\"on time\":3}"));
            assertThat(harness.getSideOutput(Instants.late())).extracting(StreamRecord::getValue).containsExactly(
                    DeadLetters.json("{\"late\":1}", "late"), DeadLetters.json("{\"late\":2}", "late"));
            assertThat(DeadLetters.json("{\"late\":1}", "late")).isEqualTo("{\"reason\":\"late\",\"payload\":\"{\\\"late\\\":1}\"}");
        }
    }

    @Test
    void pendingInstantsAndTheirTimersSurviveASnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var harness = harness()) {
            event(harness, "a", 10, "{\"n\":1}");
            event(harness, "b", 20, "{\"n\":2}");
            harness.processWatermark(new Watermark(5));
            snapshot = harness.snapshot(1, 100);
        }
        try (var restored = new KeyedOneInputStreamOperatorTestHarness<Row, Row, Row>(
                new KeyedProcessOperator<>(new Instants()), event -> Row.of(event.getField(0)),
                Types.ROW(Types.STRING))) {
            restored.initializeState(snapshot);
            restored.open();
            event(restored, "a", 10, "{\"n\":3}");
            restored.processWatermark(new Watermark(20));
            assertThat(instants(restored)).containsExactly(
                    Tuple3.of("a", 10L, "{\"n\":1}" + SEPARATOR + "{\"n\":3}"), Tuple3.of("b", 20L, "{\"n\":2}"));
        }
    }
}
