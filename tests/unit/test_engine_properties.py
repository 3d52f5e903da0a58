"""The incremental engine agrees with the reference evaluator on random specs and events."""
from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine import batch, reference
from engine.decode import Event
from engine.incremental import Engine
from tests import strategies
from tests.streaming import run_streaming

def decoded(raw_events: list[dict]) -> list[Event]:
    return [Event(event["k"], event["t"], event) for event in raw_events]

def json_lines(records: list[dict]) -> list[bytes]:
    """Records as the output's bytes, compared so: ``3000.0 == 3000`` and ``True == 1`` in Python, not there."""
    return [orjson.dumps(record) for record in records]

@settings(max_examples=1000, deadline=None)
@given(strategies.specs(), strategies.events())
def test_engine_equals_reference(spec, raw_events):
    expected = reference.evaluate(spec, raw_events)
    assert json_lines(batch.evaluate(Engine(compile_plan(spec)), decoded(raw_events))) == json_lines(expected)

@st.composite
def disordered(draw):
    """Events in an arrival order where each instant is delayed by less than ``bound``."""
    raw_events = draw(strategies.events())
    bound = draw(st.integers(0, 15))
    delay = {time: draw(st.integers(0, bound)) for time in {event["t"] for event in raw_events}}
    arrivals = sorted(raw_events, key=lambda event: event["t"] + delay[event["t"]])
    return raw_events, arrivals, bound

@settings(max_examples=600, deadline=None)
@given(strategies.specs(), disordered(), st.data())
def test_streaming_within_bound_equals_reference(spec, case, data):
    raw_events, arrivals, bound = case
    restore_at = data.draw(st.none() | st.integers(0, max(len(arrivals) - 1, 0)))
    records, late = run_streaming(spec, decoded(arrivals), bound, restore_at)
    assert late == []
    assert json_lines(records) == json_lines(reference.evaluate(spec, raw_events))

@settings(max_examples=400, deadline=None)
@given(strategies.specs(), strategies.events(), st.data())
def test_snapshot_restore_mid_stream(spec, raw_events, data):
    cut = data.draw(st.integers(0, len(raw_events)))
    ordered = sorted(decoded(raw_events), key=lambda event: event.time)
    records, _ = run_streaming(spec, ordered, bound=0, restore_at=cut)
    assert json_lines(records) == json_lines(reference.evaluate(spec, raw_events))


def test_a_key_that_ends_after_a_restore_contributes_once_at_each_tick():
    # k2's timer moves from 75 to 72 and back to 75, so 75 lists it twice; after the restore its state is
    # read from keyed state, not from the function's memory, and the run ends in the call that takes 75
    spec = load_spec("name: t\nkey: k\ntime: t\ntimelines:\n  tl0: latest_event_to_state(a)\n"
                     "session_timeout: 29ms\naggregate:\n  ag0:\n    timeline: 'duration_where(has_existed_within(!(a == \"x\"), 1ms)) == 0'\n"
                     "    every: 5ms\n    metrics: [count]\n")
    raw_events = [{"k": "k1", "t": 0}, {"k": "k2", "t": 46}, {"k": "k2", "t": 71}, {"k": "k1", "t": 73},
                  {"k": "k1", "t": 73}]
    for restore_at in (None, 4):
        records, _ = run_streaming(spec, decoded(raw_events), bound=0, restore_at=restore_at)
        assert json_lines(records) == json_lines(reference.evaluate(spec, raw_events))
