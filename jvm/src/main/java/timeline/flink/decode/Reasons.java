package timeline.flink.decode;

/** The texts of dead-letter reasons, exactly as engine.events writes them. */
final class Reasons {
    /** A string value in a reason: its first 64 code points, then "...". */
    static final int QUOTED_CHARS = 64;

    private Reasons() {}

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
