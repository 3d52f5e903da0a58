package timeline.flink.pulsar;

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

/**
 * The connector's {@link PulsarSource}, restoring exactly at the checkpointed message also when it lies
 * inside a batched entry.
 *
 * <p>Connector 4.1.0 resumes a restored split at the entry after the checkpointed message's entry, so
 * the rest of a batch is never read (FLINK-36180). This source restores such a split at the start of
 * that entry instead and drops the batch's messages up to the checkpointed one, whatever the broker's
 * batch-index acknowledgement setting. Enumeration, splits and their checkpoint format are the
 * connector's own, so a job can switch to it from a checkpoint of the plain source.
 */
public final class BatchResumingPulsarSource<T>
        implements Source<T, PulsarPartitionSplit, PulsarSourceEnumState>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final PulsarSource<T> connector;
    private final ResumePoints points;  // the same object as inside the connector's deserialization schema

    private BatchResumingPulsarSource(PulsarSource<T> connector, ResumePoints points) {
        this.connector = connector;
        this.points = points;
    }

    /** The source that {@code builder}, otherwise complete, builds with {@code schema} for the payloads. */
    public static <T> BatchResumingPulsarSource<T> of(
            PulsarSourceBuilder<? super T> builder, DeserializationSchema<T> schema) {
        ResumePoints points = new ResumePoints();
        PulsarSourceBuilder<T> typed = builder.setDeserializationSchema(
                new ResumingDeserializationSchema<>(new PulsarDeserializationSchemaWrapper<>(schema), points));
        return new BatchResumingPulsarSource<>(typed.build(), points);
    }

    @Override
    public SourceReader<T, PulsarPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        return new BatchResumingReader<>(connector.createReader(context), points);
    }

    @Override
    public Boundedness getBoundedness() {
        return connector.getBoundedness();
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> createEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context) throws Exception {
        return connector.createEnumerator(context);
    }

    @Override
    public SplitEnumerator<PulsarPartitionSplit, PulsarSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<PulsarPartitionSplit> context, PulsarSourceEnumState state) throws Exception {
        return connector.restoreEnumerator(context, state);
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
