package timeline.flink.decode;

import java.math.BigInteger;
import java.util.Map;
import java.util.Set;

/**
 * Strict RFC 8259 JSON, accepting exactly what orjson accepts: no BOM, no comments, no trailing commas,
 * no NaN or Infinity, no leading zeros, no control characters or lone surrogates (escaped or not) in
 * strings, at most 1024 nested arrays and objects, integers of -2^63 to 2^64 - 1 (others are floats),
 * no number beyond a double's range, whitespace only space, tab, CR and LF; duplicate names: the last wins.
 */
final class JsonText {
    static final int MAX_DEPTH = 1024;

    private final String text;
    private final Set<String> kept;
    private Map<String, String> keptTexts;  // the texts of the kept members, when asked for
    private int at;

    private JsonText(String text, Set<String> kept) {
        this.text = text;
        this.kept = kept;
    }

    /**
     * The document's value; of a top-level object only the members named in {@code kept} are kept.
     *
     * @throws BadEvent "malformed JSON"
     */
    static JsonValue parse(String text, Set<String> kept) throws BadEvent {
        return parse(text, kept, null);
    }

    /**
     * {@link #parse(String, Set)}, and the texts of the kept members, each as the document writes it (the
     * last of a name that repeats), put into {@code keptTexts} if not null.
     */
    static JsonValue parse(String text, Set<String> kept, Map<String, String> keptTexts) throws BadEvent {
        JsonText parser = new JsonText(text, kept);
        parser.keptTexts = keptTexts;
        parser.skipWhitespace();
        JsonValue root = parser.value(1, true, true);
        parser.skipWhitespace();
        if (parser.at != text.length()) {
            throw malformed();
        }
        return root;
    }

    static BadEvent malformed() {
        return new BadEvent("malformed JSON");
    }

    /** The value at {@code at}; with {@code keep} false only checked (null returned). */
    private JsonValue value(int depth, boolean keep, boolean root) throws BadEvent {
        switch (peek()) {
            case '{':
                JsonValue object = keep ? JsonValue.of(JsonValue.Kind.OBJECT) : null;
                object(depth, root ? object : null);
                return object;
            case '[':
                array(depth);
                return keep ? JsonValue.of(JsonValue.Kind.ARRAY) : null;
            case '"':
                String string = string(keep);
                return keep ? JsonValue.string(string) : null;
            case 't':
                return literal("true", JsonValue.Kind.TRUE, keep);
            case 'f':
                return literal("false", JsonValue.Kind.FALSE, keep);
            case 'n':
                return literal("null", JsonValue.Kind.NULL, keep);
            default:
                return number(keep);
        }
    }

    /** The object at {@code at}; its members named in {@link #kept} go into {@code into} (if not null). */
    private void object(int depth, JsonValue into) throws BadEvent {
        checkDepth(depth);
        at++;
        skipWhitespace();
        if (peek() == '}') {
            at++;
            return;
        }
        while (true) {
            if (peek() != '"') {
                throw malformed();
            }
            String name = string(into != null);
            skipWhitespace();
            expect(':');
            skipWhitespace();
            boolean keep = into != null && kept.contains(name);
            int start = at;
            JsonValue member = value(depth + 1, keep, false);
            if (keep) {
                into.put(name, member);
                if (keptTexts != null) {
                    keptTexts.put(name, text.substring(start, at));
                }
            }
            skipWhitespace();
            char next = peek();
            at++;
            if (next == '}') {
                return;
            }
            if (next != ',') {
                throw malformed();
            }
            skipWhitespace();
        }
    }

    private void array(int depth) throws BadEvent {
        checkDepth(depth);
        at++;
        skipWhitespace();
        if (peek() == ']') {
            at++;
            return;
        }
        while (true) {
            value(depth + 1, false, false);
            skipWhitespace();
            char next = peek();
            at++;
            if (next == ']') {
                return;
            }
            if (next != ',') {
                throw malformed();
            }
            skipWhitespace();
        }
    }

    private static void checkDepth(int depth) throws BadEvent {
        if (depth > MAX_DEPTH) {
            throw malformed();
        }
    }

    /** The string at {@code at} (its opening quote), unescaped if {@code keep}. */
    private String string(boolean keep) throws BadEvent {
        at++;
        StringBuilder out = keep ? new StringBuilder() : null;
        while (true) {
            char c = peek();
            at++;
            if (c == '"') {
                return keep ? out.toString() : null;
            }
            if (c < 0x20) {
                throw malformed();
            }
            if (c == '\\') {
                int unit = escape();
                if (Character.isLowSurrogate((char) unit)) {
                    throw malformed();
                }
                if (Character.isHighSurrogate((char) unit)) {
                    if (!text.startsWith("\\u", at)) {
                        throw malformed();
                    }
                    at++;
                    int low = escape();
                    if (!Character.isLowSurrogate((char) low)) {
                        throw malformed();
                    }
                    append(out, (char) unit);
                    append(out, (char) low);
                } else {
                    append(out, (char) unit);
                }
            } else if (Character.isHighSurrogate(c)) {
                if (at >= text.length() || !Character.isLowSurrogate(text.charAt(at))) {
                    throw malformed();
                }
                append(out, c);
                append(out, text.charAt(at++));
            } else if (Character.isLowSurrogate(c)) {
                throw malformed();
            } else {
                append(out, c);
            }
        }
    }

    private static void append(StringBuilder out, char c) {
        if (out != null) {
            out.append(c);
        }
    }

    /** The UTF-16 unit of the escape after a backslash. */
    private int escape() throws BadEvent {
        char c = peek();
        at++;
        switch (c) {
            case '"': return '"';
            case '\\': return '\\';
            case '/': return '/';
            case 'b': return '\b';
            case 'f': return '\f';
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'u':
                if (at + 4 > text.length()) {
                    throw malformed();
                }
                int unit = 0;
                for (int i = 0; i < 4; i++) {
                    unit = unit * 16 + hexDigit(text.charAt(at++));
                }
                return unit;
            default:
                throw malformed();
        }
    }

    private static int hexDigit(char c) throws BadEvent {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
            return (c | 0x20) - 'a' + 10;
        }
        throw malformed();
    }

    private JsonValue literal(String word, JsonValue.Kind kind, boolean keep) throws BadEvent {
        if (!text.startsWith(word, at)) {
            throw malformed();
        }
        at += word.length();
        return keep ? JsonValue.of(kind) : null;
    }

    /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}: integral ones in 64 bits are integers. */
    private JsonValue number(boolean keep) throws BadEvent {
        int start = at;
        if (peekOr() == '-') {
            at++;
        }
        char first = peekOr();
        if (first == '0') {
            at++;
        } else if (first >= '1' && first <= '9') {
            digits();
        } else {
            throw malformed();
        }
        boolean integral = true;
        if (peekOr() == '.') {
            at++;
            requireDigits();
            integral = false;
        }
        if (peekOr() == 'e' || peekOr() == 'E') {
            at++;
            if (peekOr() == '+' || peekOr() == '-') {
                at++;
            }
            requireDigits();
            integral = false;
        }
        String token = text.substring(start, at);
        if (integral && at - start <= 18) {
            return keep ? JsonValue.integer(BigInteger.valueOf(Long.parseLong(token))) : null;
        }
        if (integral) {
            BigInteger value = new BigInteger(token);
            if (value.compareTo(JsonValue.MIN_INTEGER) >= 0 && value.compareTo(JsonValue.MAX_INTEGER) <= 0) {
                return keep ? JsonValue.integer(value) : null;
            }
        }
        double value = Double.parseDouble(token);
        if (Double.isInfinite(value)) {
            throw malformed();
        }
        return keep ? JsonValue.floating(value) : null;
    }

    private void requireDigits() throws BadEvent {
        char c = peekOr();
        if (c < '0' || c > '9') {
            throw malformed();
        }
        digits();
    }

    private void digits() {
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
    }

    private void expect(char c) throws BadEvent {
        if (peek() != c) {
            throw malformed();
        }
        at++;
    }

    private char peek() throws BadEvent {
        if (at >= text.length()) {
            throw malformed();
        }
        return text.charAt(at);
    }

    /** The character at {@code at}, or 0 at the end. */
    private char peekOr() {
        return at < text.length() ? text.charAt(at) : 0;
    }

    private void skipWhitespace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }
}
