package timeline.flink.sink;

import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.connector.pulsar.sink.writer.context.PulsarSinkContext;
import org.apache.flink.connector.pulsar.sink.writer.message.PulsarMessage;
import org.apache.flink.connector.pulsar.sink.writer.serializer.PulsarSerializationSchema;

/**
 * The job's {@code (key, record)} pairs ({@link KeyedLines}) as Pulsar messages: the payload is the
 * record's UTF-8 JSON unchanged, the message key the key the Python operator gave it (a change record's
 * entity key, an aggregate record's {@code [metric,group]}).
 *
 * <p>With {@code TopicRoutingMode.MESSAGE_KEY_HASH} every key goes to one partition of the topic, in
 * the order its subtask wrote it, and consumers can use Key_Shared subscriptions and topic compaction.
 */
public final class KeyedRecords implements PulsarSerializationSchema<Tuple2<String, byte[]>> {
    private static final long serialVersionUID = 1L;

    @Override
    public PulsarMessage<byte[]> serialize(Tuple2<String, byte[]> keyed, PulsarSinkContext sinkContext) {
        return PulsarMessage.builder(keyed.f1).key(keyed.f0).build();
    }
}
