"""Loading and validating YAML specs, with errors located in the file."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.nodes import Compare, HasExisted, Kind, LatestEventToState, Not
from dsl.errors import SpecError
from dsl.parser import parse_expression
from dsl.spec import load_spec, load_spec_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cirr.yaml"
HEADER = "name: demo\nkey: id\ntime: ts\n"
VALID = HEADER + 'timelines:\n  s: latest_event_to_state(player)\n  b: s == "buffer"\n'


def load_error(text):
    with pytest.raises(SpecError) as caught:
        load_spec(text, "spec.yaml")
    return caught.value


def test_example_spec_loads():
    spec = load_spec_file(EXAMPLE)
    assert (spec.name, spec.key, spec.time) == ("video_qoe", "sessionId", "ts")
    assert spec.outputs == ("cirr", "startup_time", "play_time", "stuck")
    assert spec.session_timeout_ms == 30 * 60_000
    assert spec.watermark == {"max_out_of_orderness": "2s"}
    assert spec.kinds["cirr"] is Kind.NUMBER and spec.kinds["stuck"] is Kind.BOOL
    cirr = (
        'duration_where(has_existed(playerStateChange == "play")'
        ' && !has_existed_within(userAction == "seek", 5s)'
        ' && latest_event_to_state(playerStateChange) == "buffer")'
    )
    assert spec.timelines["cirr"] == parse_expression(cirr)


def test_minimal_spec_defaults():
    spec = load_spec(VALID)
    state = LatestEventToState("player")
    assert spec.timelines == {"s": state, "b": Compare(state, "==", "buffer")}
    assert spec.kinds == {"s": Kind.STATE, "b": Kind.BOOL}
    assert spec.outputs == ("s", "b")
    assert spec.session_timeout_ms is None
    assert (spec.source, spec.sink, spec.watermark, spec.checkpoint) == ({}, {}, {}, {})
    assert spec.aggregates == ()


def test_optional_sections_are_plain_dicts():
    spec = load_spec(VALID + "outputs: [b]\nsource: {topic: events, batch: 10}\nsink:\n  kind: print\n")
    assert spec.outputs == ("b",)
    assert spec.source == {"topic": "events", "batch": 10}
    assert spec.sink == {"kind": "print"}


@pytest.mark.parametrize(
    ("value", "milliseconds"), [("30m", 1_800_000), ("90s", 90_000), ('"250ms"', 250), ("5000", 5000)]
)
def test_session_timeout(value, milliseconds):
    assert load_spec(VALID + f"session_timeout: {value}\n").session_timeout_ms == milliseconds


def test_quoted_expression_starting_with_bang():
    spec = load_spec(HEADER + "timelines:\n  b: has_existed(a == 1)\n  n: '!b'\n")
    assert spec.timelines["n"] == Not(HasExisted(parse_expression("has_existed(a == 1)").predicate))


def test_caret_rendering():
    text = HEADER + "timelines:\n    x: has_existed(a == 1)\n    cirr: duration_where(duration_where(x))\n"
    assert str(load_error(text)) == (
        "spec.yaml:6:26: timeline 'cirr': expected a boolean timeline, got a numeric timeline\n"
        "  cirr: duration_where(duration_where(x))\n"
        "                       ^"
    )


def test_error_without_position_renders_filename_and_message():
    assert str(load_error("")) == "spec.yaml: the spec is empty"


@pytest.mark.parametrize(
    ("timelines", "line", "column", "message"),
    [
        # plain scalar on one line
        ("  t: has_existed(a == 1) && zz @\n", 5, 32, "unexpected character '@'"),
        (
            "  t: duration_where(latest_event_to_state(s))\n",
            5,
            21,
            "expected a boolean timeline, got a state",
        ),
        # quoted scalars
        ('  t: "has_existed(a == 1) && @"\n', 5, 30, "unexpected character '@'"),
        ("  t: 'has_existed(a == 1) && @'\n", 5, 30, "unexpected character '@'"),
        # plain scalar folded over several lines
        ("  t: has_existed(a == 1)\n    && zz(x)\n", 6, 8, "unknown function 'zz'"),
        # literal block scalar
        (
            "  t: |\n    has_existed(a == 1)\n      && has_existed(b == 2)\n      && !@\n",
            8,
            11,
            "unexpected character '@'",
        ),
        ("  t: |\n    has_existed(a == 1)\n\n      && unknown\n", 8, 10, "unknown timeline 'unknown'"),
        # folded block scalar
        (
            "  t: >\n    has_existed(a == 1)\n    && has_existed(b == 2) &&\n",
            7,
            30,
            "expected a timeline, got end",
        ),
        (
            "  t: >-\n    has_existed(a == 1)\n    && duration_where(has_existed(b == 2))\n",
            7,
            8,
            "expected a boolean",
        ),
    ],
)
def test_expression_errors_are_located_in_the_file(timelines, line, column, message):
    error = load_error(HEADER + "timelines:\n" + timelines)
    assert message in error.message
    assert (error.line, error.column, error.timeline) == (line, column, "t")
    assert error.filename == "spec.yaml"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        (VALID + "timelnes: {}\n", 7, 1, "unknown key 'timelnes' (did you mean 'timelines'"),
        (VALID + "session_timout: 5s\n", 7, 1, "(did you mean 'session_timeout'?)"),
        ("name: demo\nkey: id\ntimelines: {t: has_existed(a == 1)}\n", 1, 1, "missing required key 'time'"),
        ("- a\n- b\n", 1, 1, "the spec must be a mapping, got a list"),
        (
            "name: [x]\nkey: id\ntime: ts\ntimelines: {t: has_existed(a == 1)}\n",
            1,
            7,
            "'name' must be a string, got a list",
        ),
        (
            "name: ''\nkey: id\ntime: ts\ntimelines: {t: has_existed(a == 1)}\n",
            1,
            7,
            "'name' must not be empty",
        ),
        (
            "name: demo\nkey: 5\ntime: ts\ntimelines: {t: has_existed(a == 1)}\n",
            2,
            6,
            "'key' must be a string, got an integer",
        ),
        (HEADER + "timelines: []\n", 4, 12, "'timelines' must be a mapping, got a list"),
        (HEADER + "timelines: {}\n", 4, 12, "'timelines' must define at least one timeline"),
        (
            HEADER + "timelines:\n  t: 5\n",
            5,
            6,
            "the expression of timeline 't' must be a string, got an integer",
        ),
        (HEADER + "timelines:\n  t:\n", 5, 5, "must be a string, got an empty value"),
        (
            HEADER + "timelines:\n  2x: has_existed(a == 1)\n",
            5,
            3,
            "timeline name '2x' must be letters, digits and '_'",
        ),
        (
            HEADER + "timelines:\n  duration_where: has_existed(a == 1)\n",
            5,
            3,
            "'duration_where' is reserved",
        ),
        (HEADER + "timelines:\n  'true': has_existed(a == 1)\n", 5, 3, "'true' is reserved"),
        (
            HEADER + "timelines:\n  on: has_existed(a == 1)\n",
            5,
            3,
            "got a boolean (quote it to make it a string)",
        ),
        (
            HEADER + "timelines:\n  t: has_existed(a == 1)\n  t: t\n",
            6,
            3,
            "duplicate key 't' (first defined on line 5)",
        ),
        (VALID + "outputs: b\n", 7, 10, "'outputs' must be a list of timeline names, got a string"),
        (VALID + "outputs: [b, bb]\n", 7, 14, "unknown timeline 'bb' in 'outputs' (did you mean 'b'?)"),
        (VALID + "outputs: [b, b]\n", 7, 14, "timeline 'b' is listed twice in 'outputs'"),
        (VALID + "outputs: [b, 3]\n", 7, 14, "an entry of 'outputs' must be a string, got an integer"),
        (VALID + "session_timeout: 30 min\n", 7, 21, "unexpected 'min' after a complete expression"),
        (VALID + "session_timeout: 30x\n", 7, 20, "unknown duration unit 'x'"),
        (VALID + "session_timeout: 0\n", 7, 18, "'session_timeout' must be positive, got 0"),
        (
            VALID + "session_timeout: 1.5\n",
            7,
            18,
            "'session_timeout' must be a duration such as 30m or milliseconds",
        ),
        (VALID + "watermark: 2s\n", 7, 12, "'watermark' must be a mapping, got a string"),
        (VALID + "source: {when: 2001-13-45}\n", 7, 9, "invalid value: month must be in 1..12"),
        (
            VALID + "sink: {a: !!python/name:os.system x}\n",
            7,
            11,
            "invalid YAML: could not determine a constructor",
        ),
        (VALID + "outputs: [b\n", 8, 1, "invalid YAML: expected ',' or ']'"),
        (VALID + "  bad: x: y\n", 7, 9, "invalid YAML: mapping values are not allowed here"),
        ("name: demo\tx: 1\n\x07\n", 2, 1, "invalid YAML: unacceptable character #x0007"),
    ],
)
def test_structure_errors(text, line, column, message):
    error = load_error(text)
    assert message in error.message
    assert (error.line, error.column) == (line, column)


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ('!has_existed(a == "x")', 6),
        ("!s == 'buffer'", 6),
        ("! s", 6),
        ("!b && b", 6),
        ("&x !b", 6),
        ('!"x"', 6),
    ],
)
def test_unquoted_bang_must_be_quoted(value, column):
    error = load_error(VALID + f"  n: {value}\n")
    assert error.message.startswith("a value starting with '!' must be quoted")
    assert (error.line, error.column) == (7, column)


def test_unquoted_bang_in_a_nested_block_mapping():
    error = load_error(VALID + "  n: !b && b\n  m: b\n")
    assert "must be quoted" in error.message and (error.line, error.column) == (7, 6)


def test_unreadable_file(tmp_path):
    with pytest.raises(SpecError, match="cannot read the spec"):
        load_spec_file(tmp_path / "missing.yaml")


def test_recursive_anchors_and_deep_nesting_raise_spec_error():
    with pytest.raises(SpecError):
        load_spec("a: &x [*x]\n")
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec("[" * 3000)
    spec = load_spec(VALID + "source: &s {self: *s}\n")
    assert spec.source["self"] is spec.source


def _load_or_spec_error(text):
    try:
        load_spec(text, "fuzz.yaml")
    except SpecError as error:
        str(error)


@given(st.text())
def test_arbitrary_text_raises_only_spec_error(text):
    _load_or_spec_error(text)


YAML_PIECES = st.sampled_from(
    list("!&*|>:-#'\"[]{},\n\t ()=5s") + ["  ", "\n  ", "!b", "|\n    ", "outputs: [", "30m"]
)


@given(
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 4), YAML_PIECES), max_size=6),
)
def test_mutated_specs_raise_only_spec_error(mutations):
    text = EXAMPLE.read_text()
    for position, length, insert in mutations:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length :]
    _load_or_spec_error(text)


@pytest.mark.parametrize("timelines, session_timeout", [
    ('has_existed_within(a == 1, 1000000000000001)', "30m"),
    ('x | aggregate(every(1000000000000001))', "30m"),
    ("latest_event_to_state(a)", "1000000000000001"),
    ("latest_event_to_state(a)", 1000000000000001),
])
def test_durations_past_the_limit_are_spec_errors(timelines, session_timeout):
    error = load_error(f"name: n\nkey: k\ntime: t\ntimelines:\n  x: has_existed(a == 1)\n  y: {timelines}\n"
                       f"session_timeout: {session_timeout}\n")
    assert "longer than the limit of 1000000000000000 ms" in error.message


JOB_SECTIONS = VALID + "sink:\n  pulsar:\n    topic: changes\n    delivery: twice\nwatermark: {}\n"


@pytest.mark.parametrize(
    ("keys", "at_key", "place"),
    [
        (("sink", "pulsar", "delivery"), False, (10, 15, "delivery: twice")),  # at the value
        (("sink", "pulsar", "delivery"), True, (10, 5, "delivery: twice")),  # at the key
        (("sink", "pulsar", "batching"), False, (9, 5, "topic: changes")),  # not written: at its section
        (("watermark", "idle_timeout"), False, (11, 12, "watermark: {}")),
    ],
)
def test_a_setting_is_placed_where_the_loaded_spec_writes_it(keys, at_key, place):
    error = load_spec(JOB_SECTIONS, "b.yaml").written.locate_setting("bad", keys, at_key)
    assert (error.filename, error.line, error.column, error.source_line.strip()) == ("b.yaml", *place)


def test_a_setting_of_a_section_the_spec_does_not_write_has_the_file_only():
    error = load_spec(VALID, "b.yaml").written.locate_setting("bad", ("checkpoint", "interval"), False)
    assert str(error) == "b.yaml: bad"
