"""A key's state carried over to a changed spec: unchanged timelines go on, new and changed ones wait for the next run."""
from __future__ import annotations

import orjson
import pytest

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine import reference
from engine.events import END_OF_TIME
from engine.incremental import Engine, to_record
from engine.keyed import KeyedTimelines
from engine.layout import PlanChanged

SPEC = """\
name: upgrade
key: k
time: t
timelines:
  state: latest_event_to_state(s)
  buffering: duration_where(latest_event_to_state(s) == "buffer")
{timelines}
session_timeout: {timeout}
"""
OLD = SPEC.format(timelines='  seek: has_existed_within(a == "seek", 2s)\n  gone: has_existed(s == "play")',
                  timeout="{timeout}")  # unchanged: state, buffering; changed: seek; removed: gone
NEW = SPEC.format(timelines='  seek: has_existed_within(a == "seek", 3s)\n  long: buffering >= 1500.0',
                  timeout="10s")  # added: long
EVENTS = [  # key k1: a run [1000, 16000) cut by the upgrade after 4000, then a run from 30000
    {"k": "k1", "t": 1000, "s": "play"}, {"k": "k1", "t": 2000, "a": "seek", "s": "buffer"},
    {"k": "k1", "t": 4000, "s": "play"}, {"k": "k1", "t": 5000, "s": "buffer"}, {"k": "k1", "t": 6000, "a": "seek"},
    {"k": "k1", "t": 30000, "s": "buffer", "a": "seek"}, {"k": "k1", "t": 33000, "s": "play"},
]
UPGRADE_AFTER = 4000
SECOND_RUN = 30000


def feed(keyed: KeyedTimelines, state_json: str | None, events: list[dict], until: int) -> tuple[str, list]:
    key_state = keyed.new_key() if state_json is None else keyed.from_json(state_json)
    changes = []
    for event in events:
        changes += keyed.on_instant(key_state, event["t"], [event])
    changes += keyed.on_watermark(key_state, until)
    return keyed.to_json(key_state), [orjson.dumps(to_record("k1", change)) for change in changes]


def upgraded_run(old_text: str) -> list[bytes]:
    old = KeyedTimelines(Engine(compile_plan(load_spec(old_text))))
    new = KeyedTimelines(Engine(compile_plan(load_spec(NEW))))
    before = [event for event in EVENTS if event["t"] <= UPGRADE_AFTER]
    state_json, records = feed(old, None, before, UPGRADE_AFTER)
    _, after = feed(new, state_json, EVENTS[len(before):], END_OF_TIME)
    return records + after


def reference_records(spec_text: str, name: str) -> list[bytes]:
    return [orjson.dumps(record) for record in reference.evaluate(load_spec(spec_text), EVENTS)
            if record["timeline"] == name]


def of(records: list[bytes], name: str) -> list[bytes]:
    return [record for record in records if orjson.loads(record)["timeline"] == name]


def test_unchanged_timelines_go_on_as_if_nothing_had_changed():
    records = upgraded_run(OLD.format(timeout="10s"))
    for name in ("state", "buffering"):
        assert of(records, name) == reference_records(NEW, name)


def test_changed_and_added_timelines_start_at_each_keys_next_run():
    records = upgraded_run(OLD.format(timeout="10s"))
    for name in ("seek", "long"):
        before = [r for r in reference_records(OLD.format(timeout="10s"), name) if orjson.loads(r)["time"] <= 4000]
        next_run = [r for r in reference_records(NEW, name) if orjson.loads(r)["time"] >= SECOND_RUN]
        assert next_run and of(records, name) == before + next_run


def test_removed_timelines_stop():
    records = upgraded_run(OLD.format(timeout="10s"))
    assert [orjson.loads(r)["time"] for r in of(records, "gone")] == [1000]


def test_a_changed_session_timeout_is_refused_by_name():
    with pytest.raises(PlanChanged, match="session_timeout"):
        upgraded_run(OLD.format(timeout="20s"))


def test_the_same_spec_resumes_from_the_same_state():
    keyed = KeyedTimelines(Engine(compile_plan(load_spec(NEW))))
    state_json, _ = feed(keyed, None, EVENTS[:3], UPGRADE_AFTER)
    assert keyed.to_json(keyed.from_json(state_json)) == state_json


AGGREGATED = """\
name: upgrade
key: k
time: t
timelines:
  buffering: latest_event_to_state(s) == "buffer"
  {name}: buffering | aggregate(count, sum, every({every})){extra}
session_timeout: 10s
"""


def contributions(old_text: str, new_text: str) -> list[tuple[str, int]]:
    """``(aggregate, tick)`` of every contribution of key k1 with an upgrade from ``old_text`` to ``new_text``."""
    old = KeyedTimelines(Engine(compile_plan(load_spec(old_text))))
    new = KeyedTimelines(Engine(compile_plan(load_spec(new_text))))
    key_state = old.new_key()
    outputs = []
    for event in EVENTS:
        keyed = old if event["t"] <= UPGRADE_AFTER else new
        if event is EVENTS[3]:  # the first event after the upgrade
            key_state = new.from_json(old.to_json(key_state))
        outputs += keyed.on_instant(key_state, event["t"], [event])
    outputs += new.on_watermark(key_state, END_OF_TIME)
    return [(output.aggregate, output.time) for output in outputs if hasattr(output, "aggregate")]


def test_an_unchanged_aggregate_goes_on_and_a_new_one_waits_for_the_next_run():
    old = AGGREGATED.format(name="by_second", every="1s", extra="")
    kept = contributions(old, AGGREGATED.format(name="by_second", every="1s",
                                                extra="\n  by_3s: buffering | aggregate(count, every(3s))"))
    ticks = [tick for name, tick in kept if name == "by_second"]
    assert ticks == list(range(1000, 16000, 1000)) + list(range(30000, 43000, 1000))
    assert [tick for name, tick in kept if name == "by_3s"] == list(range(30000, 43000, 3000))


def test_a_removed_aggregate_stops_contributing():
    kept = contributions(AGGREGATED.format(name="by_second", every="1s", extra=""),
                         AGGREGATED.format(name="by_2s", every="2s", extra=""))
    # the tick at 4000 comes after the instant at 4000: the watermark passes it after the upgrade
    assert [tick for name, tick in kept if name == "by_second"] == [1000, 2000, 3000]
    assert [tick for name, tick in kept if name == "by_2s"] == list(range(30000, 43000, 2000))
