"""Parsing timeline expressions into syntax trees."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.nodes import (
    And,
    Compare,
    DurationInCurState,
    DurationWhere,
    FieldCompare,
    HasExisted,
    HasExistedWithin,
    LatestEventToState,
    Not,
    Or,
    PredAnd,
    PredNot,
    PredOr,
    Ref,
    children,
)
from dsl.errors import SpecError
from dsl.parser import parse_duration, parse_expression

PLAY = FieldCompare("playerStateChange", "==", "play")
SEEK = FieldCompare("userAction", "==", "seek")
CIRR_INFIX = (
    'duration_where(has_existed(playerStateChange == "play")'
    ' && !has_existed_within(userAction == "seek", 5s)'
    ' && latest_event_to_state(playerStateChange) == "buffer")'
)
CIRR_FUNCTIONAL = (
    'TL_DurationWhere(And(TL_HasExisted(col("playerStateChange") == "play"),'
    ' And(Not(TL_HasExistedWithin(col("userAction") == "seek", 5sec)),'
    ' TL_LatestEventToState(col("playerStateChange")) == "buffer")))'
)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("latest_event_to_state(state)", LatestEventToState("state")),
        ('latest_event_to_state(col("player state"))', LatestEventToState("player state")),
        ('has_existed(a == "x")', HasExisted(FieldCompare("a", "==", "x"))),
        ("has_existed_within(a > 3, 250ms)", HasExistedWithin(FieldCompare("a", ">", 3), 250)),
        ("has_existed_within(a != 3, 1500)", HasExistedWithin(FieldCompare("a", "!=", 3), 1500)),
        ("duration_where(ok)", DurationWhere(Ref("ok"))),
        ("duration_in_cur_state(s)", DurationInCurState(Ref("s"))),
        ("!ok", Not(Ref("ok"))),
        ("!!ok", Not(Not(Ref("ok")))),
        ("a && b", And(Ref("a"), Ref("b"))),
        ("a || b", Or(Ref("a"), Ref("b"))),
        ("(a)", Ref("a")),
        ("s <= 2", Compare(Ref("s"), "<=", 2)),
        ("s >= 10s", Compare(Ref("s"), ">=", 10_000)),
        ("s < -1.5", Compare(Ref("s"), "<", -1.5)),
        ("s == true", Compare(Ref("s"), "==", True)),
        ("s != false", Compare(Ref("s"), "!=", False)),
        ("duration_where(a) > 1m", Compare(DurationWhere(Ref("a")), ">", 60_000)),
        (
            'has_existed(!(a == 1 || b == 2) && col("c d") == "x")',
            HasExisted(
                PredAnd(
                    PredNot(PredOr(FieldCompare("a", "==", 1), FieldCompare("b", "==", 2))),
                    FieldCompare("c d", "==", "x"),
                )
            ),
        ),
        (
            "has_existed(Or(Not(a == 1), And(b == 2, c == 3)))",
            HasExisted(
                PredOr(
                    PredNot(FieldCompare("a", "==", 1)),
                    PredAnd(FieldCompare("b", "==", 2), FieldCompare("c", "==", 3)),
                )
            ),
        ),
        ("Or(Not(a), And(b, c))", Or(Not(Ref("a")), And(Ref("b"), Ref("c")))),
        ("has_existed(col == 1)", HasExisted(FieldCompare("col", "==", 1))),
    ],
)
def test_constructs(text, tree):
    assert parse_expression(text) == tree


def test_comparison_binds_tighter_than_not():
    assert parse_expression('!x == "a"') == Not(Compare(Ref("x"), "==", "a"))


def test_and_binds_tighter_than_or():
    assert parse_expression("a || b && c") == Or(Ref("a"), And(Ref("b"), Ref("c")))
    assert parse_expression("a && b || c") == Or(And(Ref("a"), Ref("b")), Ref("c"))


def test_binary_operators_associate_to_the_left():
    assert parse_expression("a && b && c") == And(And(Ref("a"), Ref("b")), Ref("c"))


def test_functional_spelling_equals_infix_spelling():
    expected = DurationWhere(
        And(
            HasExisted(PLAY),
            And(
                Not(HasExistedWithin(SEEK, 5_000)),
                Compare(LatestEventToState("playerStateChange"), "==", "buffer"),
            ),
        )
    )
    assert parse_expression(CIRR_FUNCTIONAL) == expected
    infix = parse_expression(CIRR_INFIX)
    assert infix.operand.left == And(HasExisted(PLAY), Not(HasExistedWithin(SEEK, 5_000)))


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"a\\"b"', 'a"b'),
        ("'it\\'s'", "it's"),
        ('"back\\\\slash"', "back\\slash"),
        ('"tab\\tnew\\nline"', "tab\tnew\nline"),
        ('"\\u00e9t\\u00E9"', "été"),
        ("'double \" inside'", 'double " inside'),
        ("42", 42),
        ("-7", -7),
        ("0.25", 0.25),
        ("-0.5", -0.5),
        ("true", True),
        ("false", False),
        ("250ms", 250),
        ("5s", 5_000),
        ("5sec", 5_000),
        ("2m", 120_000),
        ("2min", 120_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
        ("1.5s", 1_500),
    ],
)
def test_literals(literal, value):
    node = parse_expression(f"s == {literal}")
    assert node.literal == value
    assert type(node.literal) is type(value)


def test_positions():
    node = parse_expression("a && duration_where(b) > 5")
    assert node.pos == 2
    assert node.left.pos == 0
    assert node.right.pos == 23
    assert node.right.operand.pos == 5
    assert node.right.operand.operand.pos == 20
    predicate = parse_expression("has_existed(!x == 1)").predicate
    assert (predicate.pos, predicate.operand.pos) == (12, 13)


def test_every_node_has_a_position():
    node = parse_expression(CIRR_INFIX)
    stack = [node]
    positions = []
    while stack:
        top = stack.pop()
        positions.append(top.pos)
        stack.extend(children(top))
    assert positions[0] == 0 and all(pos > 0 for pos in positions[1:])


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "empty expression", 1),
        ("   ", "empty expression", 1),
        ("a @ b", "unexpected character '@'", 3),
        ("a = 1", "unexpected character '=' (did you mean '=='?)", 3),
        ("a & b", "did you mean '&&'?", 3),
        ('s == "abc', "unterminated string", 6),
        ("s == 'a\\q'", "unknown escape '\\q'", 8),
        ('s == "\\u12"', "\\u must be followed by 4 hexadecimal digits", 7),
        ("s == 5parsecs", "unknown duration unit 'parsecs'", 7),
        ("s == 1.0005s", "not a whole number of milliseconds", 6),
        ("has_existd(a == 1)", "unknown function 'has_existd' (did you mean 'has_existed'", 1),
        ("duration_where(a, b)", "expected a duration such as 5s or a whole number of milliseconds, got 'b'", 19),
        ("duration_where(a, 5s, 1)", "duration_where() takes 1 or 2 arguments, got more than 2", 1),
        ("has_existed_within(a == 1)", "has_existed_within() takes 2 arguments, got 1", 1),
        ("Not()", "Not() takes 1 argument, got 0", 1),
        ("a b", "unexpected 'b' after a complete expression", 3),
        ("(a))", "unexpected ')' after a complete expression", 4),
        ("(a", "expected ')', got end of expression", 3),
        ("duration_where(a", "expected ')', got end of expression", 17),
        ("has_existed(a ==)", "expected a string, number, duration, true or false after '==', got ')'", 17),
        ("s == ", "expected a timeline, got end of expression", 5),
        ("1 < 2", "a comparison needs a timeline on one side, got two literals", 3),
        ("-5", "expected a timeline, got '-'", 1),
        ("5", "expected a timeline, got '5'", 1),
        ("true", "expected a timeline, got 'true'", 1),
        ("a && ", "expected a timeline, got end of expression", 5),
        ('has_existed_within(a == 1, "5s")', "expected a duration such as 5s", 28),
        ("has_existed_within(a == 1, 1.5)", "expected a duration such as 5s", 28),
        ("has_existed(a == 1 && )", "expected a column name, got ')'", 23),
        ("has_existed(has_existed(a == 1) && )", "expected a timeline, got ')'", 36),
        ('col("x")', "col(...) names an event field; expected a timeline", 1),
        ("latest_event_to_state(col(x))", "col() takes a quoted field name, got 'x'", 27),
        ("latest_event_to_state(5)", "expected a column name, got '5'", 23),
        ("s == 1 == 2", "unexpected '==' after a complete expression", 8),
    ],
)
def test_errors(text, message, column):
    with pytest.raises(SpecError) as caught:
        parse_expression(text)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, column)
    assert caught.value.offset == column - 1


def test_error_line_and_column_in_multi_line_text():
    with pytest.raises(SpecError) as caught:
        parse_expression("a &&\n  b ~")
    assert (caught.value.line, caught.value.column) == (2, 5)
    assert caught.value.source_line == "  b ~"
    assert caught.value.offset == 9


def test_error_renders_the_line_with_a_caret():
    with pytest.raises(SpecError) as caught:
        parse_expression("a && b @")
    assert str(caught.value) == "line 1, column 8: unexpected character '@'\n  a && b @\n         ^"


def test_deep_nesting_is_an_error_not_a_crash():
    for text in ["(" * 500 + "a" + ")" * 500, "!" * 5000 + "a", " && ".join(["a"] * 5000)]:
        with pytest.raises(SpecError, match="nested too deeply"):
            parse_expression(text)


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [("250ms", 250), ("90s", 90_000), ("30m", 1_800_000), (" 1h ", 3_600_000), ("5000", 5000)],
)
def test_parse_duration(text, milliseconds):
    assert parse_duration(text) == milliseconds


@pytest.mark.parametrize("text", ["", "5 s", "abc", '"5s"', "1.5"])
def test_parse_duration_errors(text):
    with pytest.raises(SpecError):
        parse_duration(text)


def _parse_or_spec_error(text):
    try:
        parse_expression(text)
    except SpecError as error:
        assert error.offset is not None and 0 <= error.offset <= len(text)


@given(st.text())
def test_arbitrary_text_raises_only_spec_error(text):
    _parse_or_spec_error(text)


EXPRESSION_ALPHABET = st.sampled_from(
    list("()!&|=<>,\"'\\ -._5msahx") + ["&&", "||", "==", "has_existed(", "col(", "5s"]
)


@given(
    st.sampled_from([CIRR_INFIX, CIRR_FUNCTIONAL, "duration_in_cur_state(s) >= 10s && b"]),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 3), EXPRESSION_ALPHABET), max_size=6),
)
def test_mutated_expressions_raise_only_spec_error(text, mutations):
    for position, length, insert in mutations:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length :]
    _parse_or_spec_error(text)
