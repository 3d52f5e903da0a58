package timeline.flink.pulsar.reader;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.pulsar.source.reader.deserializer.PulsarDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.junit.jupiter.api.Test;

class ResumingDeserializationSchemaTest {
    private static final String TOPIC = "persistent://public/default/events-partition-0";

    /** Deserializes a message to its id's text. */
    private static final class IdText implements PulsarDeserializationSchema<String> {
        @Override
        public void deserialize(Message<byte[]> message, Collector<String> out) {
            out.collect(message.getMessageId().toString());
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return Types.STRING;
        }
    }

    @Test
    void theMessagesOfTheResumedBatchUpToTheCheckpointedOneAreDropped() throws Exception {
        ResumePoints points = new ResumePoints();
        points.add(TOPIC, new BatchMessageIdImpl(3, 7, 0, 1));
        ResumingDeserializationSchema<String> schema = new ResumingDeserializationSchema<>(new IdText(), points);
        List<String> out = new ArrayList<>();
        for (int index = 0; index < 4; index++) {
            MessageId id = new BatchMessageIdImpl(3, 7, 0, index);
            schema.deserialize(FakeMessages.at(TOPIC, id), new ListCollector<>(out));
        }
        assertThat(out).containsExactly(new BatchMessageIdImpl(3, 7, 0, 2).toString(),
                new BatchMessageIdImpl(3, 7, 0, 3).toString());
        assertThat(schema.getProducedType()).isEqualTo(Types.STRING);
    }
}
