package timeline.flink.instants;


import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import timeline.flink.decode.DeadLetters;

/**
 * Each key's events grouped by instant and released in time order once the watermark passes them.
 *
 * <p>Input: decoded events {@code Row(key, time, payload, reason)} keyed by {@code Row(key)}. Output:
 * {@code Row(key, (key, time, payloads))}, the payloads of one key's events at one time joined in arrival
 * order by {@link #PAYLOAD_SEPARATOR}, emitted by the event-time timer at that time: Flink fires timers in time order
 * and forwards a watermark only after the timers it fires, so the operator after this one gets complete
 * instants, each key's in time order. An event at or below the current watermark is late: it goes to
 * {@link #late()} as a dead letter and counts as {@code lateEvents}.
 */
public final class Instants extends KeyedProcessFunction<Row, Row, Row> {
    private static final long serialVersionUID = 1L;

    /** Joins the payloads of one instant: a raw control character, which JSON text cannot hold. */
    public static final char PAYLOAD_SEPARATOR = '\u001e';

    private static final OutputTag<String> LATE = new OutputTag<>("late", Types.STRING);

    private transient MapState<Long, String> pending;  // time -> payloads
    private transient Counter late;

    /** The output type: {@code Row(key, Tuple3(key, time, payloads))}. */
    public static TypeInformation<Row> outputType() {
        return Types.ROW(Types.STRING, Types.TUPLE(Types.STRING, Types.LONG, Types.STRING));
    }

    /** The side output of late events' dead letters. */
    public static OutputTag<String> late() {
        return LATE;
    }

    @Override
    public void open(Configuration parameters) {
        pending = getRuntimeContext().getMapState(new MapStateDescriptor<>("instants", Types.LONG, Types.STRING));
        late = getRuntimeContext().getMetricGroup().counter("lateEvents");
    }

    @Override
    public void processElement(Row event, Context context, Collector<Row> out) throws Exception {
        long time = (Long) event.getField(1);
        String payload = (String) event.getField(2);
        if (time <= context.timerService().currentWatermark()) {
            late.inc();
            context.output(LATE, DeadLetters.json(payload, "late"));
            return;
        }
        String earlier = pending.get(time);
        if (earlier == null) {
            pending.put(time, payload);
            context.timerService().registerEventTimeTimer(time);
        } else {
            pending.put(time, earlier + PAYLOAD_SEPARATOR + payload);
        }
    }

    @Override
    public void onTimer(long time, OnTimerContext context, Collector<Row> out) throws Exception {
        String key = (String) context.getCurrentKey().getField(0);
        String payloads = pending.get(time);
        out.collect(Row.of(key, Tuple3.of(key, time, payloads)));
        pending.remove(time);
    }
}
