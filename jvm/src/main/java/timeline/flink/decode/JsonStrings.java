package timeline.flink.decode;

/** JSON strings as orjson writes them: only {@code "}, {@code \} and control characters escaped. */
public final class JsonStrings {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonStrings() {}

    public static StringBuilder append(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\b': out.append("\\b"); break;
                case '\t': out.append("\\t"); break;
                case '\n': out.append("\\n"); break;
                case '\f': out.append("\\f"); break;
                case '\r': out.append("\\r"); break;
                default:
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"');
    }

    /** The first {@code count} code points of {@code text} (all of it if it has fewer). */
    static String prefix(String text, int count) {
        if (text.length() <= count) {
            return text;
        }
        int codePoints = text.codePointCount(0, text.length());
        return codePoints <= count ? text : text.substring(0, text.offsetByCodePoints(0, count));
    }
}
