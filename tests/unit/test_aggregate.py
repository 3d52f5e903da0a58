"""Aggregation across keys: the reference, the batch engine and the streaming driver against
expectations worked out by hand from docs/semantics.md ("Aggregation across keys")."""
from __future__ import annotations

import pytest

from dsl.plan import compile_plan
from dsl.spec import Spec, load_spec
from engine import batch, reference
from engine.aggregate import AggregateCombiner
from engine.decode import Event
from engine.incremental import Engine
from engine.ticks import Contribution
from tests.streaming import run_streaming

TIMELINES = """\
name: agg
key: k
time: t
timelines:
  state: latest_event_to_state(p)
  buffering: state == "buffer"
  buffered: duration_where(buffering)
"""


def spec_of(aggregate: str, timeout_ms: int, outputs: str = "[]") -> Spec:
    return load_spec(TIMELINES + f"  {aggregate}\noutputs: {outputs}\nsession_timeout: {timeout_ms}\n")


def decoded(events: list[dict]) -> list[Event]:
    return [Event(event["k"], event["t"], event) for event in events]


def incremental(spec: Spec, events: list[dict]) -> list[dict]:
    return batch.evaluate(Engine(compile_plan(spec)), decoded(events))


def streaming(spec: Spec, events: list[dict]) -> list[dict]:
    """In time order, with a snapshot and restore of every key after the second event."""
    in_time_order = sorted(decoded(events), key=lambda event: event.time)
    records, late = run_streaming(spec, in_time_order, bound=0, restore_at=2)
    assert late == []
    return records


EVALUATORS = {"reference": reference.evaluate, "incremental": incremental, "streaming": streaming}


@pytest.fixture(params=sorted(EVALUATORS))
def evaluate(request):
    return EVALUATORS[request.param]


def test_ticks_start_at_the_next_multiple_and_include_events_at_the_tick(evaluate):
    spec = spec_of("busy: buffering | aggregate(sum, every(10))", timeout_ms=25)
    events = [
        {"k": "a", "t": 5, "p": "buffer"},
        {"k": "b", "t": 10, "p": "buffer"},
        {"k": "a", "t": 20, "p": "play"},
    ]
    # a: t0 5, first tick 10, runs to 20 + 25 = 45; buffering until its play at 20, which tick 20 sees.
    # b: t0 10 is a tick and counts at once; runs to 35, so its last tick is 30.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {}, "time": 10, "count": 2, "sum": 2},
        {"metric": "busy", "group": {}, "time": 20, "count": 2, "sum": 1},
        {"metric": "busy", "group": {}, "time": 30, "count": 2, "sum": 1},
        {"metric": "busy", "group": {}, "time": 40, "count": 1, "sum": 0},
    ]


def test_a_session_ending_at_a_tick_is_not_counted_then(evaluate):
    spec = spec_of("busy: buffering | aggregate(sum, every(10))", timeout_ms=20)
    events = [{"k": "a", "t": 0, "p": "buffer"}, {"k": "b", "t": 20, "p": "buffer"}]
    # a runs [0, 20): ticks 0 and 10; at 20 it has ended and only b (t0 20, until 40) counts.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {}, "time": 0, "count": 1, "sum": 1},
        {"metric": "busy", "group": {}, "time": 10, "count": 1, "sum": 1},
        {"metric": "busy", "group": {}, "time": 20, "count": 1, "sum": 1},
        {"metric": "busy", "group": {}, "time": 30, "count": 1, "sum": 1},
    ]


def test_a_key_moves_between_groups_and_a_missing_column_is_null(evaluate):
    spec = spec_of("busy: buffering | aggregate(group_by(cdn), sum, every(10))", timeout_ms=30)
    events = [
        {"k": "a", "t": 0, "p": "buffer", "cdn": "x"},
        {"k": "b", "t": 0, "p": "play"},
        {"k": "a", "t": 15, "cdn": "y"},
    ]
    # a: cdn x at ticks 0 and 10, y from 15, so at 20, 30, 40 (runs to 45), buffering throughout.
    # b: no cdn (null group), playing, runs to 30: ticks 0, 10, 20.
    # Groups sort as JSON: {"cdn":"x"} < {"cdn":"y"} < {"cdn":null}.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {"cdn": "x"}, "time": 0, "count": 1, "sum": 1},
        {"metric": "busy", "group": {"cdn": "x"}, "time": 10, "count": 1, "sum": 1},
        {"metric": "busy", "group": {"cdn": "y"}, "time": 20, "count": 1, "sum": 1},
        {"metric": "busy", "group": {"cdn": "y"}, "time": 30, "count": 1, "sum": 1},
        {"metric": "busy", "group": {"cdn": "y"}, "time": 40, "count": 1, "sum": 1},
        {"metric": "busy", "group": {"cdn": None}, "time": 0, "count": 1, "sum": 0},
        {"metric": "busy", "group": {"cdn": None}, "time": 10, "count": 1, "sum": 0},
        {"metric": "busy", "group": {"cdn": None}, "time": 20, "count": 1, "sum": 0},
    ]


def test_no_record_for_a_group_or_tick_without_active_keys(evaluate):
    spec = spec_of("busy: buffering | aggregate(group_by(cdn), every(10))", timeout_ms=20)
    events = [{"k": "a", "t": 0, "p": "buffer", "cdn": "x"}, {"k": "b", "t": 30, "p": "buffer", "cdn": "y"}]
    # a runs [0, 20), b [30, 50): nobody is active at 20, x has nobody after 10, y nobody before 30.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {"cdn": "x"}, "time": 0, "count": 1},
        {"metric": "busy", "group": {"cdn": "x"}, "time": 10, "count": 1},
        {"metric": "busy", "group": {"cdn": "y"}, "time": 30, "count": 1},
        {"metric": "busy", "group": {"cdn": "y"}, "time": 40, "count": 1},
    ]


def test_booleans_count_as_one_and_zero_in_one_global_group(evaluate):
    spec = spec_of("busy: buffering | aggregate(count, sum, avg, min, max, every(10))", timeout_ms=5)
    events = [
        {"k": "a", "t": 10, "p": "buffer", "cdn": "x"},
        {"k": "b", "t": 10, "p": "play", "cdn": "y"},
        {"k": "c", "t": 10, "p": "buffer", "cdn": "x"},
    ]
    # Only tick 10 (every run is [10, 15)); values 1, 0, 1 whatever the cdn: sum 2, avg 2/3.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {}, "time": 10, "count": 3, "sum": 2, "avg": 2 / 3, "min": 0, "max": 1},
    ]


def test_a_rising_numeric_timeline_counts_at_its_exact_value(evaluate):
    spec = spec_of("stall: buffered | aggregate(sum, avg, min, max, every(10))", timeout_ms=20)
    events = [
        {"k": "a", "t": 3, "p": "buffer"},
        {"k": "b", "t": 1, "p": "buffer"},
        {"k": "b", "t": 4, "p": "play"},
    ]
    # a rises from 0 at 3: 7 at 10, 17 at 20 (runs to 23). b buffered 1..4 and stays 3 (runs to 24).
    assert evaluate(spec, events) == [
        {"metric": "stall", "group": {}, "time": 10, "count": 2, "sum": 10, "avg": 5.0, "min": 3, "max": 7},
        {"metric": "stall", "group": {}, "time": 20, "count": 2, "sum": 20, "avg": 10.0, "min": 3, "max": 17},
    ]


def test_equal_numbers_form_one_group_but_true_is_not_one(evaluate):
    spec = spec_of("busy: buffering | aggregate(group_by(v), every(10))", timeout_ms=5)
    events = [
        {"k": "a", "t": 10, "v": 2},
        {"k": "b", "t": 10, "v": 2.0},
        {"k": "c", "t": 10, "v": 1},
        {"k": "d", "t": 10, "v": True},
    ]
    # 2 and 2.0 are the same value (one group, written 2); true and 1 are not.
    assert evaluate(spec, events) == [
        {"metric": "busy", "group": {"v": 1}, "time": 10, "count": 1},
        {"metric": "busy", "group": {"v": 2}, "time": 10, "count": 2},
        {"metric": "busy", "group": {"v": True}, "time": 10, "count": 1},
    ]


def test_change_records_come_before_aggregate_records(evaluate):
    spec = spec_of("busy: buffering | aggregate(every(10))", timeout_ms=5, outputs="[buffering]")
    # One run [10, 15): buffering false from 10, null at the end; one tick at 10.
    assert evaluate(spec, [{"k": "a", "t": 10, "p": "play"}]) == [
        {"key": "a", "timeline": "buffering", "time": 10, "value": False},
        {"key": "a", "timeline": "buffering", "time": 15, "value": None},
        {"metric": "busy", "group": {}, "time": 10, "count": 1},
    ]


def test_the_worked_example_of_the_semantics(evaluate):
    spec = load_spec(
        "name: qoe\nkey: k\ntime: t\ntimelines:\n"
        '  buffering: latest_event_to_state(playerStateChange) == "buffer"\n'
        "  buffer_by_cdn: buffering | aggregate(group_by(cdn), count, sum, avg, every(10s))\n"
        "session_timeout: 15s\noutputs: []\n"
    )
    events = [
        {"k": "s1", "t": 1000, "playerStateChange": "play", "cdn": "akamai"},
        {"k": "s2", "t": 5000, "playerStateChange": "buffer", "cdn": "akamai"},
        {"k": "s1", "t": 12000, "playerStateChange": "buffer"},
        {"k": "s3", "t": 20000, "playerStateChange": "play", "cdn": "fastly"},
        {"k": "s1", "t": 25000, "cdn": "fastly"},
    ]
    # Runs: s1 [1000, 40000), s2 [5000, 20000), s3 [20000, 35000).
    # 10000: s1 akamai 0, s2 akamai 1. 20000: s1 akamai 1 (s2 ended), s3 fastly 0.
    # 30000: s1 fastly 1 (moved at 25000), s3 fastly 0.
    assert evaluate(spec, events) == [
        {"metric": "buffer_by_cdn", "group": {"cdn": "akamai"}, "time": 10000, "count": 2, "sum": 1, "avg": 0.5},
        {"metric": "buffer_by_cdn", "group": {"cdn": "akamai"}, "time": 20000, "count": 1, "sum": 1, "avg": 1.0},
        {"metric": "buffer_by_cdn", "group": {"cdn": "fastly"}, "time": 20000, "count": 1, "sum": 0, "avg": 0.0},
        {"metric": "buffer_by_cdn", "group": {"cdn": "fastly"}, "time": 30000, "count": 2, "sum": 1, "avg": 0.5},
    ]


# --- the engine's contributions and the combiner ------------------------------------


def test_the_engine_emits_contributions_among_the_changes_and_wakes_up_for_ticks():
    spec = spec_of("busy: buffering | aggregate(group_by(cdn), every(10))", timeout_ms=30)
    engine = Engine(compile_plan(spec))
    state, out = engine.new_state(), []
    engine.process(state, 5, [{"p": "buffer", "cdn": "x"}], out)
    # Nothing is due before the session end at 35 except the tick at 10.
    assert engine.next_timer(state) == 10
    engine.advance(state, 20, out)
    assert out == [Contribution("busy", 10, ("x",), 1), Contribution("busy", 20, ("x",), 1)]
    assert engine.next_timer(state) == 30


def test_the_combiner_folds_per_aggregate_group_and_tick_and_forgets_what_it_gave():
    spec = spec_of("stall: buffered | aggregate(group_by(cdn), max, every(10))", timeout_ms=20)
    combiner = AggregateCombiner(spec.aggregates)
    for contribution in [
        Contribution("stall", 20, ("x",), 4),
        Contribution("stall", 10, ("x",), 7),
        Contribution("stall", 10, ("x",), 3),
        Contribution("stall", 10, ("a",), 1),
    ]:
        combiner.add(contribution)
    # Ticks up to 10 only, "a" before "x"; x at 10 has 7 and 3.
    assert combiner.pop_final(10) == [
        {"metric": "stall", "group": {"cdn": "a"}, "time": 10, "count": 1, "max": 1},
        {"metric": "stall", "group": {"cdn": "x"}, "time": 10, "count": 2, "max": 7},
    ]
    assert combiner.pop_final(20) == [
        {"metric": "stall", "group": {"cdn": "x"}, "time": 20, "count": 1, "max": 4},
    ]
    assert combiner.pop_final(20) == []
