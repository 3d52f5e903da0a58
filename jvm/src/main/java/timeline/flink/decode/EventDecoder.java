package timeline.flink.decode;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.types.Row;

/**
 * Raw payloads to events or dead letters, by the rules of the Python reference decoder
 * (engine.decode.decode_payload: engine.decode.decode_event, and engine.events.future_reason for the
 * watermark.max_future check); tests/integration/test_jvm_decode.py holds the two to the same results.
 *
 * <p>Bytes are decoded as {@code new String(bytes, UTF_8)} does: each malformed sequence becomes U+FFFD
 * (engine.decode.text_of follows the same decoder).
 */
public final class EventDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int MAX_EVENT_BYTES = 1 << 20;
    public static final long MIN_TIME = 0;
    public static final long MAX_TIME = 253_402_300_799_999L;
    private static final String ACCEPTED_RANGE = " (accepted: " + MIN_TIME + " to " + MAX_TIME
            + " ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)";

    private final String keyField;
    private final String timeField;
    private final long maxFutureMs;
    private final FieldRecords records;
    private final Set<String> kept;  // the fields read: the key, the time and the records' fields

    /** {@code maxFutureMs} below 0: any time ahead of the clock is accepted. */
    public EventDecoder(String keyField, String timeField, long maxFutureMs) {
        this(keyField, timeField, maxFutureMs, null);
    }

    /**
     * An event's payload its {@link FieldRecords} record rather than its text, read in the same pass (the
     * BATCH job's); null: its text.
     */
    public EventDecoder(String keyField, String timeField, long maxFutureMs, FieldRecords records) {
        this.keyField = keyField;
        this.timeField = timeField;
        this.maxFutureMs = maxFutureMs;
        this.records = records;
        Set<String> kept = new HashSet<>(records == null ? Set.of() : records.fields());
        kept.add(keyField);
        kept.add(timeField);
        this.kept = Set.copyOf(kept);
    }

    /** The {@link Decoded} row of a UTF-8 payload, null for a blank one. */
    public Row decode(byte[] utf8, long nowMs) {
        return decode(new String(utf8, StandardCharsets.UTF_8), nowMs);
    }

    /** The {@link Decoded} row of {@code line} at the clock {@code nowMs}, null for a blank line. */
    public Row decode(String line, long nowMs) {
        if (isBlank(line)) {
            return null;
        }
        try {
            Map<String, String> texts = records == null ? null : new HashMap<>();
            JsonValue event = parse(line, texts);
            String key = key(event.member(keyField));
            long time = time(event.member(timeField));
            if (maxFutureMs >= 0 && time - nowMs > maxFutureMs) {
                throw new BadEvent("too far in the future: " + (time - nowMs) + " ms ahead of the clock"
                        + " (watermark.max_future " + maxFutureMs + " ms)");
            }
            return Decoded.event(key, time, records == null ? line : records.of(key, time, texts));
        } catch (BadEvent bad) {
            return Decoded.deadLetter(line, bad.getMessage());
        }
    }

    private JsonValue parse(String line, Map<String, String> texts) throws BadEvent {
        if (line.length() > MAX_EVENT_BYTES / 4) {
            long size = utf8Length(line);
            if (size > MAX_EVENT_BYTES) {
                throw new BadEvent("event too large: " + size + " bytes (limit " + MAX_EVENT_BYTES + ")");
            }
        }
        JsonValue event = JsonText.parse(line, kept, texts);
        if (event.kind != JsonValue.Kind.OBJECT) {
            throw new BadEvent("not a JSON object: " + Reasons.described(event));
        }
        return event;
    }

    private String key(JsonValue value) throws BadEvent {
        if (value == null || value.kind == JsonValue.Kind.NULL) {
            throw new BadEvent("missing key field " + Reasons.quoted(keyField));
        }
        if (value.kind == JsonValue.Kind.STRING && !value.string.isEmpty()) {
            return value.string;
        }
        if (value.kind == JsonValue.Kind.INTEGER) {
            return value.integer.toString();
        }
        throw new BadEvent("key field " + Reasons.quoted(keyField) + " is not a string or integer: "
                + Reasons.described(value));
    }

    private long time(JsonValue value) throws BadEvent {
        if (value == null || value.kind == JsonValue.Kind.NULL) {
            throw new BadEvent("missing time field " + Reasons.quoted(timeField));
        }
        switch (value.kind) {
            case INTEGER:
                return inRange(value.integer);
            case FLOAT:
                if (value.number == Math.rint(value.number)) {
                    return inRange(new BigDecimal(value.number).toBigInteger());
                }
                break;
            case STRING:
                Long millis = IsoTime.millis(value.string);
                if (millis == null) {
                    throw new BadEvent("time field " + Reasons.quoted(timeField) + " is not ISO-8601: "
                            + Reasons.quoted(value.string));
                }
                return inRange(BigInteger.valueOf(millis));
            default:
                break;
        }
        throw new BadEvent("time field " + Reasons.quoted(timeField) + " is not epoch milliseconds or ISO-8601: "
                + Reasons.described(value));
    }

    private long inRange(BigInteger time) throws BadEvent {
        if (time.compareTo(BigInteger.valueOf(MIN_TIME)) >= 0 && time.compareTo(BigInteger.valueOf(MAX_TIME)) <= 0) {
            return time.longValueExact();
        }
        throw new BadEvent("time field " + Reasons.quoted(timeField) + " is out of range: " + time + ACCEPTED_RANGE);
    }

    /** Python's {@code not text.strip()}: nothing but characters of {@code str.isspace}. */
    static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!isPythonSpace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPythonSpace(char c) {
        return c >= '\t' && c <= '\r' || c >= 0x1C && c <= 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
                || c >= 0x2000 && c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** The length of {@code text} in UTF-8; a lone surrogate counts 3 bytes (engine.decode.utf8_length). */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
