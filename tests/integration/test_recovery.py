"""Crash and resume: a job killed without a clean shutdown resumes from its latest retained checkpoint."""
from __future__ import annotations

import signal
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from broker.consume import read_topic
from broker.publish import publish
from sessions.generate import generate_sessions

from .conftest import (FLUSH_KEY, JOB_TIMEOUT_S, canonical, flush_event, read_until_complete, start_timeline_run,
                       stop_job, topic_messages)
from .test_job import BOUND_MS, expected_records, pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]


def latest_checkpoint(root: Path) -> Path | None:
    """The completed checkpoint (``<job id>/chk-N`` with its ``_metadata``) with the highest N under ``root``."""
    completed = [metadata.parent for metadata in root.glob("*/*/chk-*/_metadata")]
    return max(completed, key=lambda folder: int(folder.name.removeprefix("chk-")), default=None)


def wait_for_checkpoint(root: Path) -> Path:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while (checkpoint := latest_checkpoint(root)) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"no completed checkpoint under {root} within {JOB_TIMEOUT_S}s")
        time.sleep(0.2)
    return checkpoint


@pytest.mark.parametrize("delivery", ["at-least-once", "exactly-once"])
def test_a_killed_job_resumes_from_its_latest_checkpoint(delivery, pulsar_url, topic, tmp_path):
    events = list(generate_sessions(150, seed=21, span_ms=600_000, disorder_ms=BOUND_MS - 500))
    expected = expected_records(events)
    third = len(events) // 3
    first, second, rest = events[:third], events[third:2 * third], events[2 * third:]
    job_args = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                "--set", f"sink.pulsar.delivery={delivery}", *pulsar_settings(pulsar_url),
                # a transaction the crash leaves open blocks readers until it times out
                "--set", "sink.pulsar.transaction_timeout=45s"]
    # batched: the checkpoint lies inside a batched entry unless it falls on a batch's last message
    send = lambda part: publish(pulsar_url, topic("in"), (orjson.dumps(e) for e in part))  # noqa: E731

    send(first)
    job = start_timeline_run(*job_args, cwd=tmp_path)
    try:
        wait_for_checkpoint(tmp_path / "checkpoints")
        send(second)
        # a record past the first part's last event: the job is working on the second part
        with closing(topic_messages(pulsar_url, topic("out"))) as messages:
            next(m for m in messages if orjson.loads(m)["time"] > max(event["ts"] for event in first))
    finally:
        stop_job(job, signal.SIGKILL)
    checkpoint = latest_checkpoint(tmp_path / "checkpoints")

    send([*rest, flush_event(events)])
    resumed = start_timeline_run(*job_args, "--resume-from", str(checkpoint), cwd=tmp_path)
    try:
        read_until_complete(pulsar_url, topic("out"), expected)
        records = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    finally:
        stop_job(resumed)

    emitted = Counter(canonical(record) for record in records if record["key"] != FLUSH_KEY)
    reference = Counter(canonical(record) for record in expected)
    if delivery == "exactly-once":
        assert emitted == reference
    else:  # nothing lost, nothing new: every duplicate repeats a reference record exactly
        assert emitted.keys() == reference.keys()
