package timeline.flink.sink;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.util.Collector;

/**
 * Records written together with their message keys, as {@code (key, record)} each, in their order.
 *
 * <p>Input: keyed records as the Python operators write them (operators/keyed_records.py), joined by
 * {@code \n}: each {@code <length>:<key><record>}, the key's UTF-8 length in decimal, a colon, the key,
 * then the record's JSON, which holds no raw newline. The record is taken as bytes, never parsed.
 */
public final class KeyedLines implements FlatMapFunction<byte[], Tuple2<String, byte[]>> {
    private static final long serialVersionUID = 1L;

    /** The output type: {@code Tuple2(key, record as UTF-8 JSON)}. */
    public static TypeInformation<Tuple2<String, byte[]>> outputType() {
        return Types.TUPLE(Types.STRING, Types.PRIMITIVE_ARRAY(Types.BYTE));
    }

    @Override
    public void flatMap(byte[] lines, Collector<Tuple2<String, byte[]>> out) {
        int at = 0;
        while (at < lines.length) {
            int keyLength = 0;
            int colon = at;
            for (; colon < lines.length && lines[colon] != ':'; colon++) {
                int digit = lines[colon] - '0';
                if (digit < 0 || digit > 9) {
                    throw malformed(lines, at);
                }
                keyLength = keyLength * 10 + digit;
            }
            int record = colon + 1 + keyLength;
            if (colon == at || record > lines.length) {
                throw malformed(lines, at);
            }
            int end = record;
            while (end < lines.length && lines[end] != '\n') {
                end++;
            }
            out.collect(Tuple2.of(new String(lines, colon + 1, keyLength, StandardCharsets.UTF_8),
                    Arrays.copyOfRange(lines, record, end)));
            at = end + 1;
        }
    }

    private static IllegalArgumentException malformed(byte[] lines, int at) {
        String start = new String(lines, at, Math.min(lines.length - at, 64), StandardCharsets.UTF_8);
        return new IllegalArgumentException("not a keyed record at byte " + at + ": " + start);
    }
}
