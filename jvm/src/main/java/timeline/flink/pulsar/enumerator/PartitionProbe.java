package timeline.flink.pulsar.enumerator;

import java.io.Serializable;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.pulsar.common.config.PulsarClientFactory;
import org.apache.flink.connector.pulsar.source.config.SourceConfiguration;
import org.apache.flink.connector.pulsar.source.enumerator.topic.TopicPartition;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;

/** Which partitions have no message to read, asked with the source's client settings. */
public final class PartitionProbe implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, String> clientProperties;  // pulsar.client.* as the connector takes them

    public PartitionProbe(Map<String, String> clientProperties) {
        this.clientProperties = clientProperties;
    }

    /** Those of {@code partitions} where a reader from the earliest position finds nothing. */
    Set<TopicPartition> empty(Collection<TopicPartition> partitions) throws PulsarClientException {
        Set<TopicPartition> empty = new HashSet<>();
        SourceConfiguration configuration = new SourceConfiguration(Configuration.fromMap(clientProperties));
        try (PulsarClient client = PulsarClientFactory.createClient(configuration)) {
            for (TopicPartition partition : partitions) {
                try (Reader<byte[]> reader = client.newReader(Schema.BYTES)
                        .topic(partition.getFullTopicName())
                        .startMessageId(MessageId.earliest)
                        .create()) {
                    if (!reader.hasMessageAvailable()) {
                        empty.add(partition);
                    }
                }
            }
        } catch (java.io.IOException e) {
            throw PulsarClientException.unwrap(e);
        }
        return empty;
    }
}
