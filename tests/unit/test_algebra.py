"""The operators of the time-state algebra beyond the first five, against expectations worked out by hand
from docs/semantics.md; each expectation is checked against the reference and the incremental engine alike."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from cli.explain import explain_text
from dsl.plan import compile_plan
from dsl.spec import load_spec, load_spec_file
from engine import batch, reference
from engine.decode import Event, decode_event
from engine.incremental import Engine

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

PLAY = 'duration_where(latest_event_to_state(s) == "play")'
BUFFER = 'duration_where(latest_event_to_state(s) == "buffer")'
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


def test_a_value_beyond_the_largest_double_is_written_as_that_double_and_goes_on_exactly():
    # 1e308 * 4 = 4e308 is past the float range; halved again (exactly) it is 2e308, then 1e308 again
    events = [ev(1000, x=1e308), ev(2000, x=2.5e307)]
    largest = 1.7976931348623157e308
    assert records("latest_event_to_state(x) * 4", events) == [(1000, largest, 0), (2000, 1e308, 0)]
    assert records("-(latest_event_to_state(x) * 4) / 2", events) == [(1000, -largest, 0), (2000, -5e307, 0)]


# --- counts ---

ERRORS = [ev(1000, e="error"), ev(2000, e="ok"), ev(3000, e="error"), ev(3000, e="error")]


def test_count_adds_every_match_of_an_instant():
    assert records('count(e == "error")', ERRORS) == [(1000, 1, 0), (3000, 3, 0)]


def test_count_within_a_window_drops_each_match_at_its_time_plus_the_window():
    # matches at 1000, 3000, 3000, 6000 count on [1000, 6000), [3000, 8000) twice, [6000, 11000)
    assert records('count(e == "error", 5s)', ERRORS + [ev(6000, e="error")]) == [
        (1000, 1, 0), (3000, 3, 0), (8000, 1, 0), (11000, 0, 0)]


CDN = [ev(1000, cdn="a"), ev(2000, cdn="a"), ev(3000, cdn="b"), ev(4000, cdn="a")]


def test_count_changes_counts_instants_after_t0_where_the_value_changed():
    assert records("count_changes(latest_event_to_state(cdn))", CDN) == [(1000, 0, 0), (3000, 1, 0), (4000, 2, 0)]
    assert records("count_changes(latest_event_to_state(cdn), 2s)", CDN) == [
        (1000, 0, 0), (3000, 1, 0), (4000, 2, 0), (5000, 1, 0), (6000, 0, 0)]


# --- sliding duration ---

def test_duration_where_within_a_window_rises_now_and_falls_a_window_later():
    events = [ev(1000, s="on"), ev(2000, s="off"), ev(4000, s="on")]
    assert records('duration_where(latest_event_to_state(s) == "on", 2s)', events) == [
        (1000, 0, 1), (2000, 1000, 0), (3000, 1000, -1), (4000, 0, 1), (6000, 2000, 0)]


# --- time since ---

def test_time_since_the_latest_match_is_null_before_the_first():
    events = [ev(1000, e="play"), ev(2000, e="heartbeat"), ev(5000, e="heartbeat")]
    assert records('time_since(e == "heartbeat")', events) == [(1000, None, 0), (2000, 0, 1), (5000, 0, 1)]


def test_time_since_a_boolean_timeline_rises_from_the_end_of_each_true_span():
    events = [ev(1000, s="play"), ev(2000, s="buffer"), ev(3000, s="play")]
    assert records('time_since(latest_event_to_state(s) == "buffer")', events) == [
        (1000, None, 0), (2000, 0, 0), (3000, 0, 1)]


# --- first and previous values, if ---

def test_first_event_to_state_keeps_the_first_value_that_is_not_null():
    events = [ev(1000), ev(2000, cdn=None), ev(3000, cdn="a"), ev(4000, cdn="b")]
    assert records("first_event_to_state(cdn)", events) == [(1000, None), (3000, "a")]


def test_previous_is_the_value_of_the_run_before_the_current_one():
    events = CDN[:3] + [ev(4000, cdn="c")]
    assert records("previous(latest_event_to_state(cdn))", events) == [(1000, None), (3000, "a"), (4000, "b")]


def test_if_takes_the_branch_of_the_condition_at_every_instant():
    events = [ev(1000, s="play"), ev(3000, s="buffer"), ev(4000, s="play")]
    text = 'if(latest_event_to_state(s) == "play", duration_in_cur_state(latest_event_to_state(s)), 0)'
    assert records(text, events) == [(1000, 0, 1), (3000, 0, 0), (4000, 0, 1)]
    assert records('if(latest_event_to_state(s) == "play", "playing", latest_event_to_state(s))', events) == [
        (1000, "playing"), (3000, "buffer"), (4000, "playing")]


# --- integral ---

def test_integral_of_a_state_counts_null_and_non_numbers_as_zero():
    events = [ev(1000, kbps=3000), ev(3000, kbps=1500), ev(4000, kbps=None), ev(5000, kbps="n/a")]
    assert records("integral(latest_event_to_state(kbps)) / 1000", events) == [
        (1000, 0, 3), (3000, 6000, 1.5), (5000, 9000, 0)]


def test_explain_shows_exact_values_nulls_and_durations():
    spec = load_spec("name: t\nkey: k\ntime: t\ntimelines:\n  third: 'count(a == 1) / 3'\n"
                     "  since: 'time_since(a == 2)'\n  waited: 'duration_where(has_existed(a == 1))'\n")
    text = explain_text(compile_plan(spec), [Event("k1", 1000, ev(1000, a=1))], at=1500)
    assert "third = 0.3333333333333333    count(a == 1) / 3" in text
    assert "since = null    time_since(a == 2)" in text
    assert "waited = 500 ms    duration_where(has_existed(a == 1))" in text


# --- the examples ---

ROOT = Path(__file__).resolve().parents[2]


def example_records(spec_file: str, events_file: str) -> list[dict]:
    spec = load_spec_file(ROOT / "examples" / spec_file)
    events = [orjson.loads(line) for line in (ROOT / "examples" / events_file).read_bytes().splitlines()]
    records = batch.evaluate(Engine(compile_plan(spec)), [decode_event(orjson.dumps(e), spec.key, spec.time)
                                                          for e in events])
    assert [orjson.dumps(r) for r in records] == [orjson.dumps(r) for r in reference.evaluate(spec, events)]
    return records


def test_the_card_example_flags_the_card_used_in_new_york_four_minutes_after_paris():
    flagged = [(r["key"], r["time"], r["value"]) for r in example_records("card-outliers.yaml", "card-events.jsonl")
               if r["timeline"] == "flagged"]
    assert flagged == [("c1", 1000, False), ("c1", 301000, True), ("c1", 86_701_000, None),
                       ("c2", 1000, False), ("c2", 90_001_000, None)]


def test_the_qoe_example_sees_the_burst_of_errors_until_the_first_leaves_the_window():
    burst = [(r["time"], r["value"]) for r in example_records("qoe-windows.yaml", "qoe-events.jsonl")
             if r["timeline"] == "error_burst"]
    assert burst == [(0, False), (34000, True), (331000, False), (1_840_000, None)]
