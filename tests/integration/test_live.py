"""A live stream: records leave the job while its unbounded input stays open."""
from __future__ import annotations

import orjson
import pytest

from broker.publish import publish
from sessions.generate import generate_sessions
from engine.records import change_order

from .conftest import (FLUSH_KEY, canonical, flush_event, read_messages, read_until_complete, start_timeline_run,
                       stop_job)
from .test_job import expected_records, pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]


def test_records_appear_while_the_input_stays_open_also_for_keys_gone_idle(pulsar_url, topic, tmp_path):
    events = list(generate_sessions(30, seed=31, span_ms=300_000))
    expected = expected_records(events)
    publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))

    job = start_timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                             *pulsar_settings(pulsar_url), cwd=tmp_path)
    try:
        # the input is open and no session has ended: records up to the watermark are out, and final
        early = [orjson.loads(message) for message in read_messages(pulsar_url, topic("out"), 1)]
        # every generated session is idle from here on; another key's event moves event time past their ends
        publish(pulsar_url, topic("in"), iter([orjson.dumps(flush_event(events))]))
        records = read_until_complete(pulsar_url, topic("out"), expected)
        assert job.poll() is None, "the job ended although its source is unbounded"
    finally:
        stop_job(job)

    assert {canonical(record) for record in early} <= {canonical(record) for record in expected}
    assert sorted((record for record in records if record["key"] != FLUSH_KEY), key=change_order) == expected
