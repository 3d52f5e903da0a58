package timeline.flink.pulsar.enumerator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.apache.flink.connector.pulsar.source.enumerator.topic.TopicPartition;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import timeline.flink.source.ForwardingEnumeratorContext;

/**
 * The enumerator's context for a bounded read: splits of partitions without messages are not assigned.
 *
 * <p>A bounded split stops at the first message past the partition's latest at the start; in an empty
 * partition no message ever comes, so its reader, and with it the job, would never finish. Left out,
 * the split counts as assigned and done, and a reader left without splits finishes.
 */
public final class NonEmptySplitsContext extends ForwardingEnumeratorContext<PulsarPartitionSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(NonEmptySplitsContext.class);

    private final PartitionProbe probe;

    public NonEmptySplitsContext(SplitEnumeratorContext<PulsarPartitionSplit> context, PartitionProbe probe) {
        super(context);
        this.probe = probe;
    }

    @Override
    public void assignSplits(SplitsAssignment<PulsarPartitionSplit> assignment) {
        Set<TopicPartition> empty = emptyPartitions(assignment);
        Map<Integer, List<PulsarPartitionSplit>> nonEmpty = new HashMap<>();
        assignment.assignment().forEach((reader, splits) -> {
            List<PulsarPartitionSplit> kept = splits.stream()
                    .filter(split -> !empty.contains(split.getPartition()))
                    .collect(Collectors.toList());
            if (!kept.isEmpty()) {
                nonEmpty.put(reader, kept);
            }
        });
        if (!empty.isEmpty()) {
            LOG.info("Partitions without messages, their bounded splits done: {}", empty);
        }
        if (!nonEmpty.isEmpty()) {
            context.assignSplits(new SplitsAssignment<>(nonEmpty));
        }
    }

    private Set<TopicPartition> emptyPartitions(SplitsAssignment<PulsarPartitionSplit> assignment) {
        List<TopicPartition> partitions = assignment.assignment().values().stream()
                .flatMap(List::stream).map(PulsarPartitionSplit::getPartition).collect(Collectors.toList());
        try {
            return probe.empty(partitions);
        } catch (PulsarClientException e) {
            throw new IllegalStateException("Cannot look into partitions " + partitions, e);
        }
    }
}
