"""The columnar evaluator agrees with the reference evaluator, byte for byte, on random specs and events."""
from __future__ import annotations

from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import nodes
from dsl.spec import load_spec_file
from dsl.plan import compile_plan
from engine import batch, columnar, reference
from engine.columnar_events import spec_columns
from engine.columnar_output import aggregate_lines, change_lines
from engine.columnar_records import aggregate_records, coverage, evaluate
from engine.decode import Event
from engine.incremental import Engine
from engine.ticks import Contribution
from tests import strategies
from tests.event_tables import table_of_events

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def columnar_bytes(spec, raw_events: list[dict]) -> bytes:
    table = table_of_events((Event(event["k"], event["t"], event) for event in raw_events), spec_columns(spec))
    result = evaluate(spec, table)
    return change_lines(result.changes) + aggregate_lines(aggregate_records(spec, [result.folds]))


def reference_bytes(spec, raw_events: list[dict]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in reference.evaluate(spec, raw_events))


@settings(max_examples=1000, deadline=None)
@given(strategies.specs(), strategies.events())
def test_columnar_equals_reference(spec, raw_events):
    assert columnar_bytes(spec, raw_events) == reference_bytes(spec, raw_events)


@st.composite
def many_events(draw) -> list[dict]:
    """Up to 300 events of 15 keys over 400 ms: many runs side by side in the arrays."""
    result = []
    for _ in range(draw(st.integers(0, 300))):
        event = {"k": draw(st.sampled_from([f"k{i}" for i in range(15)])), "t": draw(st.integers(0, 400))}
        event.update({column: draw(strategies.values) for column in strategies.COLUMNS if draw(st.booleans())})
        result.append(event)
    return result


@settings(max_examples=100, deadline=None)
@given(strategies.specs(), many_events())
def test_columnar_equals_reference_on_many_keys(spec, raw_events):
    assert columnar_bytes(spec, raw_events) == reference_bytes(spec, raw_events)


@settings(max_examples=100, deadline=None)
@given(strategies.specs(), strategies.events())
def test_operators_without_a_columnar_form_run_on_the_incremental_engine(spec, raw_events):
    saved = columnar.OPERATORS.pop(nodes.HasExistedWithin)
    try:
        assert columnar_bytes(spec, raw_events) == reference_bytes(spec, raw_events)
    finally:
        columnar.OPERATORS[nodes.HasExistedWithin] = saved


def test_uncovered_names_the_operators_without_a_columnar_form(monkeypatch):
    node = nodes.Not(nodes.HasExistedWithin(nodes.FieldCompare("a", "==", 1), 5))
    assert columnar.uncovered(node) == []
    monkeypatch.delitem(columnar.OPERATORS, nodes.HasExistedWithin)
    assert columnar.uncovered(node) == ["HasExistedWithin"]


def test_check_says_which_outputs_run_on_the_incremental_engine(monkeypatch):
    spec = load_spec_file(EXAMPLES / "cirr.yaml")
    assert coverage(spec) == "columnar: every output and aggregate"
    monkeypatch.delitem(columnar.OPERATORS, nodes.HasExistedWithin)
    assert coverage(spec) == "columnar: cirr on the incremental engine (no columnar form: HasExistedWithin)"


@settings(max_examples=200, deadline=None)
@given(strategies.specs(), strategies.events())
def test_contributions_are_the_incremental_engines(spec, raw_events):
    decoded = [Event(event["k"], event["t"], event) for event in raw_events]
    engine = Engine(compile_plan(spec))
    expected = sorted((output.aggregate, orjson.dumps(output.group).decode(), output.time, output.value)
                      for key_events in batch.group_by_key(decoded).values()
                      for output in batch.run_key(engine, key_events) if type(output) is Contribution)
    table = table_of_events(decoded, spec_columns(spec))
    assert sorted(evaluate(spec, table, contributions=True).contributions) == expected
