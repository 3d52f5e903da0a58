package timeline.flink.sink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.flink.api.common.serialization.SerializationSchema.InitializationContext;
import org.apache.flink.connector.pulsar.sink.config.SinkConfiguration;
import org.apache.flink.connector.pulsar.sink.writer.context.PulsarSinkContext;
import org.apache.flink.connector.pulsar.sink.writer.message.PulsarMessage;
import org.apache.flink.connector.pulsar.sink.writer.message.PulsarMessageBuilder;
import org.apache.flink.connector.pulsar.sink.writer.serializer.PulsarSerializationSchema;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's JSON records as Pulsar messages: the payload is the record's UTF-8 text unchanged, the
 * message key the record's key ({@link #changes()}, {@link #aggregates()}).
 *
 * <p>With {@code TopicRoutingMode.MESSAGE_KEY_HASH} every key goes to one partition of the topic, in
 * the order its subtask wrote it, and consumers can use Key_Shared subscriptions and topic compaction.
 * A record without a key (not JSON, the field missing or of another type, or an empty key, which
 * Pulsar does not keep) is written without one, to a random partition: it is counted in the sink's
 * {@code unkeyedRecords} metric and the first one of each subtask is logged as a warning.
 */
public final class KeyedRecords implements PulsarSerializationSchema<String> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KeyedRecords.class);
    private static final int LOGGED_CHARS = 200;

    private final RecordKey key;
    private transient Counter unkeyed;

    private KeyedRecords(RecordKey key) {
        this.key = key;
    }

    /** Change records {@code {"key":"s1","timeline":"cirr",...}}, keyed by their {@code "key"}. */
    public static KeyedRecords changes() {
        return new KeyedRecords(RecordKey.CHANGE);
    }

    /**
     * Aggregate records {@code {"metric":"cirr_by_cdn","group":{"cdn":"akamai"},...}}, keyed by
     * {@code ["cirr_by_cdn",{"cdn":"akamai"}]}: the metric and the group as the record writes them.
     */
    public static KeyedRecords aggregates() {
        return new KeyedRecords(RecordKey.AGGREGATE);
    }

    @Override
    public void open(InitializationContext context, PulsarSinkContext sinkContext, SinkConfiguration configuration) {
        unkeyed = context.getMetricGroup().counter("unkeyedRecords");
    }

    @Override
    public PulsarMessage<byte[]> serialize(String record, PulsarSinkContext sinkContext) {
        byte[] payload = record.getBytes(StandardCharsets.UTF_8);
        PulsarMessageBuilder<byte[]> message = PulsarMessage.builder(payload);
        String text = keyOf(payload, record);
        if (text != null) {
            message.key(text);
        }
        return message.build();
    }

    private String keyOf(byte[] payload, String record) {
        String reason;
        try {
            String text = key.of(payload);
            if (text != null && !text.isEmpty()) {
                return text;
            }
            reason = text == null ? "it has no " + key.fields : "its key is empty";
        } catch (IOException notJson) {
            reason = notJson.getMessage();
        }
        if (unkeyed.getCount() == 0) {
            LOG.warn("A record is written without a message key ({}; further ones are only counted in "
                    + "unkeyedRecords): {}", reason, record.substring(0, Math.min(record.length(), LOGGED_CHARS)));
        }
        unkeyed.inc();
        return null;
    }
}
