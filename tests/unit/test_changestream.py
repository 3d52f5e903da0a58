"""The change-stream reader: values read back from the records equal the reference evaluator's."""
from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from changestream import Timelines, read_records
from dsl.plan import compile_plan
from dsl.nodes import Kind
from engine import batch, numbers, reference
from engine.incremental import Engine
from tests import strategies
from tests.unit.test_engine_properties import decoded

WORKED_EXAMPLE = [
    {"key": "s1", "timeline": "cirr", "time": 1000, "value": 0, "rate": 0},
    {"key": "s1", "timeline": "cirr", "time": 7000, "value": 0, "rate": 1},
    {"key": "s1", "timeline": "cirr", "time": 10000, "value": 3000, "rate": 0},
    {"key": "s1", "timeline": "cirr", "time": 1810000, "value": None, "rate": 0},
    {"key": "s1", "timeline": "stuck", "time": 1000, "value": False},
]


def test_the_worked_example_of_the_semantics():
    timelines = Timelines(reversed(WORKED_EXAMPLE))  # any order
    assert [timelines.value("s1", "cirr", t) for t in (999, 1000, 7000, 8500, 12000, 1810000)] == \
        [None, 0, 0, 1500, 3000, None]
    assert timelines.value("s1", "stuck", 5000) is False
    assert timelines.value("s2", "cirr", 5000) is None
    assert timelines.keys() == ["s1"] and timelines.timelines("s1") == ["cirr", "stuck"]


def test_a_repeated_record_replaces_the_one_at_its_time():
    timelines = Timelines(WORKED_EXAMPLE + WORKED_EXAMPLE[:2])
    assert timelines.value("s1", "cirr", 8500) == 1500
    assert timelines.latest("s1", "cirr")["time"] == 1810000


def test_records_from_a_sink_folder_and_a_file(tmp_path: Path):
    parts = tmp_path / "out" / "changes"
    parts.mkdir(parents=True)
    (parts / "part-0-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in WORKED_EXAMPLE[:3]))
    (parts / "part-1-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in WORKED_EXAMPLE[3:]))
    (parts / ".part-1-1.inprogress").write_text("not yet committed\n")
    file = tmp_path / "records.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in WORKED_EXAMPLE) + "\n")
    assert sorted(read_records(tmp_path / "out"), key=lambda r: (r["timeline"], r["time"])) == WORKED_EXAMPLE
    assert list(read_records(file)) == WORKED_EXAMPLE


@settings(max_examples=150, deadline=None)
@given(strategies.specs(), strategies.events(), st.data())
def test_values_read_from_the_records_equal_the_reference(spec, raw_events, data):
    records = batch.evaluate(Engine(compile_plan(spec)), decoded(raw_events))  # what `timeline eval` prints
    timelines = Timelines(records)
    keys = sorted({event["k"] for event in raw_events} | {"nobody"})
    last = max((event["t"] for event in raw_events), default=0) + (spec.session_timeout_ms or 0) + 5
    for _ in range(10):
        key, name = data.draw(st.sampled_from(keys)), data.draw(st.sampled_from(spec.outputs))
        t = data.draw(st.integers(-5, last))
        expected = reference.value_at(spec, raw_events, key, name, t)
        if spec.kinds[name] is Kind.NUMBER and type(numbers.shown(expected)) is float:
            # written as the nearest floats, read with float arithmetic
            assert math.isclose(timelines.value(key, name, t), expected, rel_tol=1e-9, abs_tol=1e-9), (key, name, t)
        else:
            assert timelines.value(key, name, t) == expected, (key, name, t)
