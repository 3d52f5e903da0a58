package timeline.flink.pulsar;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.pulsar.source.PulsarSource;
import org.apache.flink.connector.pulsar.source.PulsarSourceBuilder;
import org.apache.flink.connector.pulsar.source.enumerator.PulsarSourceEnumState;
import org.apache.flink.connector.pulsar.source.reader.deserializer.PulsarDeserializationSchemaWrapper;
import org.apache.flink.connector.pulsar.source.split.PulsarPartitionSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import timeline.flink.pulsar.enumerator.NonEmptySplitsContext;
import timeline.flink.pulsar.enumerator.NonPartitionedTopics;
import timeline.flink.pulsar.enumerator.PartitionProbe;
import timeline.flink.pulsar.reader.BatchResumingReader;
import timeline.flink.pulsar.reader.ResumePoints;
import timeline.flink.pulsar.reader.ResumingDeserializationSchema;
import timeline.flink.watermark.EventTimeReader;

/**
 * The job's Pulsar source: the connector's {@link PulsarSource} with four fixes, its reader side in
 * {@code reader/}, its enumerator side in {@code enumerator/}.
 *
 * <ul>
 *   <li>A restored split resumes exactly at the checkpointed message, also inside a batched entry
 *       ({@link BatchResumingReader}): connector 4.1.0 resumes at the entry after the checkpointed
 *       message's entry, so the rest of a batch was never read (FLINK-36180).</li>
 *   <li>Each split's watermark exists from the moment the split is assigned, not from its first record
 *       ({@link EventTimeReader}).</li>
 *   <li>A bounded read leaves out partitions without messages, whose readers would otherwise never finish
 *       ({@link #skippingEmptyPartitions}).</li>
 *   <li>A non-partitioned topic is read at any parallelism ({@link NonPartitionedTopics}).</li>
 * </ul>
 *
 * <p>Enumeration, splits and their checkpoint format are the connector's own, so a job can switch to it
 * from a checkpoint of the plain source.
 */
public final class TimelinePulsarSource<T>
        implements Source<T, PulsarPartitionSplit, PulsarSourceEnumState>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final PulsarSource<T> connector;
    private final ResumePoints points;  // the same object as inside the connector's deserialization schema
    private final PartitionProbe emptyPartitions;  // bounded: leaves out partitions without messages; or null

    private TimelinePulsarSource(PulsarSource<T> connector, ResumePoints points, PartitionProbe emptyPartitions) {
        this.connector = connector;
        this.points = points;
        this.emptyPartitions = emptyPartitions;
    }

    /** The source that {@code builder}, otherwise complete, builds with {@code schema} for the payloads. */
    public static <T> TimelinePulsarSource<T> of(
            PulsarSourceBuilder<? super T> builder, DeserializationSchema<T> schema) {
        ResumePoints points = new ResumePoints();
        PulsarSourceBuilder<T> typed = builder.setDeserializationSchema(
                new ResumingDeserializationSchema<>(new PulsarDeserializationSchemaWrapper<>(schema), points));
        return new TimelinePulsarSource<>(typed.build(), points, null);
    }

    /**
     * This bounded source, leaving out partitions without messages (their readers would wait for ever),
     * looked into with the client settings {@code clientProperties} ({@code pulsar.client.*}).
     */
    public TimelinePulsarSource<T> skippingEmptyPartitions(Map<String, String> clientProperties) {
        return new TimelinePulsarSource<>(connector, points, new PartitionProbe(new HashMap<>(clientProperties)));
    }

    private SplitEnumeratorContext<PulsarPartitionSplit> enumeratorContext(
            SplitEnumeratorContext<PulsarPartitionSplit> context) {
        return emptyPartitions == null ? context : new NonEmptySplitsContext(context, emptyPartitions);
    }

    @Override
    public SourceReader<T, PulsarPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        return EventTimeReader.of(new BatchResumingReader<>(connector.createReader(context), points));
    }

    @Override
    public Boundedness getBoundedness() {
        return connector.getBoundedness();
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> createEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context) throws Exception {
        return NonPartitionedTopics.enumerator(enumeratorContext(context), connector::createEnumerator);
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context, PulsarSourceEnumState state) throws Exception {
        return NonPartitionedTopics.enumerator(
                enumeratorContext(context), fixed -> connector.restoreEnumerator(fixed, state));
    }

    @Override
    public SimpleVersionedSerializer<PulsarPartitionSplit> getSplitSerializer() {
        return connector.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<PulsarSourceEnumState> getEnumeratorCheckpointSerializer() {
        return connector.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return connector.getProducedType();
    }
}
