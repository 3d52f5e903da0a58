package timeline.flink.watermark;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;
import timeline.flink.source.ForwardingReader;

import java.util.ArrayList;
import java.util.List;

/**
 * A source reader whose splits hold event time back from the moment they are assigned.
 *
 * <p>Flink creates a split's watermark with its first record, so a split read after the others (a
 * partition whose consumer starts late, the next file of a folder) would take part in event time only
 * from then on, and its events before the others' watermark would be late. This reader creates each
 * split's output, and with it the watermark, as soon as the split is added. Idleness counts on its
 * {@link ReaderWaitClock}, so a split that waits to be read does not turn idle while the reader is busy.
 *
 * <p>{@link #requestingAll} also asks for every split at once, for sources that hand out a split per
 * request and request the next only when one is read (files): the files not read yet then hold event
 * time back until they are.
 */
public final class EventTimeReader<T, S extends SourceSplit> extends ForwardingReader<T, S> {
    private final SourceReaderContext requestingAllFrom;  // or null
    private final List<String> unannounced = new ArrayList<>();  // splits added, their outputs not created yet
    private final ReaderWaitClock waitClock = new ReaderWaitClock();

    private EventTimeReader(SourceReader<T, S> inner, SourceReaderContext requestingAllFrom) {
        super(inner);
        this.requestingAllFrom = requestingAllFrom;
        ReaderWaitClock.register(waitClock);  // created in the source task's thread, as its splits' watermarks are
    }

    /** {@code inner}, with splits as the source assigns them. */
    public static <T, S extends SourceSplit> EventTimeReader<T, S> of(SourceReader<T, S> inner) {
        return new EventTimeReader<>(inner, null);
    }

    /** {@code inner}, asking {@code context} for another split whenever one comes, until there are no more. */
    public static <T, S extends SourceSplit> EventTimeReader<T, S> requestingAll(
            SourceReader<T, S> inner, SourceReaderContext context) {
        return new EventTimeReader<>(inner, context);
    }

    @Override
    public void addSplits(List<S> splits) {
        for (S split : splits) {
            unannounced.add(split.splitId());
        }
        inner.addSplits(splits);
        if (requestingAllFrom != null) {
            requestingAllFrom.sendSplitRequest();
        }
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
        waitClock.polled();
        for (String split : unannounced) {
            output.createOutputForSplit(split);
        }
        unannounced.clear();
        InputStatus status = inner.pollNext(output);
        if (status == InputStatus.NOTHING_AVAILABLE) {
            waitClock.foundNothing();
        }
        return status;
    }
}
