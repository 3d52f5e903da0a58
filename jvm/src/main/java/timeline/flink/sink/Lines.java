package timeline.flink.sink;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.util.Collector;

/** Records written together, one per line, as one record each, in their order. */
public final class Lines implements FlatMapFunction<String, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(String lines, Collector<String> out) {
        int start = 0;
        for (int end = lines.indexOf('\n'); end >= 0; end = lines.indexOf('\n', start)) {
            out.collect(lines.substring(start, end));
            start = end + 1;
        }
        out.collect(lines.substring(start));
    }
}
