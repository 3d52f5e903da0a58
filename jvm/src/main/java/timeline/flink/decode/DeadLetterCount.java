package timeline.flink.decode;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Passes every dead letter ({@link DeadLetters}) on to its sink, counting them as {@code deadLetters} by the
 * class of their reason (metric group {@code reason}, see {@link Reasons#general}). Counted where all dead
 * letters meet, whichever step made them.
 */
public final class DeadLetterCount extends RichMapFunction<String, String> {
    private static final long serialVersionUID = 1L;
    private static final String REASON = "reason";

    private transient Map<String, Counter> counters;

    @Override
    public void open(OpenContext context) {
        counters = new HashMap<>();
    }

    @Override
    public String map(String letter) throws BadEvent {
        String reason = Reasons.general(JsonText.parse(letter, Set.of(REASON)).member(REASON).string);
        counters.computeIfAbsent(reason, general ->
                getRuntimeContext().getMetricGroup().addGroup(REASON, general).counter("deadLetters")).inc();
        return letter;
    }
}
