package timeline.flink.decode;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.types.Row;

/**
 * A decoded payload: {@code Row(key STRING, time LONG, payload STRING, reason STRING)}, positional.
 * An event has no reason; a dead letter has no key and no time, its payload is the raw text.
 */
public final class Decoded {
    private Decoded() {}

    public static RowTypeInfo type() {
        return new RowTypeInfo(
                new TypeInformation<?>[] {Types.STRING, Types.LONG, Types.STRING, Types.STRING},
                new String[] {"key", "time", "payload", "reason"});
    }

    public static Row event(String key, long time, String payload) {
        return Row.of(key, time, payload, null);
    }

    public static Row deadLetter(String payload, String reason) {
        return Row.of(null, null, payload, reason);
    }

    public static boolean isDeadLetter(Row decoded) {
        return decoded.getField(3) != null;
    }
}
