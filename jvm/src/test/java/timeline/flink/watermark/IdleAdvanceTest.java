package timeline.flink.watermark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class IdleAdvanceTest {
    private static final long IDLE_TIMEOUT = 1000;
    private static final long CHECK_EVERY = 100;

    private static OneInputStreamOperatorTestHarness<String, String> harness() throws Exception {
        OneInputStreamOperatorTestHarness<String, String> harness =
                new OneInputStreamOperatorTestHarness<>(new IdleAdvance<>(IDLE_TIMEOUT, CHECK_EVERY));
        harness.setProcessingTime(0);
        harness.open();
        return harness;
    }

    private static List<Long> watermarks(OneInputStreamOperatorTestHarness<String, String> harness) {
        return harness.getOutput().stream().filter(Watermark.class::isInstance)
                .map(mark -> ((Watermark) mark).getTimestamp()).collect(Collectors.toList());
    }

    @Test
    void recordsAndRisingWatermarksPassUnchanged() throws Exception {
        try (var harness = harness()) {
            harness.processElement("a", 5);
            harness.processWatermark(new Watermark(10));
            harness.processWatermark(new Watermark(8));
            harness.processWatermark(new Watermark(12));
            assertThat(harness.extractOutputValues()).containsExactly("a");
            assertThat(watermarks(harness)).containsExactly(10L, 12L);
        }
    }

    @Test
    void whileTheInputIsIdleAndQuietEventTimeFollowsTheClock() throws Exception {
        try (var harness = harness()) {
            harness.processWatermark(new Watermark(10_000));
            harness.setProcessingTime(200);
            harness.processElement("a", 10_500);
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.setProcessingTime(1100);  // quiet for 900 ms only
            assertThat(watermarks(harness)).containsExactly(10_000L);
            for (long now = 1200; now <= 1500; now += CHECK_EVERY) {
                harness.setProcessingTime(now);  // quiet for 1000 ms and more: W + quiet
            }
            assertThat(watermarks(harness)).containsExactly(10_000L, 11_000L, 11_100L, 11_200L, 11_300L);
            assertThat(harness.getOutput()).noneMatch(WatermarkStatus.class::isInstance);
        }
    }

    @Test
    void anActiveInputOrARecordKeepsEventTimeWhereItIs() throws Exception {
        try (var harness = harness()) {
            harness.processWatermark(new Watermark(10_000));
            harness.setProcessingTime(5000);  // quiet, but the input is active
            assertThat(watermarks(harness)).containsExactly(10_000L);

            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.processElement("a", 10_001);  // a record restarts the quiet time
            harness.setProcessingTime(5900);
            assertThat(watermarks(harness)).containsExactly(10_000L);
            harness.setProcessingTime(6000);
            assertThat(watermarks(harness)).containsExactly(10_000L, 11_000L);

            harness.processWatermarkStatus(WatermarkStatus.ACTIVE);
            harness.setProcessingTime(9000);
            assertThat(watermarks(harness)).containsExactly(10_000L, 11_000L);
        }
    }

    @Test
    void nothingMovesBeforeTheFirstWatermarkOrAfterTheLast() throws Exception {
        try (var harness = harness()) {
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.setProcessingTime(5000);
            assertThat(watermarks(harness)).isEmpty();
            harness.processWatermark(Watermark.MAX_WATERMARK);
            harness.setProcessingTime(10_000);
            assertThat(watermarks(harness)).containsExactly(Long.MAX_VALUE);
        }
    }

    @Test
    void anInputWatermarkAboveTheAdvancedOnePassesAndALowerOneDoesNot() throws Exception {
        try (var harness = harness()) {
            harness.processWatermark(new Watermark(10_000));
            harness.processWatermarkStatus(WatermarkStatus.IDLE);
            harness.setProcessingTime(3000);  // advanced to 13,000
            harness.processWatermark(new Watermark(12_000));
            harness.processWatermark(new Watermark(20_000));
            assertThat(watermarks(harness)).endsWith(13_000L, 20_000L).doesNotContain(12_000L);
            assertThat(harness.getOutput().stream().filter(StreamRecord.class::isInstance)).isEmpty();
        }
    }
}
