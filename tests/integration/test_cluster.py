"""The job on a ``scripts/cluster.sh start --ha`` standalone session cluster (ZooKeeper, a leading and a
standby JobManager, two TaskManagers of one slot each).

The backlog test's input comes from a batching producer, so its restore resumes inside a batched entry
(``timeline.flink.pulsar.TimelinePulsarSource``); the live tests publish each event as the clock reaches
its stamp and measure how soon a reader gets new records after each fault. Figures go to stdout (``pytest -s``).
"""
from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import orjson
import pytest
from broker.consume import read_topic
from broker.local import PULSAR_SH, LocalBroker
from broker.publish import publish

from sessions.generate import generate_sessions

from .conftest import CIRR, FLUSH_KEY, canonical, flush_event, read_messages, read_until_complete
from .flink_cluster import FlinkCluster
from .live_stream import FLOWING_AGAIN_S, LiveInput, OutputWatch, open_transactions
from .test_job import BOUND_MS, expected_records

pytestmark = [pytest.mark.cluster, pytest.mark.pulsar]


@pytest.fixture(scope="module")
def cluster(artifacts, tmp_path_factory):
    flink = FlinkCluster(tmp_path_factory.mktemp("flink"))
    flink.start(taskmanagers=2, ha=True)
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


def broker(url: str, command: str, *args: str) -> None:
    """``pulsar.sh COMMAND`` for the broker at ``url``."""
    env = {**os.environ, "PULSAR_PORT": str(urlparse(url).port)}
    subprocess.run([str(PULSAR_SH), command, *args], env=env, check=True, stdout=subprocess.DEVNULL, timeout=400)


def comparison(records: list[dict], expected: list[dict]) -> dict[str, int]:
    """Missing, wrong (emitted, not expected) and duplicate records."""
    emitted = Counter(canonical(record) for record in records if record["key"] != FLUSH_KEY)
    reference = Counter(canonical(record) for record in expected)
    return {"records": sum(emitted.values()), "expected": len(expected),
            "missing": len(reference.keys() - emitted.keys()), "wrong": len(emitted.keys() - reference.keys()),
            "duplicates": sum(emitted.values()) - len(emitted)}


def failover(cluster: FlinkCluster, job: str, url: str, output: str, expected: list[dict]) -> tuple[list, dict]:
    """Lose a TaskManager mid-stream (the job restarts, its tasks also in the surviving TaskManager that ran
    them), then restart the broker; the records of ``output`` once ``expected`` are all there, and figures."""
    # mid-stream: a checkpoint completed after the first records, and the job reads on
    read_messages(url, output, 1)
    checkpoints = cluster.wait_checkpoint_after(job, cluster.completed_checkpoints(job))
    killed = next(iter(cluster.taskmanager_pids()))
    cluster.kill_taskmanager(killed)
    lost_at = time.monotonic()
    cluster.add_taskmanager()
    cluster.wait_checkpoint_after(job, checkpoints)
    figures = {"recovery_s": round(time.monotonic() - lost_at, 1),  # the REST metrics lag up to 10 s:
               "restarts_after_kill": cluster.wait("the restart counted", lambda: cluster.restarts(job))}
    assert cluster.logged("resumes inside the batched entry"), "restored at a batch's end: use more events"

    # the broker restarted on its data: the Pulsar clients reconnect, or their tasks fail and restart
    broker(url, "restart")
    read_until_complete(url, output, expected)
    records = [orjson.loads(message) for message in read_topic(url, output, idle_seconds=3)]
    return records, {**figures, "restarts": cluster.restarts(job), **comparison(records, expected)}


def test_a_lost_taskmanager_and_a_broker_restart_lose_nothing(cluster, pulsar_url, topic, tmp_path):
    """kill -9 of a TaskManager mid-stream, then a broker restart: at-least-once output has the records of
    ``timeline eval``, duplicates exact repeats."""
    events = events_of(300, seed=41)
    send(pulsar_url, topic("in"), [*events, flush_event(events)])
    job = cluster.submit("-p", "2", str(CIRR), *job_args(
        pulsar_url, topic("in"), topic("out"), tmp_path, "sink.pulsar.delivery=at-least-once",
        "checkpoint.restart_max_delay=5s"))
    try:
        cluster.wait_running(job)
        records, figures = failover(cluster, job, pulsar_url, topic("out"), expected_records(events))
    finally:
        cluster.script("flink", "cancel", job)
    print(f"\nfailover: {len(events) + 1:,} events (batched), parallelism 2; {figures}")
    assert figures["missing"] == figures["wrong"] == 0


@dataclass
class Stream:
    """A job reading live input from ``input`` and writing ``output`` while a reader watches it."""
    cluster: FlinkCluster
    job: str
    watch: OutputWatch
    broker: LocalBroker
    output: str
    exactly_once: bool
    live: LiveInput
    input: str


def lose_a_taskmanager(stream: Stream) -> dict[str, float]:
    """kill -9 of a TaskManager, and a new one added."""
    cluster = stream.cluster
    return fault(stream, lambda: cluster.kill_taskmanager(next(iter(cluster.taskmanager_pids()))),
                 cluster.add_taskmanager)


def lose_the_leading_jobmanager(stream: Stream) -> dict[str, float]:
    """kill -9 of the leading JobManager (the standby takes over), and a new standby added."""
    cluster = stream.cluster
    return fault(stream, lambda: cluster.kill_jobmanager(cluster.leading_jobmanager()), cluster.add_jobmanager)


def fault(stream: Stream, kill, replace) -> dict[str, float]:
    """``kill`` once records flow and a checkpoint completed since (at exactly-once: once both sink writers'
    transactions hold records, so the lost attempt leaves them open), then ``replace``; seconds from the kill
    to the job's restore and to the first new record a reader gets (fails after FLOWING_AGAIN_S)."""
    cluster, job = stream.cluster, stream.job
    stream.watch.first_after(0)  # records flow
    cluster.wait_checkpoint_after(job, cluster.completed_checkpoints(job))
    if stream.exactly_once:
        cluster.wait("both sink writers' transactions hold records",
                     lambda: open_transactions(stream.broker.admin_url, stream.output) >= 2)
    killed_at, killed = time.time(), time.monotonic()
    kill()
    replace()
    restored = cluster.restored_after(job, killed_at)
    # a record about a moment after the kill is a new one (older ones can come from a checkpoint committed at
    # the restore): the input's stamps follow the clock
    first = stream.watch.first_after(restored, within_s=FLOWING_AGAIN_S, about_after_ms=int(killed_at * 1000))
    return {"restored_s": round(restored - killed, 1), "first_record_s": round(first - killed, 1)}


def restart_the_broker(stream: Stream) -> dict[str, float]:
    """The broker stopped and started on its data; seconds from the stop to its return and to the first new
    record a reader gets (fails after FLOWING_AGAIN_S)."""
    stopped_at, stopped = time.time(), time.monotonic()
    broker(stream.broker.service_url, "restart")
    back = time.monotonic()
    first = stream.watch.first_after(back, within_s=FLOWING_AGAIN_S, about_after_ms=int(stopped_at * 1000))
    return {"outage_s": round(back - stopped, 1), "first_record_s": round(first - stopped, 1)}


FAULTS = {"exactly-once": (lose_a_taskmanager, lose_the_leading_jobmanager, restart_the_broker),
          "at-least-once": (lose_a_taskmanager, lose_the_leading_jobmanager)}  # a broker restart: above


@contextmanager
def live_job(cluster: FlinkCluster, pulsar_broker: LocalBroker, topic, tmp_path: Path, delivery: str, seed: int,
             flink_options: tuple[str, ...] = (), settings: tuple[str, ...] = ()) -> Iterator[Stream]:
    """A job at parallelism 2 on live input (1,500 generated sessions over 10 minutes) while a reader watches
    its output, running; the input, the reader and the job stopped at the end."""
    url = pulsar_broker.service_url
    watch = OutputWatch(url, topic("out"))
    live = LiveInput(url, topic("in"), sessions=1500, span_ms=600_000, disorder_ms=BOUND_MS - 500, seed=seed)
    job = cluster.submit("-p", "2", *flink_options, str(CIRR), *job_args(
        url, topic("in"), topic("out"), tmp_path, f"sink.pulsar.delivery={delivery}", *settings,
        "checkpoint.restart_max_delay=5s"))
    try:
        cluster.wait_running(job)
        yield Stream(cluster, job, watch, pulsar_broker, topic("out"), delivery == "exactly-once", live, topic("in"))
    finally:
        live.stop()
        watch.stop()
        cluster.script("flink", "cancel", job)


def complete_output(stream: Stream, commit=lambda: None) -> dict[str, int]:
    """Stop the input, flush it (then ``commit``) and read until the output has every record of ``timeline
    eval`` on the events sent; the comparison, with the number of events."""
    events = stream.live.stop()
    send(stream.broker.service_url, stream.input, [flush_event(events)])
    commit()
    expected = expected_records(events)
    return {"events": len(events), **comparison(stream.watch.until_complete(expected), expected)}


@pytest.mark.parametrize("delivery", FAULTS)
def test_live_output_flows_on_after_each_fault(delivery, cluster, pulsar_broker, topic, tmp_path):
    """Live input at the default transaction timeout (3 h): kill -9 of a TaskManager, of the leading
    JobManager (the standby recovers the job from its latest checkpoint), a broker restart, each mid-stream.
    A reader gets records again soon after each (at exactly-once, the restore aborts the transactions the
    lost attempt left open); the output is that of ``timeline eval``: exactly-once every record once,
    at-least-once duplicates that are exact repeats."""
    with live_job(cluster, pulsar_broker, topic, tmp_path, delivery, seed=47) as stream:
        figures = {fault.__name__: fault(stream) for fault in FAULTS[delivery]}
        figures.update(complete_output(stream))
    print(f"\n{delivery}, live input, parallelism 2; {figures}")
    if delivery == "exactly-once":
        assert cluster.logged("left open by an earlier attempt"), "no restore aborted a transaction"
        assert figures["duplicates"] == 0
    assert figures["missing"] == figures["wrong"] == 0


FIRST_CHECKPOINT_S = 60  # the checkpoint interval, and when the first checkpoint of an attempt is taken


def test_exactly_once_output_flows_after_a_loss_before_the_first_checkpoint(cluster, pulsar_broker, topic, tmp_path):
    """kill -9 of a TaskManager while both sink writers' first transactions hold records, before the job's
    first checkpoint (no checkpoint names these transactions), at the default transaction timeout (3 h): the
    restart aborts them (the writers recorded them in the job's ledger before writing in them), so a reader
    gets records at the restarted attempt's first checkpoint, not at the timeout; every record of ``timeline
    eval`` once."""
    # the first checkpoint of an attempt comes a whole interval after its start (else at a random moment)
    with live_job(cluster, pulsar_broker, topic, tmp_path, "exactly-once", seed=53,
                  flink_options=("-D", f"execution.checkpointing.min-pause={FIRST_CHECKPOINT_S}s"),
                  settings=(f"checkpoint.interval={FIRST_CHECKPOINT_S}s",)) as stream:
        cluster.wait("both sink writers' transactions hold records",
                     lambda: open_transactions(pulsar_broker.admin_url, stream.output) >= 2)
        assert cluster.completed_checkpoints(stream.job) == 0, "a checkpoint completed before the fault"
        killed = time.monotonic()
        cluster.kill_taskmanager(next(iter(cluster.taskmanager_pids())))
        cluster.add_taskmanager()
        cluster.wait("the failure handled", lambda: cluster.failures(stream.job) >= 1)
        cluster.wait_running(stream.job)
        running_again = time.monotonic()
        first = stream.watch.first_after(killed, within_s=FLOWING_AGAIN_S)  # from now on
        figures = {"running_again_s": round(running_again - killed, 1), "first_record_s": round(first - killed, 1)}
        # commits the flushed records without waiting an interval
        figures.update(complete_output(stream, commit=lambda: cluster.script("flink", "checkpoint", stream.job)))
    print(f"\nexactly-once, lost before the first checkpoint, live input, parallelism 2; {figures}")
    assert cluster.logged("opened after checkpoint 0)"), "no restart aborted a transaction from the ledger"
    assert figures["missing"] == figures["wrong"] == figures["duplicates"] == 0


def test_savepoint_and_resume_at_another_parallelism(cluster, pulsar_url, topic, tmp_path):
    """Stop with a savepoint at parallelism 1, resume at 2, stop again, resume at 1: exactly-once output has
    every record of ``timeline eval`` once."""
    events = events_of(200, seed=43)
    third = len(events) // 3
    parts = [events[:third], events[third:2 * third], [*events[2 * third:], flush_event(events)]]
    args = job_args(pulsar_url, topic("in"), topic("out"), tmp_path, "sink.pulsar.delivery=exactly-once")
    savepoint, seen = None, 0
    for parallelism, part in zip(("1", "2"), parts):
        send(pulsar_url, topic("in"), part)
        job = cluster.submit("-p", parallelism, str(CIRR), *args, *(["--resume-from", savepoint] if savepoint else []))
        try:
            cluster.wait_running(job)
            read_messages(pulsar_url, topic("out"), seen + 1)  # this run has emitted records of its part
        except BaseException:
            cluster.script("flink", "cancel", job)
            raise
        savepoint = cluster.stop_with_savepoint(job, tmp_path / "savepoints")
        seen = len(read_topic(pulsar_url, topic("out"), idle_seconds=3))
    send(pulsar_url, topic("in"), parts[-1])
    job = cluster.submit("-p", "1", str(CIRR), *args, "--resume-from", savepoint)
    try:
        expected = expected_records(events)
        read_until_complete(pulsar_url, topic("out"), expected)
        records = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    finally:
        cluster.script("flink", "cancel", job)
    figures = comparison(records, expected)
    print(f"\nrescaling 1 -> 2 -> 1: {len(events):,} events; {figures}")
    assert figures["missing"] == figures["wrong"] == figures["duplicates"] == 0
