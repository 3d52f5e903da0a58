"""The job on a ``scripts/cluster.sh`` standalone session cluster (two TaskManagers, one slot each).

Input comes from a batching producer, so every restore resumes inside a batched entry
(``timeline.flink.pulsar.BatchResumingPulsarSource``). Figures go to stdout (``pytest -s``).
"""
from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

import orjson
import pytest
from broker.consume import read_topic
from broker.local import PULSAR_SH
from broker.publish import publish

from cli.generate import generate_sessions

from .conftest import CIRR, FLUSH_KEY, canonical, flush_event, read_until_complete, topic_messages
from .flink_cluster import FlinkCluster
from .test_job import BOUND_MS, expected_records

pytestmark = [pytest.mark.cluster, pytest.mark.pulsar]



@pytest.fixture(scope="module")
def cluster(artifacts, tmp_path_factory):
    flink = FlinkCluster(tmp_path_factory.mktemp("flink"))
    flink.start(taskmanagers=2)
    try:
        yield flink
    finally:
        flink.stop()


def events_of(sessions: int, seed: int) -> list[dict]:
    return list(generate_sessions(sessions, seed, span_ms=600_000, disorder_ms=BOUND_MS - 500))


def send(url: str, topic: str, events: list[dict]) -> None:
    """Events through a batching producer (up to 1,000 messages an entry)."""
    publish(url, topic, (orjson.dumps(event) for event in events), batching=True)


def job_args(url: str, source: str, sink: str, tmp_path: Path, *settings: str) -> list[str]:
    return ["--source", f"pulsar:{source}", "--sink", f"pulsar:{sink}",
            "--set", f"source.pulsar.service_url={url}", "--set", f"sink.pulsar.service_url={url}",
            "--set", "checkpoint.interval=1s", "--set", f"checkpoint.dir={(tmp_path / 'checkpoints').as_uri()}",
            *[item for setting in settings for item in ("--set", setting)]]


def restart_broker(url: str) -> None:
    """``pulsar.sh restart``: the broker stops and starts again on its data."""
    env = {**os.environ, "PULSAR_PORT": str(urlparse(url).port)}
    subprocess.run([str(PULSAR_SH), "restart"], env=env, check=True, stdout=subprocess.DEVNULL, timeout=400)


def comparison(records: list[dict], expected: list[dict]) -> dict[str, int]:
    """Missing, wrong (emitted, not expected) and duplicate records."""
    emitted = Counter(canonical(record) for record in records if record["key"] != FLUSH_KEY)
    reference = Counter(canonical(record) for record in expected)
    return {"records": sum(emitted.values()), "expected": len(expected),
            "missing": len(reference.keys() - emitted.keys()), "wrong": len(emitted.keys() - reference.keys()),
            "duplicates": sum(emitted.values()) - len(emitted)}


def test_a_lost_taskmanager_and_a_broker_restart_lose_nothing(cluster, pulsar_url, topic, tmp_path):
    """kill -9 of a TaskManager mid-stream, then (all TaskManagers alive) a broker restart: at-least-once output
    has the same records as ``timeline eval``, duplicates being exact repeats."""
    events = [*events_of(300, seed=41)]
    events.append(flush_event(events))
    send(pulsar_url, topic("in"), events)
    job = cluster.submit("-p", "2", str(CIRR), *job_args(
        pulsar_url, topic("in"), topic("out"), tmp_path, "source.pulsar.bounded=true",
        "sink.pulsar.delivery=at-least-once", "checkpoint.restart_max_delay=5s"))
    cluster.wait_running(job)

    # mid-stream: a checkpoint completed after the source had sent on some events, and it has more to send
    cluster.wait("the source under way", lambda: cluster.source_records(job) > 0)
    checkpoints = cluster.wait_checkpoint_after(job, cluster.completed_checkpoints(job))
    sent_before = cluster.source_records(job)
    killed = next(iter(cluster.taskmanager_pids()))
    cluster.kill_taskmanager(killed)
    lost_at = time.monotonic()
    cluster.add_taskmanager()
    cluster.wait_checkpoint_after(job, checkpoints)
    recovery_s = time.monotonic() - lost_at
    restarts = cluster.restarts(job)
    assert restarts >= 1

    # a task failure inside live TaskManagers: thread-mode tasks restart where they ran before
    restart_broker(pulsar_url)
    cluster.wait_finished(job)
    assert cluster.restarts(job) > restarts

    records = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    figures = comparison(records, expected_records(events[:-1]))
    print(f"\nfailover: {len(events):,} events, source had sent {sent_before:,} at the kill of {killed}; "
          f"recovered (next checkpoint) {recovery_s:.1f}s after it; {figures}")
    assert figures["missing"] == figures["wrong"] == 0


def test_savepoint_and_resume_at_another_parallelism(cluster, pulsar_url, topic, tmp_path):
    """Stop with a savepoint at parallelism 1, resume at 2, stop again, resume at 1: exactly-once output has
    every record of ``timeline eval`` once."""
    events = events_of(200, seed=43)
    send(pulsar_url, topic("in"), events)
    args = job_args(pulsar_url, topic("in"), topic("out"), tmp_path, "sink.pulsar.delivery=exactly-once")
    savepoint = None
    with closing(topic_messages(pulsar_url, topic("out"))) as output:
        for parallelism in ("1", "2"):
            resume = ["--resume-from", savepoint] if savepoint else []
            job = cluster.submit("-p", parallelism, str(CIRR), *args, *resume)
            cluster.wait_running(job)
            next(output)  # a record more: this run has read on from where the last one stopped
            savepoint = cluster.stop_with_savepoint(job, tmp_path / "savepoints")
    send(pulsar_url, topic("in"), [flush_event(events)])
    job = cluster.submit("-p", "1", str(CIRR), *args, "--resume-from", savepoint)
    try:
        expected = expected_records(events)
        records = read_until_complete(pulsar_url, topic("out"), expected)
        records += [orjson.loads(m) for m in read_topic(pulsar_url, topic("out"), idle_seconds=3)][len(records):]
    finally:
        cluster.script("flink", "cancel", job)
    figures = comparison(records, expected)
    print(f"\nrescaling 1 -> 2 -> 1: {len(events):,} events; {figures}")
    assert figures["missing"] == figures["wrong"] == figures["duplicates"] == 0
