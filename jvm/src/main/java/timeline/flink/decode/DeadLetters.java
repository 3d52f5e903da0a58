package timeline.flink.decode;

/** Dead-letter records as engine.decode.dead_letter and orjson.dumps write them, byte for byte. */
public final class DeadLetters {
    /** The payload in a dead letter: its first 2048 code points, then {@code "truncated":true}. */
    public static final int PAYLOAD_PREFIX_CHARS = 2048;

    private DeadLetters() {}

    /** {@code {"reason":...,"payload":...}}, and {@code "truncated":true} if the payload was cut. */
    public static String json(String payload, String reason) {
        String prefix = JsonStrings.prefix(payload, PAYLOAD_PREFIX_CHARS);
        StringBuilder out = new StringBuilder(prefix.length() + reason.length() + 48).append("{\"reason\":");
        JsonStrings.append(out, reason).append(",\"payload\":");
        JsonStrings.append(out, prefix);
        if (prefix.length() < payload.length()) {
            out.append(",\"truncated\":true");
        }
        return out.append('}').toString();
    }
}
