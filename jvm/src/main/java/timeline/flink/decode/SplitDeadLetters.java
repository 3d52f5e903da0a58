package timeline.flink.decode;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Passes {@link Decoded} events on unchanged, counting them as {@code eventsDecoded}; dead letters go to
 * {@link #deadLetters()} as {@link DeadLetters#json} records.
 */
public final class SplitDeadLetters extends ProcessFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final OutputTag<String> DEAD_LETTERS = new OutputTag<>("dead-letters", Types.STRING);

    private transient Counter decoded;

    public static OutputTag<String> deadLetters() {
        return DEAD_LETTERS;
    }

    @Override
    public void open(OpenContext openContext) {
        decoded = getRuntimeContext().getMetricGroup().counter("eventsDecoded");
    }

    @Override
    public void processElement(Row row, Context ctx, Collector<Row> out) {
        if (Decoded.isDeadLetter(row)) {
            ctx.output(DEAD_LETTERS, DeadLetters.json((String) row.getField(2), (String) row.getField(3)));
        } else {
            decoded.inc();
            out.collect(row);
        }
    }
}
