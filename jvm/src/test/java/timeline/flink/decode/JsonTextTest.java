package timeline.flink.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    private static JsonValue parse(String text) throws BadEvent {
        return JsonText.parse(text, Set.of("k"));
    }

    private static JsonValue member(String value) throws BadEvent {
        return parse("{\"k\":" + value + "}").member("k");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\ufeff{}", "{} // comment", "/* c */ {}", "{\"a\":1,}", "[1,]", "NaN", "Infinity", "-Infinity", "01", "-01",
        "1.", ".5", "1e", "+1", "1e400", "-1e400", "\"a\u0000\"", "\"tab\there\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"\ud800\"", "\"\udc00x\"", "\"\\x\"", "\"\\u12g4\"", "\"open", "{\"a\" 1}",
        "{\"a\":1 \"b\":2}", "\f{}", "{}\u00a0", "{} {}", "tru", "nul", "", "{'a':1}", "[1 2]",
    })
    void whatOrjsonRefusesIsMalformed(String text) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(BadEvent.class).hasMessage("malformed JSON");
    }

    @Test
    void nestingIsBoundedAt1024() throws BadEvent {
        String deepest = "[".repeat(JsonText.MAX_DEPTH) + "]".repeat(JsonText.MAX_DEPTH);
        assertThat(parse(deepest).kind).isEqualTo(JsonValue.Kind.ARRAY);
        assertThatThrownBy(() -> parse("[" + deepest + "]")).hasMessage("malformed JSON");
        assertThatThrownBy(() -> parse("{\"k\":" + deepest + "}")).hasMessage("malformed JSON");
    }

    @Test
    void integersOf64BitsAreIntegersAndLargerOnesFloats() throws BadEvent {
        assertThat(member("18446744073709551615").integer).isEqualTo(BigInteger.TWO.pow(64).subtract(BigInteger.ONE));
        assertThat(member("-9223372036854775808").integer).isEqualTo(BigInteger.valueOf(Long.MIN_VALUE));
        assertThat(member("18446744073709551616").kind).isEqualTo(JsonValue.Kind.FLOAT);
        assertThat(member("-9223372036854775809").kind).isEqualTo(JsonValue.Kind.FLOAT);
        assertThat(member("1.0").kind).isEqualTo(JsonValue.Kind.FLOAT);
        assertThat(member("1E2").number).isEqualTo(100.0);
        assertThat(member("-0").integer).isEqualTo(BigInteger.ZERO);
    }

    @Test
    void stringsAreUnescapedAndSurrogatePairsKept() throws BadEvent {
        assertThat(member("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"").string)
                .isEqualTo("\"\\/\b\f\n\r\t\u00e9\uD83D\uDE00");
        assertThat(member("\"\uD83D\uDE00\u007f\"").string).isEqualTo("\uD83D\uDE00\u007f");
    }

    @Test
    void onlyTheKeptMembersOfTheTopLevelObjectAreKeptAndTheLastDuplicateWins() throws BadEvent {
        JsonValue object = JsonText.parse(" {\"k\":1,\"x\":{\"k\":2},\"k\":\"last\"}\r\n\t", Set.of("k"));
        assertThat(object.member("k").string).isEqualTo("last");
        assertThat(object.member("x")).isNull();
        assertThat(member("{\"k\":3}").kind).isEqualTo(JsonValue.Kind.OBJECT);
        assertThat(member("{\"k\":3}").member("k")).isNull();
    }

    @Test
    void scalarsAtTheTopLevelAreValues() throws BadEvent {
        assertThat(parse("true").kind).isEqualTo(JsonValue.Kind.TRUE);
        assertThat(parse(" null ").kind).isEqualTo(JsonValue.Kind.NULL);
        assertThat(parse("\"x\"").string).isEqualTo("x");
    }
}
