"""The operators of the time-state algebra beyond the first five, against expectations worked out by hand
from docs/semantics.md; each expectation is checked against the reference and the incremental engine alike."""
from __future__ import annotations

from typing import Any

import orjson

from dsl.spec import load_spec
from engine import batch, reference
from engine.decode import Event
from engine.incremental import Engine
from dsl.plan import compile_plan

T, F = True, False


def records(expression: str, events: list[dict], timeout: str | None = None) -> list[tuple]:
    """The records of ``x: expression`` for key k1 as (time, value) or (time, value, rate), the same from both."""
    text = f"name: t\nkey: k\ntime: t\ntimelines:\n  x: '{expression}'\n"
    spec = load_spec(text + (f"session_timeout: {timeout}\n" if timeout else ""))
    expected = reference.evaluate(spec, events)
    engine = batch.evaluate(Engine(compile_plan(spec)), [Event(e["k"], e["t"], e) for e in events])
    assert [orjson.dumps(r) for r in engine] == [orjson.dumps(r) for r in expected]
    return [(r["time"], r["value"], r["rate"]) if "rate" in r else (r["time"], r["value"])
            for r in expected if r["key"] == "k1"]


def ev(t: int, **fields: Any) -> dict[str, Any]:
    return {"k": "k1", "t": t, **fields}


# --- latches over boolean timelines ---

def test_has_existed_of_a_timeline_latches_at_its_first_true_instant():
    events = [ev(1000, s="off"), ev(3000, s="on"), ev(5000, s="off")]
    assert records('has_existed(latest_event_to_state(s) == "on")', events) == [(1000, F), (3000, T)]


def test_has_existed_within_of_a_timeline_holds_for_the_window_after_each_true_span():
    # "on" on [3000, 5000) and [6000, 6500): true on [3000, 7000) and [6000, 8500), merged
    events = [ev(1000, s="off"), ev(3000, s="on"), ev(5000, s="off"), ev(6000, s="on"), ev(6500, s="off")]
    assert records('has_existed_within(latest_event_to_state(s) == "on", 2s)', events) == [
        (1000, F), (3000, T), (8500, F)]


def test_has_existed_within_a_timeline_stays_true_while_it_is():
    events = [ev(1000, s="on"), ev(2000, s="on")]
    assert records('has_existed_within(latest_event_to_state(s) == "on", 1s)', events) == [(1000, T)]


def test_the_seeds_card_rule_parses_and_evaluates():
    # a place held < 10 s on [0, 10000) and [60000, 70000): the rule holds until an hour after 70000
    rule = 'TL_HasExistedWithin(TL_DurationInCurState(TL_LatestEventToState(col("lat_long"))) < 10s, 1h)'
    events = [ev(0, lat_long="48.85,2.35"), ev(60000, lat_long="40.71,-74.00")]
    assert records(rule, events) == [(0, T), (3_670_000, F)]


# --- numeric timelines: arithmetic and comparisons ---

PLAY, BUFFER = 'duration_where(latest_event_to_state(s) == "play")', 'duration_where(latest_event_to_state(s) == "buffer")'
PLAY_BUFFER_PLAY = [ev(1000, s="play"), ev(3000, s="buffer"), ev(4000, s="play")]


def test_a_difference_of_durations_falls_while_the_second_rises():
    assert records(f"{PLAY} - {BUFFER}", PLAY_BUFFER_PLAY) == [(1000, 0, 1), (3000, 2000, -1), (4000, 1000, 1)]


def test_a_scaled_value_and_rate_are_exact_and_written_as_the_nearest_float():
    assert records(f"{BUFFER} * 0.3", [ev(1000, s="buffer")]) == [(1000, 0, 0.3)]
    assert records(f"-{BUFFER} / 3", [ev(1000, s="buffer"), ev(1300, s="play")]) == [
        (1000, 0, -1 / 3), (1300, -100, 0)]


def test_a_crossing_between_milliseconds_switches_at_the_next_one():
    # 0.3 * (t - 1000) > 100 from t = 1333.33...: the first millisecond where it holds is 1334
    assert records(f"{BUFFER} * 0.3 > 100", [ev(1000, s="buffer")]) == [(1000, F), (1334, T)]


def test_two_numeric_timelines_compare_by_their_right_limits():
    # buffering reaches playing's 3000 at 7000 while rising: just above, so > holds from 7000
    events = PLAY_BUFFER_PLAY + [ev(5000, s="buffer")]
    assert records(f"{BUFFER} > {PLAY}", events) == [(1000, F), (7000, T)]
    assert records(f"{BUFFER} == {PLAY}", events) == [(1000, F)]  # equal values at 7000, but not equal rates


def test_a_state_used_as_a_number_is_null_where_it_is_not_one():
    events = [ev(1000, bitrate=2500), ev(2000, bitrate="n/a"), ev(3000, bitrate=1200)]
    assert records("latest_event_to_state(bitrate) / 1000 - 1.5", events) == [
        (1000, 1, 0), (2000, None, 0), (3000, -0.3, 0)]
    assert records("latest_event_to_state(bitrate) / 1000 - 1.5 != 0", events) == [(1000, T), (2000, F), (3000, T)]


def test_state_timelines_compare_with_each_other_by_the_value_rules():
    events = [ev(1000, a="x", b="x"), ev(2000, b="y"), ev(3000, b=None), ev(4000, a="y")]
    assert records("latest_event_to_state(a) == latest_event_to_state(b)", events) == [
        (1000, T), (2000, F), (4000, T)]
