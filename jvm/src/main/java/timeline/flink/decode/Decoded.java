package timeline.flink.decode;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.types.Row;

/**
 * A decoded payload: {@code Row(key STRING, time LONG, payload STRING, reason STRING, position LONG)},
 * positional. An event has no reason; a dead letter has no key and no time, its payload is the raw text.
 * The position is the payload's place in its input where the source knows one (a file source: the byte
 * offset of its line), null otherwise.
 */
public final class Decoded {
    private Decoded() {}

    public static RowTypeInfo type() {
        return new RowTypeInfo(
                new TypeInformation<?>[] {Types.STRING, Types.LONG, Types.STRING, Types.STRING, Types.LONG},
                new String[] {"key", "time", "payload", "reason", "position"});
    }

    public static Row event(String key, long time, String payload) {
        return Row.of(key, time, payload, null, null);
    }

    public static Row deadLetter(String payload, String reason) {
        return Row.of(null, null, payload, reason, null);
    }

    /** {@code decoded} placed at {@code position} of its input. */
    public static Row at(Row decoded, long position) {
        decoded.setField(4, position);
        return decoded;
    }

    /** The position of {@code decoded} in its input, null if unknown. */
    public static Long position(Row decoded) {
        return (Long) decoded.getField(4);
    }

    public static boolean isDeadLetter(Row decoded) {
        return decoded.getField(3) != null;
    }
}
