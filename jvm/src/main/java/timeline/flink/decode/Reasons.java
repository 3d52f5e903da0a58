package timeline.flink.decode;

import java.util.regex.Pattern;

/** The texts of dead-letter reasons, exactly as engine.events writes them, and their classes. */
final class Reasons {
    /** A string value in a reason: its first 64 code points, then "...". */
    static final int QUOTED_CHARS = 64;

    private static final Pattern QUOTED = Pattern.compile("\\s*\"(?:[^\"\\\\]|\\\\.)*\"(?:\\.\\.\\.)?", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern SPACES = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private Reasons() {}

    /**
     * A reason without its details, a metric label, as engine.decode.reason_class writes it: quoted strings
     * removed, cut at the first colon, spaces collapsed ({@code time field "ts" is not ISO-8601: "soon"} is
     * {@code time field is not ISO-8601}); {@code unknown} if nothing is left.
     */
    static String general(String reason) {
        String general = QUOTED.matcher(reason).replaceAll("");
        int colon = general.indexOf(':');
        general = SPACES.matcher(colon < 0 ? general : general.substring(0, colon)).replaceAll(" ").trim();
        return general.isEmpty() ? "unknown" : general;
    }

    /** {@code text} as a JSON string, cut after {@link #QUOTED_CHARS} code points (then {@code ...}). */
    static String quoted(String text) {
        String shown = JsonStrings.prefix(text, QUOTED_CHARS);
        StringBuilder out = JsonStrings.append(new StringBuilder(), shown);
        return shown.length() < text.length() ? out.append("...").toString() : out.toString();
    }

    /** A JSON value in a reason: strings quoted, integers in decimal, true, false, null, or its kind in words. */
    static String described(JsonValue value) {
        switch (value.kind) {
            case STRING: return quoted(value.string);
            case INTEGER: return value.integer.toString();
            case TRUE: return "true";
            case FALSE: return "false";
            case FLOAT: return "a floating-point number";
            case ARRAY: return "an array";
            case OBJECT: return "an object";
            default: return "null";
        }
    }
}
