package timeline.flink.source;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A source reader that passes every call on to another; subclasses change what that reader does. */
public abstract class ForwardingReader<T, S extends SourceSplit> implements SourceReader<T, S> {
    protected final SourceReader<T, S> inner;

    protected ForwardingReader(SourceReader<T, S> inner) {
        this.inner = inner;
    }

    @Override
    public void start() {
        inner.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
        return inner.pollNext(output);
    }

    @Override
    public List<S> snapshotState(long checkpointId) {
        return inner.snapshotState(checkpointId);
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return inner.isAvailable();
    }

    @Override
    public void addSplits(List<S> splits) {
        inner.addSplits(splits);
    }

    @Override
    public void notifyNoMoreSplits() {
        inner.notifyNoMoreSplits();
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        inner.handleSourceEvents(event);
    }

    @Override
    public void pauseOrResumeSplits(Collection<String> toPause, Collection<String> toResume) {
        inner.pauseOrResumeSplits(toPause, toResume);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        inner.notifyCheckpointComplete(checkpointId);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
        inner.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void close() throws Exception {
        inner.close();
    }
}
