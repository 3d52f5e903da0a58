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
