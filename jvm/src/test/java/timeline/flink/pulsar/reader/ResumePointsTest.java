package timeline.flink.pulsar.reader;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.junit.jupiter.api.Test;

class ResumePointsTest {
    private static final String TOPIC = "persistent://public/default/events-partition-0";
    private static final String OTHER = "persistent://public/default/events-partition-1";

    @Test
    void theBatchUpToTheCheckpointedMessageWasEmittedAndTheFirstLaterMessageEndsTheResumption() {
        ResumePoints points = new ResumePoints();
        BatchMessageIdImpl checkpointed = new BatchMessageIdImpl(3, 7, 0, 2);
        points.add(TOPIC, checkpointed);

        assertThat(points.alreadyEmitted(FakeMessages.at(TOPIC, new BatchMessageIdImpl(3, 7, 0, 0)))).isTrue();
        assertThat(points.alreadyEmitted(FakeMessages.at(TOPIC, new BatchMessageIdImpl(3, 7, 0, 2)))).isTrue();
        assertThat(points.alreadyEmitted(FakeMessages.at(OTHER, new BatchMessageIdImpl(3, 7, 0, 0)))).isFalse();
        assertThat(points.of(TOPIC)).isEqualTo(checkpointed);

        assertThat(points.alreadyEmitted(FakeMessages.at(TOPIC, new BatchMessageIdImpl(3, 7, 0, 3)))).isFalse();
        assertThat(points.of(TOPIC)).isNull();
        assertThat(points.alreadyEmitted(FakeMessages.at(TOPIC, new BatchMessageIdImpl(3, 7, 0, 1)))).isFalse();
    }

    @Test
    void aMessageOfALaterEntryEndsTheResumption() {
        ResumePoints points = new ResumePoints();
        points.add(TOPIC, new BatchMessageIdImpl(3, 7, 0, 2));
        assertThat(points.alreadyEmitted(FakeMessages.at(TOPIC, new MessageIdImpl(3, 8, 0)))).isFalse();
        assertThat(points.of(TOPIC)).isNull();
    }
}
