"""Resuming a job's checkpoint with a changed spec (tests/unit/test_upgrade.py): timelines unchanged, changed, added, removed."""
from __future__ import annotations

import signal
import time
from collections import Counter

import orjson
import pytest

from broker.consume import read_topic
from broker.publish import publish
from dsl.spec import load_spec
from engine import reference

from tests.unit.test_upgrade import NEW, OLD, SECOND_RUN

from .conftest import JOB_TIMEOUT_S, canonical, hold_topic, read_until_complete, start_timeline_run, stop_job
from .test_job import pulsar_settings
from .test_recovery import latest_checkpoint, wait_for_checkpoint

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]
FLUSH = {"k": "zz", "t": 200_000}


def key_events(key: str, offset: int) -> tuple[list[dict], list[dict]]:
    """A key's events before the upgrade (its first run begins), and after it (the run goes on; a second run)."""
    before = [{"k": key, "t": 1000 + offset, "s": "play"}, {"k": key, "t": 2000 + offset, "a": "seek", "s": "buffer"},
              {"k": key, "t": 4000 + offset, "s": "play"}]
    after = [{"k": key, "t": 5000 + offset, "s": "buffer"}, {"k": key, "t": 6000 + offset, "a": "seek"},
             {"k": key, "t": SECOND_RUN + offset, "s": "buffer", "a": "seek"},
             {"k": key, "t": SECOND_RUN + 3000 + offset, "s": "play"}]
    return before, after


def records(spec: str, events: list[dict], timelines: tuple[str, ...], since: int = 0, until: int = 2**63) -> list:
    return [record for record in reference.evaluate(load_spec(spec), events)
            if record["timeline"] in timelines and since <= record["time"] <= until]


def test_unchanged_timelines_keep_their_state_and_new_ones_start_at_each_keys_next_run(pulsar_url, topic, tmp_path):
    parts = [key_events(f"k{n}", 10 * n) for n in range(6)]
    # in time order: with max_out_of_orderness 0 an event older than any before it is late
    before = sorted((event for part, _ in parts for event in part), key=lambda event: event["t"])
    after = sorted((event for _, part in parts for event in part), key=lambda event: event["t"])
    everything = before + after
    upgrade_watermark = max(event["t"] for event in before) - 1  # max_out_of_orderness 0
    (tmp_path / "old.yaml").write_text(OLD.format(timeout="10s"))
    (tmp_path / "new.yaml").write_text(NEW)
    job_args = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}", *pulsar_settings(pulsar_url)]
    send = lambda events: publish(pulsar_url, topic("in"), (orjson.dumps(e) for e in events), batching=False)  # noqa: E731

    hold_topic(pulsar_url, topic("in"), "timeline-upgrade")
    send(before)
    old_records = records(OLD.format(timeout="10s"), everything, ("state", "buffering", "seek", "gone"),
                          until=upgrade_watermark)
    job = start_timeline_run(*job_args, cwd=tmp_path, spec=tmp_path / "old.yaml")
    try:
        read_until_complete(pulsar_url, topic("out"), old_records)
        first = wait_for_checkpoint(tmp_path / "checkpoints")
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while latest_checkpoint(tmp_path / "checkpoints") == first:  # one taken after every record above
            assert time.monotonic() < deadline, "no second checkpoint"
            time.sleep(0.2)
    finally:
        stop_job(job, signal.SIGKILL)
    checkpoint = latest_checkpoint(tmp_path / "checkpoints")

    send([*after, FLUSH])
    expected = (old_records + records(NEW, everything, ("state", "buffering"), since=upgrade_watermark + 1)
                + records(NEW, everything, ("seek", "long"), since=SECOND_RUN))
    resumed = start_timeline_run(*job_args, "--resume-from", str(checkpoint), cwd=tmp_path,
                                 spec=tmp_path / "new.yaml")
    try:
        read_until_complete(pulsar_url, topic("out"), expected)
        emitted = [orjson.loads(m) for m in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    finally:
        stop_job(resumed)

    # at-least-once: records may repeat, but none is missing and none is new
    assert Counter(canonical(r) for r in emitted if r["key"] != FLUSH["k"]).keys() == {canonical(r) for r in expected}
    assert records(NEW, everything, ("state", "buffering")) == records(OLD.format(timeout="10s"), everything,
                                                                       ("state", "buffering"))
    assert any(r["timeline"] == "seek" and r["time"] < SECOND_RUN for r in expected)
    assert not any(r["timeline"] == "long" and r["time"] < SECOND_RUN for r in emitted)
