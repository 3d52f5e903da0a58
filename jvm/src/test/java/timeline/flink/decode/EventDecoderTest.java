package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.flink.types.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import timeline.flink.instants.Instants;

class EventDecoderTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final EventDecoder DECODER = new EventDecoder("id", "ts", 86_400_000);
    private static final String RANGE =
            " (accepted: 0 to 253402300799999 ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)";

    private static String reasonOf(String payload) {
        Row decoded = DECODER.decode(payload, NOW);
        assertThat(Decoded.isDeadLetter(decoded)).as("a dead letter: %s", payload).isTrue();
        assertThat(decoded.getField(2)).isEqualTo(payload);
        return (String) decoded.getField(3);
    }

    private static String timeReason(String time) {
        return reasonOf("{\"id\": \"a\", \"ts\": " + time + "}");
    }

    @Test
    void aGoodEventKeepsItsPayloadVerbatim() {
        String payload = "{\"id\": 7, \"ts\": \"1970-01-01T00:00:01.5+00:00\", \"x\": [1, {\"id\": 2}]}";
        assertThat(DECODER.decode(payload, NOW)).isEqualTo(Decoded.event("7", 1500, payload));
        assertThat(DECODER.decode("{\"ts\":5,\"id\":\"s\\u00e9\"}", NOW)).isEqualTo(Decoded.event("s\u00e9", 5, "{\"ts\":5,\"id\":\"s\\u00e9\"}"));
    }

    @Test
    void aBlankPayloadIsNothing() {
        assertThat(DECODER.decode(" \t\r\n\u000b\u000c\u001c\u0085\u00a0\u2028\u3000", NOW)).isNull();
        assertThat(DECODER.decode("", NOW)).isNull();
        assertThat(DECODER.decode("\u200b", NOW)).isNotNull();  // not space to Python's str.isspace
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "{not json|malformed JSON",
        "[1, 2]|not a JSON object: an array",
        "'\"x\"'|'not a JSON object: \"x\"'",
        "'{\"ts\": 1}'|'missing key field \"id\"'",
        "'{\"id\": null, \"ts\": 1}'|'missing key field \"id\"'",
        "'{\"id\": true, \"ts\": 1}'|'key field \"id\" is not a string or integer: true'",
        "'{\"id\": \"\", \"ts\": 1}'|'key field \"id\" is not a string or integer: \"\"'",
        "'{\"id\": 7.0, \"ts\": 1}'|'key field \"id\" is not a string or integer: a floating-point number'",
        "'{\"id\": \"a\"}'|'missing time field \"ts\"'",
        "'{\"id\": \"a\", \"ts\": \"soon\"}'|'time field \"ts\" is not ISO-8601: \"soon\"'",
        "'{\"id\": 1, \"id\": \"a\", \"ts\": {}}'|'time field \"ts\" is not epoch milliseconds or ISO-8601: an object'",
        "'\ufeff{\"id\": \"a\", \"ts\": 1}'|malformed JSON",
    })
    void aBadEventSaysWhy(String payload, String reason) {
        assertThat(reasonOf(payload)).isEqualTo(reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "1e30|'time field \"ts\" is out of range: 1000000000000000019884624838656" + RANGE + "'",
        "99999999999999999999|'time field \"ts\" is out of range: 100000000000000000000" + RANGE + "'",
        "-1|'time field \"ts\" is out of range: -1" + RANGE + "'",
        "253402300800000|'time field \"ts\" is out of range: 253402300800000" + RANGE + "'",
        "'\"9999-12-31T23:59:59.999-01:00\"'|'time field \"ts\" is out of range: 253402304399999" + RANGE + "'",
        "'\"2023-02-29\"'|'time field \"ts\" is not ISO-8601: \"2023-02-29\"'",
        "'\"2024-01-01T24:00\"'|'time field \"ts\" is not ISO-8601: \"2024-01-01T24:00\"'",
        "'\"2024-01-01T12:00+0100\"'|'time field \"ts\" is not ISO-8601: \"2024-01-01T12:00+0100\"'",
        "1.5|'time field \"ts\" is not epoch milliseconds or ISO-8601: a floating-point number'",
        "[1000]|'time field \"ts\" is not epoch milliseconds or ISO-8601: an array'",
    })
    void aTimeOutsideTheAcceptedRangeIsRefused(String time, String reason) {
        assertThat(timeReason(time)).isEqualTo(reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "0|0", "253402300799999|253402300799999", "'\"9999-12-31T23:59:59.999Z\"'|253402300799999",
        "1.767225600e12|1767225600000", "-0.0|0", "'\"1970-01-01\"'|0",
        "'\"1970-01-01 00:00:01.9999+00:00\"'|1999", "'\"1970-01-02T00:00+23:59\"'|60000",
        "'\"2024-02-29T12:30:15.25Z\"'|1709209815250",
    })
    void theBoundsOfTheAcceptedRangeAreIncluded(String time, long millis) {
        Row decoded = new EventDecoder("id", "ts", -1).decode("{\"id\": \"a\", \"ts\": " + time + "}", NOW);
        assertThat(decoded.getField(1)).isEqualTo(millis);
    }

    @Test
    void anEventTooFarAheadOfTheClockIsRefused() {
        long limit = NOW + 86_400_000;
        assertThat(DECODER.decode("{\"id\":\"a\",\"ts\":" + limit + "}", NOW).getField(1)).isEqualTo(limit);
        assertThat(timeReason(Long.toString(limit + 1)))
                .isEqualTo("too far in the future: 86400001 ms ahead of the clock (watermark.max_future 86400000 ms)");
        assertThat(new EventDecoder("id", "ts", -1).decode("{\"id\":\"a\",\"ts\":" + (limit + 1) + "}", NOW).getField(1))
                .isEqualTo(limit + 1);
    }

    @Test
    void theSizeLimitCountsUtf8Bytes() {
        String pad = "\uD83D\uDE00".repeat(EventDecoder.MAX_EVENT_BYTES / 4 - 7);  // 4 bytes each, 2 chars
        String fits = "{\"id\":\"a\",\"ts\":1,\"p\":\"" + pad + "xxxx\"}";
        assertThat(EventDecoder.utf8Length(fits)).isEqualTo(EventDecoder.MAX_EVENT_BYTES);
        assertThat(Decoded.isDeadLetter(DECODER.decode(fits, NOW))).isFalse();
        String over = fits.replace("\"a\"", "\"ab\"");
        assertThat(reasonOf(over)).isEqualTo("event too large: 1048577 bytes (limit 1048576)");
        assertThat(EventDecoder.utf8Length("a\u00e9\u20ac\uD83D\uDE00\uD800")).isEqualTo(1 + 2 + 3 + 4 + 3);
    }

    @Test
    void malformedUtf8IsReplacedAsPythonDecodesIt() {
        byte[] raw = "{\"id\":\"a\u0000b\",\"ts\":1}".getBytes(StandardCharsets.UTF_8);
        raw[8] = (byte) 0xff;  // the NUL
        Row decoded = DECODER.decode(raw, NOW);
        assertThat(decoded.getField(0)).isEqualTo("a\ufffdb");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"id\": \"a|\", \"ts\": 1}", "{\"id\": \"a\", \"ts\": 1}|", "|{\"id\": \"a\", \"ts\": 1}"})
    void noGoodEventHoldsThePayloadSeparatorOfAnInstant(String template) {
        String payload = template.replace('|', Instants.PAYLOAD_SEPARATOR);
        assertThat(reasonOf(payload)).isEqualTo("malformed JSON");
    }

    @Test
    void aLongStringInAReasonIsCut() {
        assertThat(timeReason("\"" + "\u00e9".repeat(70) + "\""))
                .isEqualTo("time field \"ts\" is not ISO-8601: \"" + "\u00e9".repeat(64) + "\"...");
    }

    @Test
    void aDeadLetterKeepsABoundedPrefixOfThePayload() {
        assertThat(DeadLetters.json("y".repeat(DeadLetters.PAYLOAD_PREFIX_CHARS + 10), "event too large"))
                .isEqualTo("{\"reason\":\"event too large\",\"payload\":\"" + "y".repeat(DeadLetters.PAYLOAD_PREFIX_CHARS)
                        + "\",\"truncated\":true}");
        assertThat(DeadLetters.json("\"\u0001\"", "late")).isEqualTo("{\"reason\":\"late\",\"payload\":\"\\\"\\u0001\\\"\"}");
    }
}
