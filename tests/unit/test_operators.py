"""The PyFlink operator functions on fakes of Flink's keyed state, timers and contexts (tests/flink_fakes.py)."""
from __future__ import annotations

import orjson

from engine.events import END_OF_TIME
from operators.aggregates import CONTRIBUTIONS, CombineFunction, aggregate_key
from operators.timelines import TimelineFunction
from tests.flink_fakes import KeyedHarness

SPEC = """\
name: operators
key: k
time: t
timelines:
  recent_seek: has_existed_within(action == "seek", 5s)
  seeks: duration_where(recent_seek) | aggregate(group_by(cdn), sum, every(10s))
session_timeout: 60s
"""


def records(outputs: list) -> list[dict]:
    """The change records of the main output: one per line of each string."""
    return [orjson.loads(line) for tag, value in outputs if tag is None for line in value.split("\n")]


def batch(*instants: tuple[str, int, list[dict]]) -> str:
    """A bucket's batch of instants as ``InstantBatches`` writes it."""
    return orjson.dumps([list(instant) for instant in instants]).decode()


def timeline_operator() -> KeyedHarness:
    """The timeline function on one bucket, ``"b"``."""
    return KeyedHarness(TimelineFunction(SPEC), key_of=lambda _: "b")


def test_a_key_has_one_timer_and_its_state_goes_when_its_session_ends():
    operator = timeline_operator()
    outputs = operator.process_element(batch(("a", 1000, [{"action": "seek", "cdn": "x"}])))
    assert records(outputs) == [{"key": "a", "timeline": "recent_seek", "time": 1000, "value": True}]
    assert operator.timers == {(6000, "b")}  # the window ends before the session timeout and the tick
    assert records(operator.advance_watermark(6000)) == [
        {"key": "a", "timeline": "recent_seek", "time": 6000, "value": False}]
    assert operator.timers == {(10_000, "b")}  # the tick
    ticked = operator.advance_watermark(10_000)
    assert ticked == [(CONTRIBUTIONS.tag_id, ("seeks", '["x"]', 10_000, 5000))]
    assert operator.timers == {(20_000, "b")}
    ended = operator.advance_watermark(END_OF_TIME)
    assert records(ended)[-1] == {"key": "a", "timeline": "recent_seek", "time": 61_000, "value": None}
    assert operator.timers == set() and operator.keys_with_state() == set()


def test_the_keys_of_a_bucket_share_one_timer_and_each_key_is_written_once():
    operator = timeline_operator()
    outputs = operator.process_element(batch(("a", 1000, [{"action": "seek"}]), ("c", 1000, [{"action": "play"}]),
                                             ("a", 2000, [{"action": "seek"}, {"action": "play"}])))
    assert [(r["key"], r["time"], r["value"]) for r in records(outputs)] == [("a", 1000, True), ("c", 1000, False)]
    assert operator.timers == {(7000, "b")}  # a's window end, before a's and c's tick at 10,000
    written = operator.writes
    assert sorted(slot[2] for slot in written if slot[0] == "timelines") == ["a", "c"]
    assert records(operator.advance_watermark(7000)) == [
        {"key": "a", "timeline": "recent_seek", "time": 7000, "value": False}]
    assert operator.timers == {(10_000, "b")}
    ticked = operator.advance_watermark(12_000)  # one firing takes both keys' ticks
    assert sorted(value[:3] for _, value in ticked) == [("seeks", "[null]", 10_000)] * 2
    assert operator.metrics[("timersFired",)] == 3


def test_a_timer_that_moved_earlier_fires_once_at_its_new_time():
    operator = timeline_operator()
    operator.process_element(batch(("a", 1000, [{"action": "play"}])))
    assert operator.timers == {(10_000, "b")}  # the tick, before the session timeout
    operator.process_element(batch(("a", 2000, [{"action": "seek"}])))
    assert operator.timers == {(7000, "b")}  # the window end; the tick's due entry stays, stale
    assert records(operator.advance_watermark(7000)) == [
        {"key": "a", "timeline": "recent_seek", "time": 7000, "value": False}]
    assert operator.timers == {(10_000, "b")}
    ticked = operator.advance_watermark(10_000)
    assert [tag for tag, _ in ticked] == [CONTRIBUTIONS.tag_id]  # the key fired once
    assert operator.timers == {(20_000, "b")}


def test_a_restored_combine_function_keeps_its_folds_and_timers():
    combine = KeyedHarness(CombineFunction(SPEC), key_of=aggregate_key)
    for value in (5000, 1000):
        assert combine.process_element(("seeks", '["x"]', 10_000, value)) == []
    restored = KeyedHarness(CombineFunction(SPEC), key_of=aggregate_key, restored=combine.snapshot())
    restored.process_element(("seeks", '["x"]', 10_000, 0))
    assert restored.timers == {(10_000, ("seeks", '["x"]'))}
    assert records(restored.advance_watermark(10_000)) == [
        {"metric": "seeks", "group": {"cdn": "x"}, "time": 10_000, "count": 3, "sum": 6000}]
    assert restored.keys_with_state() == set()


def test_the_timeline_function_counts_what_it_does():
    operator = timeline_operator()
    emitted = operator.process_element(batch(("a", 1000, [{"action": "seek", "cdn": "x"}])))
    emitted += operator.process_element(batch(("c", 2000, [{"action": "play"}])))
    assert operator.metrics[("activeKeys",)] == 2
    emitted += operator.advance_watermark(END_OF_TIME)
    metrics = operator.metrics
    assert metrics.keys() == {("instantsApplied",), ("timersFired",), ("timeline", "recent_seek", "changeRecords"),
                              ("activeKeys",), ("eventTimeLag",)}
    assert metrics[("instantsApplied",)] == 2
    assert metrics[("timeline", "recent_seek", "changeRecords")] == len(records(emitted)) == 5
    assert metrics[("activeKeys",)] == 0  # both sessions ended
    assert metrics[("timersFired",)] >= 2  # at least each session's end
    assert metrics[("eventTimeLag",)] < 0  # the last watermark was END_OF_TIME, far past the wall clock


def keyed_pairs(outputs: list) -> list[tuple[str, dict]]:
    """The (message key, record) pairs of the main output's keyed records (``<length>:<key><record>``, by ``\\n``)."""
    pairs = []
    for tag, value in outputs:
        if tag is None:
            at = 0
            while at < len(value):
                colon = value.index(b":", at)
                start = colon + 1 + int(value[at:colon])
                end = value.find(b"\n", start) % (len(value) + 1)  # -1 at the last record: its end
                pairs.append((value[colon + 1:start].decode(), orjson.loads(value[start:end])))
                at = end + 1
    return pairs


def test_for_a_pulsar_sink_each_change_record_comes_with_its_entity_key():
    keyed = KeyedHarness(TimelineFunction(SPEC, keyed_records=True), key_of=lambda _: "b")
    text = timeline_operator()
    instants = batch(("s:1\n\u00e9", 1000, [{"action": "seek", "cdn": "x"}]), ("s2", 1000, [{"action": "play"}]))
    pairs = keyed_pairs(keyed.process_element(instants)) + keyed_pairs(keyed.advance_watermark(END_OF_TIME))
    expected = records(text.process_element(instants)) + records(text.advance_watermark(END_OF_TIME))
    assert [record for _, record in pairs] == expected and len(expected) == 5
    assert all(key == record["key"] for key, record in pairs)


def test_for_a_pulsar_sink_each_aggregate_record_comes_with_its_metric_and_group():
    combine = KeyedHarness(CombineFunction(SPEC, keyed_records=True), key_of=aggregate_key)
    combine.process_element(("seeks", '["x"]', 10_000, 5000))
    pairs = keyed_pairs(combine.advance_watermark(10_000))
    assert pairs == [('["seeks",{"cdn":"x"}]', {"metric": "seeks", "group": {"cdn": "x"}, "time": 10_000,
                                                 "count": 1, "sum": 5000})]
