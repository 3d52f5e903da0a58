"""``watermark.advance_when_idle``: when the input goes quiet, event time follows the clock and due records come out."""
from __future__ import annotations

import orjson
import pytest

from broker.publish import publish
from sessions.generate import generate_sessions
from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine import batch
from engine.decode import decode_event
from engine.incremental import Engine
from engine.records import change_order

from .conftest import CIRR, hold_topic, read_messages, read_until_complete, start_timeline_run, stop_job
from .test_job import pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]


def quick_sessions_spec() -> str:
    """The example spec with sessions that end 3 s after their last event, and event time that moves on
    once the input has been idle for 2 s."""
    text = CIRR.read_text().replace("session_timeout: 30m", "session_timeout: 3s")
    return text.replace("watermark:\n", "watermark:\n  idle_timeout: 2s\n  advance_when_idle: true\n")


def test_a_quiet_input_still_gets_its_due_records_and_a_late_event_is_a_dead_letter(pulsar_url, topic, tmp_path):
    spec_text = quick_sessions_spec()
    (tmp_path / "spec.yaml").write_text(spec_text)
    spec = load_spec(spec_text)
    events = list(generate_sessions(40, seed=21, span_ms=20_000, disorder_ms=1_000))
    expected = batch.evaluate(Engine(compile_plan(spec)),
                              [decode_event(orjson.dumps(event), spec.key, spec.time) for event in events])
    assert max(record["time"] for record in expected) > max(event["ts"] for event in events)  # session ends
    hold_topic(pulsar_url, topic("in"), "timeline-video_qoe")
    job = start_timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                             "--parallelism", "2", *pulsar_settings(pulsar_url), cwd=tmp_path,
                             spec=tmp_path / "spec.yaml")
    try:
        publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))
        records = read_until_complete(pulsar_url, topic("out"), expected)  # nothing more is published
        late = {**events[-1], "userAction": "seek"}
        publish(pulsar_url, topic("in"), [orjson.dumps(late)])
        letters = [orjson.loads(m) for m in read_messages(pulsar_url, topic("out") + "-dead-letters", 1)]
    finally:
        stop_job(job)
    assert sorted(records, key=change_order) == expected
    assert letters == [{"reason": "late", "payload": orjson.dumps(late).decode()}]
