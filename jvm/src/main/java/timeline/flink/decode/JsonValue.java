package timeline.flink.decode;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;

/** A parsed JSON value, as far as decoding needs it: scalars in full, containers by kind (and some members). */
final class JsonValue {
    enum Kind { NULL, TRUE, FALSE, STRING, INTEGER, FLOAT, ARRAY, OBJECT }

    /** orjson's integers: -2^63 to 2^64 - 1; other integers are read as floats. */
    static final BigInteger MIN_INTEGER = BigInteger.valueOf(Long.MIN_VALUE);
    static final BigInteger MAX_INTEGER = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    final Kind kind;
    final String string;
    final BigInteger integer;
    final double number;
    private final Map<String, JsonValue> members = new HashMap<>();

    private JsonValue(Kind kind, String string, BigInteger integer, double number) {
        this.kind = kind;
        this.string = string;
        this.integer = integer;
        this.number = number;
    }

    static JsonValue of(Kind kind) {
        return new JsonValue(kind, null, null, 0);
    }

    static JsonValue string(String value) {
        return new JsonValue(Kind.STRING, value, null, 0);
    }

    static JsonValue integer(BigInteger value) {
        return new JsonValue(Kind.INTEGER, null, value, 0);
    }

    static JsonValue floating(double value) {
        return new JsonValue(Kind.FLOAT, null, null, value);
    }

    /** The member {@code name} of an object kept by the parser, null if absent (or not kept). */
    JsonValue member(String name) {
        return members.get(name);
    }

    void put(String name, JsonValue value) {
        members.put(name, value);
    }
}
