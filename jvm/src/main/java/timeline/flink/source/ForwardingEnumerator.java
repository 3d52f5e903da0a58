package timeline.flink.source;

import java.io.IOException;
import java.util.List;
import javax.annotation.Nullable;

import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;

/** A split enumerator that passes every call on to another; subclasses change what that enumerator does. */
public abstract class ForwardingEnumerator<S extends SourceSplit, C> implements SplitEnumerator<S, C> {
    protected final SplitEnumerator<S, C> inner;

    protected ForwardingEnumerator(SplitEnumerator<S, C> inner) {
        this.inner = inner;
    }

    @Override
    public void start() {
        inner.start();
    }

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {
        inner.handleSplitRequest(subtaskId, requesterHostname);
    }

    @Override
    public void addSplitsBack(List<S> splits, int subtaskId) {
        inner.addSplitsBack(splits, subtaskId);
    }

    @Override
    public void addReader(int subtaskId) {
        inner.addReader(subtaskId);
    }

    @Override
    public C snapshotState(long checkpointId) throws Exception {
        return inner.snapshotState(checkpointId);
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
    public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
        inner.handleSourceEvent(subtaskId, sourceEvent);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
