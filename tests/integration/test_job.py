"""The Flink job end to end: file and Pulsar sources and sinks, dead letters."""
from __future__ import annotations

import glob
import random
import zlib
from collections import Counter
from pathlib import Path

import orjson
import pytest

from broker.consume import read_topic
from broker.publish import publish
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from sessions.generate import generate_sessions
from engine import batch, reference
from engine.decode import decode_event
from engine.incremental import Engine
from engine.records import change_order

from .conftest import CIRR, FLUSH_KEY, flush_event, read_messages, start_timeline_run, stop_job, timeline_run

pytestmark = pytest.mark.flink
SPEC = load_spec_file(CIRR)
BOUND_MS = 2000  # examples/cirr.yaml's watermark.max_out_of_orderness


def arrivals(sessions: int, seed: int) -> list[dict]:
    """Generated sessions arriving out of order within the watermark bound, with equal-time events."""
    events = list(generate_sessions(sessions, seed, span_ms=600_000, disorder_ms=BOUND_MS - 500))
    rng = random.Random(seed)
    for event in rng.sample(events, len(events) // 10):  # a same-time twin right after the event
        events.insert(events.index(event) + 1, {**event, "heartbeat": True})
    assert any(count > 1 for count in Counter((e["sessionId"], e["ts"]) for e in events).values())
    assert any(a["ts"] > b["ts"] for a, b in zip(events, events[1:]))
    return events


def expected_records(events: list[dict]) -> list[dict]:
    """What ``timeline eval`` prints, checked against the reference evaluator."""
    records = batch.evaluate(Engine(compile_plan(SPEC)), [decode_event(orjson.dumps(e), SPEC.key, SPEC.time)
                                                          for e in events])
    assert records == reference.evaluate(SPEC, events)
    return records


IDLE_ADVANCE = ("--set", "watermark.idle_timeout=10s", "--set", "watermark.advance_when_idle=true")
FILES = 4


@pytest.mark.parametrize("parallelism", [1, 2])
@pytest.mark.parametrize("idle_option", [(), IDLE_ADVANCE], ids=["", "advance-when-idle"])
def test_a_folder_of_files_matches_the_batch_evaluation(tmp_path: Path, parallelism: int, idle_option: tuple):
    """Each file is a split with its own watermark, as a partition is; a key's events are in one file."""
    events = arrivals(60, seed=11)
    (tmp_path / "events").mkdir()
    for index in range(FILES):
        (tmp_path / "events" / f"{index}.jsonl").write_bytes(b"".join(
            orjson.dumps(event) + b"\n" for event in events if zlib.crc32(event["sessionId"].encode()) % FILES == index))

    timeline_run("--source", "file:events", "--sink", "file:out", "--parallelism", str(parallelism), *idle_option,
                 cwd=tmp_path)

    written = [orjson.loads(line) for path in glob.glob(str(tmp_path / "out" / "changes" / "*.jsonl"))
               for line in Path(path).read_bytes().splitlines()]
    assert sorted(written, key=change_order) == expected_records(events)
    assert not glob.glob(str(tmp_path / "out" / "dead-letters" / "*.jsonl"))


def pulsar_settings(url: str) -> list[str]:
    return ["--set", f"source.pulsar.service_url={url}", "--set", f"sink.pulsar.service_url={url}"]


@pytest.mark.pulsar
def test_pulsar_bounded_exactly_once_matches_the_reference_in_per_key_order(pulsar_url, topic, tmp_path):
    events = arrivals(80, seed=12)
    publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))

    timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                 "--set", "source.pulsar.bounded=true", "--set", "sink.pulsar.delivery=exactly-once",
                 "--parallelism", "2", *pulsar_settings(pulsar_url), cwd=tmp_path)

    records = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    assert sorted(records, key=change_order) == expected_records(events)
    last_time: dict[str, int] = {}
    for record in records:  # in topic order
        assert record["time"] >= last_time.get(record["key"], record["time"]), record
        last_time[record["key"]] = record["time"]
    assert read_topic(pulsar_url, topic("out") + "-dead-letters", idle_seconds=1) == []


@pytest.mark.pulsar
def test_bad_and_late_events_go_to_the_dead_letter_topic(pulsar_url, topic, tmp_path):
    good = arrivals(20, seed=13)
    bad = {
        b'{"sessionId": "b1", "ts": ': "malformed JSON",
        b'[1, 2, 3]': "not a JSON object: an array",
        b'{"ts": 1767225600000, "playerStateChange": "play"}': 'missing key field "sessionId"',
        b'{"sessionId": "b2", "ts": "soon"}': 'time field "ts" is not ISO-8601: "soon"',
    }
    messages = [orjson.dumps(event) for event in good]
    for position, payload in zip((3, 50, 100, len(messages)), bad):
        messages.insert(position, payload)
    publish(pulsar_url, topic("in"), iter([*messages, orjson.dumps(flush_event(good))]))
    expected = expected_records(good)

    job = start_timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                             *pulsar_settings(pulsar_url), cwd=tmp_path)
    try:
        records = [orjson.loads(m) for m in read_messages(pulsar_url, topic("out"), len(expected))]
        # every good record is out, so the watermark is past this event: it is late
        late = orjson.dumps({**good[0], "playerStateChange": "late"})
        publish(pulsar_url, topic("in"), iter([late]))
        letters = [orjson.loads(m) for m in read_messages(pulsar_url, topic("out") + "-dead-letters", len(bad) + 1)]
    finally:
        stop_job(job)

    assert sorted((r for r in records if r["key"] != FLUSH_KEY), key=change_order) == expected
    by_payload = {letter["payload"].encode(): letter["reason"] for letter in letters}
    assert by_payload.keys() == {*bad, late}
    for payload, reason in bad.items():
        assert by_payload[payload].startswith(reason)
    assert by_payload[late] == "late"
