"""Type checking: reference resolution, cycles and kinds."""

import pytest

from dsl.nodes import And, Compare, FieldCompare, HasExisted, Kind, LatestEventToState
from dsl.errors import SpecError
from dsl.parser import parse_expression
from dsl.typecheck import check_timelines


def check(**sources):
    return check_timelines({name: parse_expression(text) for name, text in sources.items()})


def check_error(**sources):
    with pytest.raises(SpecError) as caught:
        check(**sources)
    return caught.value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("latest_event_to_state(s)", Kind.STATE),
        ("has_existed(a == 1)", Kind.BOOL),
        ("has_existed_within(a == 1, 5s)", Kind.BOOL),
        ("duration_where(has_existed(a == 1))", Kind.NUMBER),
        ("duration_in_cur_state(latest_event_to_state(s))", Kind.NUMBER),
        ("duration_in_cur_state(has_existed(a == 1))", Kind.NUMBER),
        ("!has_existed(a == 1)", Kind.BOOL),
        ("has_existed(a == 1) && has_existed(b == 1)", Kind.BOOL),
        ("has_existed(a == 1) || has_existed(b == 1)", Kind.BOOL),
        ("latest_event_to_state(s) < 3.5", Kind.BOOL),
        ("latest_event_to_state(s) != true", Kind.BOOL),
        ("has_existed(a == 1) == false", Kind.BOOL),
        ("has_existed(a == 1) != true", Kind.BOOL),
        ("duration_where(has_existed(a == 1)) >= 10s", Kind.BOOL),
        ("duration_where(has_existed(a == 1)) < 2000.0", Kind.BOOL),
        ("duration_where(has_existed(a == 1)) > 1.5", Kind.BOOL),
        ("count(a == 1, 5m) > 3", Kind.BOOL),
        ("count_changes(latest_event_to_state(a), 1h)", Kind.NUMBER),
        ("time_since(has_existed_within(a == 1, 5s))", Kind.NUMBER),
        ("previous(has_existed(a == 1))", Kind.STATE),
        ("if(has_existed(a == 1), 1.5, count(a == 2))", Kind.NUMBER),
        ('if(has_existed(a == 1), "x", latest_event_to_state(a))', Kind.STATE),
        ("integral(latest_event_to_state(a) * 2 + count(b == 1))", Kind.NUMBER),
        ("latest_event_to_state(a) * 2 + -duration_where(has_existed(a == 1)) / 3", Kind.NUMBER),
        ("latest_event_to_state(a) > latest_event_to_state(b)", Kind.BOOL),
        ("latest_event_to_state(a) >= duration_where(has_existed(a == 1)) - 1s", Kind.BOOL),
        ("has_existed(a == 1) != has_existed(b == 1)", Kind.BOOL),
        ("has_existed(duration_where(has_existed(a == 1)) > 5s)", Kind.BOOL),
        ("has_existed_within(latest_event_to_state(s) == 1, 1h)", Kind.BOOL),
        ('TL_HasExistedWithin(TL_DurationInCurState(TL_LatestEventToState(col("lat_long"))) < 10s, 1h)', Kind.BOOL),
    ],
)
def test_kinds(text, kind):
    assert check(t=text).kinds == {"t": kind}


def test_references_are_replaced_by_the_shared_referenced_tree():
    result = check(
        state="latest_event_to_state(player)",
        buffering='state == "buffer"',
        both="buffering && buffering",
    )
    state = LatestEventToState("player")
    buffering = Compare(state, "==", "buffer")
    assert result.timelines == {"state": state, "buffering": buffering, "both": And(buffering, buffering)}
    assert result.timelines["both"].left is result.timelines["buffering"]
    assert result.timelines["buffering"].operand is result.timelines["state"]
    assert result.kinds == {"state": Kind.STATE, "buffering": Kind.BOOL, "both": Kind.BOOL}


def test_references_may_point_forward_and_keep_spec_order():
    result = check(late="early", early="has_existed(a == 1)")
    assert list(result.timelines) == ["late", "early"]
    assert result.timelines["late"] == HasExisted(FieldCompare("a", "==", 1))


@pytest.mark.parametrize(
    ("sources", "timeline", "cycle", "offset"),
    [
        ({"a": "a"}, "a", "a -> a", 0),
        ({"a": "!b", "b": "has_existed(x == 1) && a"}, "b", "a -> b -> a", 23),
        ({"ok": "has_existed(x == 1)", "a": "b", "b": "c", "c": "ok && a"}, "c", "a -> b -> c -> a", 6),
    ],
)
def test_cycles(sources, timeline, cycle, offset):
    error = check_error(**sources)
    assert error.message == f"circular reference: {cycle}"
    assert (error.timeline, error.offset) == (timeline, offset)


def test_unknown_reference_suggests_close_names():
    error = check_error(buffering="has_existed(a == 1)", x="!buferring")
    assert error.message == "unknown timeline 'buferring' (did you mean 'buffering'?)"
    assert (error.timeline, error.offset) == ("x", 1)


def test_unknown_reference_without_close_name_mentions_event_fields():
    error = check_error(x="duration_where(zzz)")
    assert "unknown timeline 'zzz'; an event field is read with latest_event_to_state(zzz)" in error.message


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        (
            "duration_where(duration_where(has_existed(a == 1)))",
            "expected a boolean timeline, got a numeric timeline",
            15,
        ),
        ("duration_where(latest_event_to_state(s))", "expected a boolean timeline, got a state timeline", 15),
        (
            "duration_in_cur_state(duration_where(has_existed(a == 1)))",
            "duration_in_cur_state needs a state or boolean timeline, got a numeric timeline",
            22,
        ),
        ("!latest_event_to_state(s)", "expected a boolean timeline, got a state timeline", 1),
        (
            "has_existed(a == 1) && latest_event_to_state(s)",
            "expected a boolean timeline, got a state timeline",
            23,
        ),
        (
            "latest_event_to_state(s) || has_existed(a == 1)",
            "expected a boolean timeline, got a state timeline",
            0,
        ),
        ("has_existed(a == 1) == 1", "a boolean timeline compares with true or false, got 1", 20),
        ('has_existed(a == 1) == "x"', "a boolean timeline compares with true or false, got 'x'", 20),
        ("has_existed(a == 1) < true", "a boolean timeline compares with == or !=, got '<'", 20),
        ('duration_where(has_existed(a == 1)) > "x"', "cannot compare a numeric timeline with a string", 36),
        (
            "duration_where(has_existed(a == 1)) > true",
            "cannot compare a numeric timeline with a boolean",
            36,
        ),
        ("latest_event_to_state(s) * latest_event_to_state(s)", "a product needs a number on one side", 25),
        ("latest_event_to_state(s) / latest_event_to_state(s)", "a quotient divides by a number", 25),
        ("latest_event_to_state(s) / 0.0", "division by zero", 25),
        ('latest_event_to_state(s) + "x"', "arithmetic needs numbers, got 'x'", 25),
        ("-has_existed(a == 1)", "arithmetic needs numeric or state timelines and numbers, got a boolean", 1),
        ("has_existed(a == 1) < has_existed(b == 1)", "a boolean timeline compares with == or !=", 20),
        ("has_existed(a == 1) == duration_where(has_existed(b == 1))", "cannot compare a boolean timeline with a", 20),
        (
            "has_existed_within(a == 1, 0)",
            "has_existed_within needs a positive window in milliseconds, got 0",
            0,
        ),
        ("has_existed_within(a == 1, -5s)", "positive window in milliseconds, got -5000", 0),
        ("integral(duration_where(has_existed(a == 1)))", "integral needs a timeline whose rate is always 0", 0),
        ("if(has_existed(a == 1), count(a == 1), has_existed(b == 1))",
         "if needs two timelines of one kind, got a numeric timeline and a boolean timeline", 0),
        ("if(latest_event_to_state(a), 1, 2)", "if needs a boolean timeline first, got a state timeline", 0),
        ("if(has_existed(a == 1), latest_event_to_state(x), 10000000000000000000000)",
         "an integer value of a state timeline fits 64 bits", 0),
        ("count_changes(count(a == 1))", "expected a state or boolean timeline, got a numeric timeline", 14),
        ("count(a == 1, 0)", "count needs a positive window in milliseconds, got 0", 0),
        ("duration_where(has_existed(a == 1), -1s)", "duration_where needs a positive window", 0),
        ("previous(count(a == 1))", "expected a state or boolean timeline, got a numeric timeline", 9),
        (
            "has_existed(latest_event_to_state(s))",
            "expected an event predicate or a boolean timeline, got a state timeline",
            12,
        ),
        (
            "has_existed_within(duration_where(has_existed(a == 1)), 5s)",
            "expected an event predicate or a boolean timeline, got a numeric timeline",
            19,
        ),
    ],
)
def test_type_errors(text, message, offset):
    error = check_error(t=text)
    assert message in error.message
    assert (error.timeline, error.offset) == ("t", offset)


def test_type_error_inside_referencing_timeline_points_into_that_timeline():
    error = check_error(n="duration_where(has_existed(a == 1))", t="has_existed(a == 1) && n")
    assert error.message == "expected a boolean timeline, got a numeric timeline"
    assert (error.timeline, error.offset) == ("t", 23)


def test_a_bare_predicate_is_not_a_timeline():
    with pytest.raises(SpecError, match="expected a timeline, got an event predicate"):
        check_timelines({"p": FieldCompare("a", "==", 1)})


def test_expanded_references_too_deep():
    sources = {"t0": "has_existed(a == 1)"}
    sources |= {f"t{i}": f"!t{i - 1}" for i in range(1, 150)}
    error = check_error(**sources)
    assert "nested too deeply once references are expanded" in error.message


def test_references_that_double_at_every_step_are_refused_quickly():
    # a0 has 2 nodes and a_i = a_(i-1) && a_(i-1) has 1 + 2 * size(a_(i-1)) = 3 * 2**i - 1:
    # a9 has 1,535, a10 3,071, the first over the limit; a40 would have about 3 * 10**12
    timelines = {"a0": parse_expression("has_existed(x == 1)")}
    timelines |= {f"a{i}": parse_expression(f"a{i - 1} && a{i - 1}") for i in range(1, 41)}
    with pytest.raises(SpecError, match=r"3,071 nodes once references are expanded \(limit 2,000\)") as error:
        check_timelines(timelines)
    assert error.value.timeline == "a10"
