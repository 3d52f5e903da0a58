"""Both evaluators, the reference and the incremental engine, against
expectations worked out by hand from docs/semantics.md."""
from __future__ import annotations

import sys
from typing import Any

import pytest

from dsl.nodes import (
    And,
    Compare,
    DurationInCurState,
    DurationWhere,
    FieldCompare,
    HasExisted,
    HasExistedWithin,
    LatestEventToState,
    Node,
    Not,
    Or,
    PredAnd,
    PredNot,
    PredOr,
)
from dsl.plan import compile_plan
from dsl.spec import Spec
from dsl.typecheck import kind_of
from engine import batch, reference
from engine.decode import Event
from engine.incremental import Engine
from engine.events import event_key, event_time


def incremental(spec: Spec, events) -> list[dict]:
    decoded = [Event(event_key(e, spec.key), event_time(e, spec.time), e) for e in events]
    return batch.evaluate(Engine(compile_plan(spec)), decoded)


EVALUATORS = {"reference": reference.evaluate, "incremental": incremental}
evaluate = reference.evaluate


@pytest.fixture(autouse=True, params=sorted(EVALUATORS))
def evaluator(request, monkeypatch):
    """Every test here runs once per evaluator."""
    monkeypatch.setattr(sys.modules[__name__], "evaluate", EVALUATORS[request.param])

T, F = True, False


def spec_of(timelines: dict[str, Node], outputs=None, timeout_ms=None) -> Spec:
    return Spec(
        name="test",
        key="k",
        time="t",
        timelines=timelines,
        kinds={name: kind_of(node) for name, node in timelines.items()},
        outputs=tuple(outputs or timelines),
        session_timeout_ms=timeout_ms,
    )


def ev(t: int, key: Any = "k1", **fields: Any) -> dict[str, Any]:
    return {"k": key, "t": t, **fields}


def changes(node: Node, events, key="k1", timeout_ms=None) -> list[tuple]:
    """One timeline's records for one key as (time, value) or (time, value, rate)."""
    records = evaluate(spec_of({"x": node}, timeout_ms=timeout_ms), events)
    return [
        (r["time"], r["value"], r["rate"]) if "rate" in r else (r["time"], r["value"])
        for r in records
        if r["key"] == key
    ]


def state(column: str) -> Node:
    return LatestEventToState(column)


def field_is(column: str, literal: Any) -> Node:
    return FieldCompare(column, "==", literal)


def running_since_t0(first_event_time: int = 1000) -> tuple[Node, list[dict]]:
    """A numeric timeline 0 at t0 and rising at rate 1 forever (one event, no timeout)."""
    return DurationInCurState(state("s")), [ev(first_event_time, s="a")]


# --- the worked example ------------------------------------------------------------


def test_cirr_worked_example():
    cirr = DurationWhere(
        And(
            And(
                HasExisted(field_is("playerStateChange", "play")),
                Not(HasExistedWithin(field_is("userAction", "seek"), 5000)),
            ),
            Compare(state("playerStateChange"), "==", "buffer"),
        )
    )
    events = [
        ev(1000, "s1", playerStateChange="play"),
        ev(2000, "s1", userAction="seek"),
        ev(3000, "s1", playerStateChange="buffer"),
        ev(10000, "s1", playerStateChange="play"),
    ]
    # played since 1000; seek window [2000, 7000); buffering over [3000, 10000).
    # All three hold over [7000, 10000): 0 flat, rising from 7000, 3000 at 10000.
    assert evaluate(spec_of({"cirr": cirr}), events) == [
        {"key": "s1", "timeline": "cirr", "time": 1000, "value": 0, "rate": 0},
        {"key": "s1", "timeline": "cirr", "time": 7000, "value": 0, "rate": 1},
        {"key": "s1", "timeline": "cirr", "time": 10000, "value": 3000, "rate": 0},
    ]


# --- latest_event_to_state ------------------------------------------------------------


def test_latest_state_is_null_until_the_column_appears():
    # t0 = 1000 has no s: null at t0, then "a".
    assert changes(state("s"), [ev(1000, x=1), ev(2000, s="a")]) == [(1000, None), (2000, "a")]


def test_latest_state_ignores_null_and_missing_fields():
    # A null s (2000) and a missing s (3000) keep "a"; "b" comes at 4000.
    events = [ev(1000, s="a"), ev(2000, s=None), ev(3000, x=1), ev(4000, s="b")]
    assert changes(state("s"), events) == [(1000, "a"), (4000, "b")]


def test_ties_last_event_at_an_instant_wins():
    # At 2000 "b" then "c": only "c" is seen. At 3000 "d" then "c" again: no change.
    events = [ev(1000, s="a"), ev(2000, s="b"), ev(2000, s="c"), ev(3000, s="d"), ev(3000, s="c")]
    assert changes(state("s"), events) == [(1000, "a"), (2000, "c")]


def test_equal_times_keep_input_order_even_when_input_is_unsorted():
    # Sorted by time: a@1000, x@2000, y@2000 (input order kept): "y" wins at 2000.
    events = [ev(2000, s="x"), ev(1000, s="a"), ev(2000, s="y")]
    assert changes(state("s"), events) == [(1000, "a"), (2000, "y")]


# --- has_existed and predicates ------------------------------------------------------------


def test_has_existed_turns_true_at_first_match():
    # t0 = 500 has no match: false, then true from 2000 for good.
    events = [ev(500, a=0), ev(2000, a=1), ev(3000, a=0)]
    assert changes(HasExisted(field_is("a", 1)), events) == [(500, F), (2000, T)]


def test_has_existed_with_match_at_t0():
    assert changes(HasExisted(field_is("a", 1)), [ev(1000, a=1), ev(2000, a=2)]) == [(1000, T)]


def test_field_compare_is_false_for_missing_null_and_mismatched_types():
    # a != 1: missing (1000), null (2000) and the string "1" (3000) are all false; 2 is true.
    events = [ev(1000), ev(2000, a=None), ev(3000, a="1"), ev(4000, a=2)]
    assert changes(HasExisted(FieldCompare("a", "!=", 1)), events) == [(1000, F), (4000, T)]


def test_pred_not_of_a_missing_field_is_true():
    # a == 1 is false on the event without a (2000), so its negation matches there.
    events = [ev(1000, a=1), ev(2000)]
    assert changes(HasExisted(PredNot(field_is("a", 1))), events) == [(1000, F), (2000, T)]


def test_pred_and_or():
    # A 1 ms window shows each match m as true over [m, m + 1).
    events = [ev(1000, a=1), ev(2000, a=1, b="x"), ev(3000, b="x")]
    both = HasExistedWithin(PredAnd(field_is("a", 1), field_is("b", "x")), 1)
    either = HasExistedWithin(PredOr(field_is("a", 1), field_is("b", "x")), 1)
    assert changes(both, events) == [(1000, F), (2000, T), (2001, F)]
    assert changes(either, events) == [
        (1000, T), (1001, F), (2000, T), (2001, F), (3000, T), (3001, F),
    ]


def test_numbers_compare_by_value_in_predicates():
    # 5.0 == 5 matches at 2000.
    events = [ev(1000, a=4), ev(2000, a=5.0)]
    assert changes(HasExisted(field_is("a", 5)), events) == [(1000, F), (2000, T)]


# --- has_existed_within ------------------------------------------------------------


def test_window_expires_after_the_last_event_without_timeout():
    # Matches at 1000 and 5000, window 1000: [1000, 2000) and [5000, 6000); 6000 is after
    # the last event but still emitted because the run never ends.
    events = [ev(500), ev(1000, a=1), ev(5000, a=1)]
    assert changes(HasExistedWithin(field_is("a", 1), 1000), events) == [
        (500, F), (1000, T), (2000, F), (5000, T), (6000, F),
    ]


def test_touching_windows_merge():
    # [1000, 2000) then a match exactly at 2000: [2000, 3000), no gap; the match at 2500
    # extends to 3500.
    events = [ev(1000, a=1), ev(2000, a=1), ev(2500, a=1)]
    assert changes(HasExistedWithin(field_is("a", 1), 1000), events) == [(1000, T), (3500, F)]


# --- comparisons on state and boolean timelines ------------------------------------------


def test_compare_on_state_is_pointwise_and_null_is_false():
    # v != 3: null at 1000 (false), 3 at 2000 (false), 4 at 3000 (true).
    events = [ev(1000), ev(2000, v=3), ev(3000, v=4)]
    assert changes(Compare(state("v"), "!=", 3), events) == [(1000, F), (3000, T)]


def test_compare_on_state_orders_numbers_and_rejects_other_types():
    # v >= 5: 3 no, 5.0 yes, "7" (string) no, 9 yes.
    events = [ev(1000, v=3), ev(2000, v=5.0), ev(3000, v="7"), ev(4000, v=9)]
    assert changes(Compare(state("v"), ">=", 5), events) == [
        (1000, F), (2000, T), (3000, F), (4000, T),
    ]


def test_compare_on_boolean_timeline():
    # has_existed(a == 1) is false on [1000, 2000), true after.
    existed = HasExisted(field_is("a", 1))
    events = [ev(1000), ev(2000, a=1)]
    assert changes(Compare(existed, "==", False), events) == [(1000, T), (2000, F)]
    assert changes(Compare(existed, "!=", True), events) == [(1000, T), (2000, F)]


def test_true_is_not_one_even_for_structurally_equal_trees():
    # 1 == True in Python, but the nodes compare their literals' types too, and the value
    # rules tell true from 1: v is True, so "== True" holds and "== 1" does not.
    is_true, is_one = Compare(state("v"), "==", True), Compare(state("v"), "==", 1)
    assert is_true != is_one
    spec = spec_of({"is_true": is_true, "is_one": is_one})
    values = {r["timeline"]: r["value"] for r in evaluate(spec, [ev(1000, v=True)])}
    assert values == {"is_true": True, "is_one": False}


# --- not, and, or ---------------------------------------------------------------------------


def test_boolean_operators_are_pointwise():
    # x: false [1000, 2000), true after. y: true [1000, 2000), false after.
    # And is false throughout, Or true throughout: no record at 2000 where both flip.
    x = HasExisted(field_is("a", 1))
    y = HasExistedWithin(field_is("b", 1), 1000)
    events = [ev(1000, b=1), ev(2000, a=1), ev(3000, c=0)]
    assert changes(And(x, y), events) == [(1000, F)]
    assert changes(Or(x, y), events) == [(1000, T)]
    assert changes(Not(x), events) == [(1000, T), (2000, F)]


# --- duration_where -------------------------------------------------------------------------


def test_duration_where_accumulates_true_time():
    # "on" over [2000, 5000) and from 6000: 0 flat, rising, 3000 flat, rising again.
    on = Compare(state("s"), "==", "on")
    events = [ev(1000, s="off"), ev(2000, s="on"), ev(5000, s="off"), ev(6000, s="on")]
    assert changes(DurationWhere(on), events) == [
        (1000, 0, 0), (2000, 0, 1), (5000, 3000, 0), (6000, 3000, 1),
    ]


def test_duration_where_ignores_off_and_on_again_at_one_instant():
    # At 3000 "off" then "on": still "on", so one ramp from 1000.
    on = Compare(state("s"), "==", "on")
    events = [ev(1000, s="on"), ev(3000, s="off"), ev(3000, s="on")]
    assert changes(DurationWhere(on), events) == [(1000, 0, 1)]


# --- duration_in_cur_state ------------------------------------------------------------------


def test_duration_in_cur_state_repeated_value_does_not_restart():
    # Runs: "a" from 1000, "b" from 2000 (2500 repeats "b"), "a" from 4000.
    events = [ev(1000, s="a"), ev(2000, s="b"), ev(2500, s="b"), ev(4000, s="a")]
    assert changes(DurationInCurState(state("s")), events) == [
        (1000, 0, 1), (2000, 0, 1), (4000, 0, 1),
    ]


def test_duration_in_cur_state_change_and_back_at_one_instant_is_no_change():
    # At 3000 "b" then "a" again: the run of "a" from 1000 goes on.
    events = [ev(1000, s="a"), ev(3000, s="b"), ev(3000, s="a")]
    assert changes(DurationInCurState(state("s")), events) == [(1000, 0, 1)]


def test_duration_in_cur_state_uses_value_equality():
    # 5.0 is the same value as 5 (no restart); 1 differs from 5; True differs from 1.
    events = [ev(1000, v=5), ev(2000, v=5.0), ev(3000, v=1), ev(4000, v=True)]
    assert changes(DurationInCurState(state("v")), events) == [
        (1000, 0, 1), (3000, 0, 1), (4000, 0, 1),
    ]


def test_duration_in_cur_state_of_boolean():
    # has_existed(a == 1): false from 1000, true from 3000; the repeat at 4000 changes nothing.
    events = [ev(1000), ev(3000, a=1), ev(4000, a=1)]
    assert changes(DurationInCurState(HasExisted(field_is("a", 1))), events) == [
        (1000, 0, 1), (3000, 0, 1),
    ]


# --- comparisons on numeric timelines --------------------------------------------------------


def test_rising_crossings_are_exact():
    # x = t - 1000 from t0 = 1000, so x reaches 3000 at 4000, where it counts as just
    # above 3000: >= and > turn true there, < and <= turn false; == never holds.
    x, events = running_since_t0()
    assert changes(Compare(x, ">=", 3000), events) == [(1000, F), (4000, T)]
    assert changes(Compare(x, ">", 3000), events) == [(1000, F), (4000, T)]
    assert changes(Compare(x, "<", 3000), events) == [(1000, T), (4000, F)]
    assert changes(Compare(x, "<=", 3000), events) == [(1000, T), (4000, F)]
    assert changes(Compare(x, "==", 3000), events) == [(1000, F)]
    assert changes(Compare(x, "!=", 3000), events) == [(1000, T)]


def test_rising_from_the_literal_at_t0():
    # x is 0 at t0 and rising: just above 0.
    x, events = running_since_t0()
    assert changes(Compare(x, ">", 0), events) == [(1000, T)]
    assert changes(Compare(x, "==", 0), events) == [(1000, F)]


def test_flat_value_at_the_literal_equals_it():
    # Window [1000, 3000): the duration rises from 0, reaching 2000 at 3000 where it stops
    # (rate 0). So it is below 2000 before 3000 and exactly equal from 3000 on.
    d = DurationWhere(HasExistedWithin(field_is("a", 1), 2000))
    events = [ev(1000, a=1)]
    assert changes(d, events) == [(1000, 0, 1), (3000, 2000, 0)]
    assert changes(Compare(d, "==", 2000), events) == [(1000, F), (3000, T)]
    assert changes(Compare(d, ">=", 2000), events) == [(1000, F), (3000, T)]
    assert changes(Compare(d, ">", 2000), events) == [(1000, F)]
    assert changes(Compare(d, "<=", 2000), events) == [(1000, T)]
    assert changes(Compare(d, "<", 2000), events) == [(1000, T), (3000, F)]


def test_crossing_on_a_later_ramp():
    # Rises over [1000, 2000) to 1000, flat until 5000, rises again: 1500 at 5500.
    d = DurationWhere(Compare(state("s"), "==", "on"))
    events = [ev(1000, s="on"), ev(2000, s="off"), ev(5000, s="on")]
    assert changes(Compare(d, ">=", 1500), events) == [(1000, F), (5500, T)]


# --- session timeout --------------------------------------------------------------------------


SESSION_EVENTS = [
    ev(1000, s="a"),
    ev(3000, s="b"),
    ev(8000, s="c"),  # exactly at 3000 + 5000: the run continues
    ev(20000, s="d"),  # after 8000 + 5000 = 13000: a new run with t0 = 20000
]


def test_session_ends_with_null_and_restarts():
    assert changes(state("s"), SESSION_EVENTS, timeout_ms=5000) == [
        (1000, "a"), (3000, "b"), (8000, "c"), (13000, None), (20000, "d"), (25000, None),
    ]


def test_session_end_on_numeric_timeline_has_rate_zero():
    assert changes(DurationInCurState(state("s")), SESSION_EVENTS, timeout_ms=5000) == [
        (1000, 0, 1), (3000, 0, 1), (8000, 0, 1), (13000, None, 0), (20000, 0, 1), (25000, None, 0),
    ]


def test_new_run_drops_state():
    # "a" was seen in the first run only; the second run starts from false again.
    assert changes(HasExisted(field_is("s", "a")), SESSION_EVENTS, timeout_ms=5000) == [
        (1000, T), (13000, None), (20000, F), (25000, None),
    ]


def test_session_end_cuts_a_pending_window():
    # The "d" window would last until 30000, but the run ends at 25000.
    window = HasExistedWithin(field_is("s", "d"), 10000)
    assert changes(window, SESSION_EVENTS, timeout_ms=5000) == [
        (1000, F), (13000, None), (20000, T), (25000, None),
    ]


def test_session_end_record_also_follows_a_null_state():
    # q never appears: null at each t0 and a null end record per run all the same.
    assert changes(state("q"), SESSION_EVENTS, timeout_ms=5000) == [
        (1000, None), (13000, None), (20000, None), (25000, None),
    ]


# --- keys and outputs -----------------------------------------------------------------------


def test_keys_are_independent():
    # k1 runs 1000..3000 with a 1000 ms timeout split (3000 > 1000 + 1000) although k2 has an
    # event at 2000; k2 (an integer key, reported as "7") has its own t0 = 500.
    events = [ev(1000, "k1", a=1), ev(500, 7, b=1), ev(2000, 7, a=1), ev(3000, "k1", b=1)]
    existed = HasExisted(field_is("a", 1))
    assert changes(existed, events, key="k1", timeout_ms=1000) == [
        (1000, T), (2000, None), (3000, F), (4000, None),
    ]
    assert changes(existed, events, key="7", timeout_ms=1000) == [
        (500, F), (1500, None), (2000, T), (3000, None),
    ]


def test_only_outputs_are_emitted_sorted_by_key_timeline_time():
    spec = spec_of(
        {"hidden": state("s"), "b": state("s"), "a": HasExisted(field_is("s", "y"))},
        outputs=("b", "a"),
    )
    events = [ev(2000, "k2", s="y"), ev(1000, "k1", s="x"), ev(3000, "k1", s="y")]
    assert [(r["key"], r["timeline"], r["time"], r["value"]) for r in evaluate(spec, events)] == [
        ("k1", "a", 1000, False),
        ("k1", "a", 3000, True),
        ("k1", "b", 1000, "x"),
        ("k1", "b", 3000, "y"),
        ("k2", "a", 2000, True),
        ("k2", "b", 2000, "y"),
    ]
