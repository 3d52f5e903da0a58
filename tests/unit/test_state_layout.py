"""The per-key state layout of the example specs is pinned: a checkpoint written before a change restores after it.

``fixtures/layouts.json`` holds, for each spec of ``examples/``, its layout string and each key's stored
state after the events of ``examples/events.jsonl`` up to :data:`CUT`, as the engine wrote them when the
layout was pinned.
"""
from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import reference
from engine.events import END_OF_TIME
from engine.incremental import Engine, to_record
from engine.keyed import KeyedTimelines
from engine.records import change_order

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "layouts.json").read_text("utf-8"))
EVENTS = [json.loads(line) for line in (ROOT / "examples" / "events.jsonl").read_text("utf-8").splitlines()]
CUT = 3000


def keyed_timelines(spec_file: str) -> KeyedTimelines:
    return KeyedTimelines(Engine(compile_plan(load_spec_file(ROOT / "examples" / spec_file))))


def events_of(key: str, after: int = -1, until: int = END_OF_TIME) -> list[dict]:
    return [event for event in EVENTS if event["sessionId"] == key and after < event["ts"] <= until]


@pytest.mark.parametrize("spec_file", sorted(GOLDEN))
def test_the_layout_and_the_stored_states_are_those_pinned(spec_file):
    keyed = keyed_timelines(spec_file)
    assert keyed.engine.layout == GOLDEN[spec_file]["layout"]
    for key, stored in GOLDEN[spec_file]["states"].items():
        key_state = keyed.new_key()
        for event in events_of(key, until=CUT):
            keyed.on_instant(key_state, event["ts"], [event])
        keyed.on_watermark(key_state, CUT)
        key_state.timer = keyed.timer_for(key_state)
        assert keyed.to_json(key_state) == stored


@pytest.mark.parametrize("spec_file", sorted(GOLDEN))
def test_a_pinned_state_restores_and_goes_on_as_the_reference(spec_file):
    keyed = keyed_timelines(spec_file)
    spec = keyed.engine.plan.spec
    for key, stored in GOLDEN[spec_file]["states"].items():
        key_state = keyed.from_json(stored)
        changes = []
        for event in events_of(key, after=CUT):
            changes += keyed.on_instant(key_state, event["ts"], [event])
        changes += keyed.on_watermark(key_state, END_OF_TIME)
        expected = [record for record in reference.evaluate(spec, EVENTS)
                    if record.get("key") == key and record["time"] > CUT]
        changes = [change for change in changes if not hasattr(change, "aggregate")]  # contributions
        records = sorted((to_record(key, change) for change in changes), key=change_order)
        assert [orjson.dumps(record) for record in records] == [orjson.dumps(r) for r in expected]
