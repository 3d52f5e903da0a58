package timeline.flink.pulsar.reader;

import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The restored read position of each topic partition whose checkpoint ended inside a batched entry,
 * until the reader has passed it. Used by one source reader's task thread only.
 */
public final class ResumePoints implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Full topic name (with its partition suffix) to the last message the checkpoint had emitted. */
    private final Map<String, MessageId> pending = new HashMap<>();

    void add(String topic, MessageId lastEmitted) {
        pending.put(topic, lastEmitted);
    }

    /** The checkpointed message of {@code topic} while the reader has not passed it yet, else null. */
    MessageId of(String topic) {
        return pending.get(topic);
    }

    /**
     * True when {@code message} was emitted before the checkpoint (it is at or before the resume point);
     * the first message past the point ends the topic's resumption.
     */
    boolean alreadyEmitted(Message<?> message) {
        MessageId lastEmitted = pending.get(message.getTopicName());
        if (lastEmitted == null) {
            return false;
        }
        BatchPosition position = BatchPosition.of(message.getMessageId());
        if (position != null && position.compareTo(BatchPosition.of(lastEmitted)) <= 0) {
            return true;
        }
        pending.remove(message.getTopicName());
        return false;
    }
}
