package timeline.flink.pulsar.reader;

import org.apache.flink.connector.pulsar.source.enumerator.cursor.StopCursor;
import org.apache.flink.connector.pulsar.source.enumerator.topic.TopicPartition;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionMode;

import java.util.UUID;

/**
 * A bounded read's end: every message of the entry that was its partition's last when the split opened.
 *
 * <p>The connector's latest cursor compares message ids with the last message id the broker reports, which
 * names an entry that is a batch of one message with batch index -1, while the consumer receives that
 * message with batch index 0: the connector then stopped just before it, and a bounded read lost the
 * partition's last message whenever a batching producer had sent it alone. Entries are written whole, so
 * this cursor compares entries and ends at the last message of the last one.
 */
public final class LastEntryStopCursor implements StopCursor {
    private static final long serialVersionUID = 1L;

    private long ledgerId;
    private long entryId;
    private boolean opened;  // ledgerId and entryId are set; checkpointed with the split, so a restore keeps them

    @Override
    public void open(PulsarClient client, TopicPartition partition) throws PulsarClientException {
        if (opened) {
            return;
        }
        try (Consumer<byte[]> consumer = client.newConsumer(Schema.BYTES)
                .topic(partition.getFullTopicName())
                .subscriptionName(LastEntryStopCursor.class.getSimpleName() + "-" + UUID.randomUUID())
                .subscriptionMode(SubscriptionMode.NonDurable)  // gone when closed; unique, so jobs reading at once never clash
                .subscribe()) {
            MessageIdAdv last = (MessageIdAdv) consumer.getLastMessageId();
            ledgerId = last.getLedgerId();
            entryId = last.getEntryId();
            opened = true;
        } catch (java.io.IOException e) {
            throw PulsarClientException.unwrap(e);
        }
    }

    @Override
    public StopCondition shouldStop(Message<?> message) {
        MessageIdAdv id = (MessageIdAdv) message.getMessageId();
        int entry = Long.compare(id.getLedgerId(), ledgerId);
        if (entry == 0) {
            entry = Long.compare(id.getEntryId(), entryId);
        }
        if (entry > 0) {
            return StopCondition.TERMINATE;
        }
        return entry == 0 && lastOfItsEntry(id) ? StopCondition.EXACTLY : StopCondition.CONTINUE;
    }

    private static boolean lastOfItsEntry(MessageIdAdv id) {
        return id.getBatchIndex() < 0 || id.getBatchIndex() == id.getBatchSize() - 1;
    }
}
