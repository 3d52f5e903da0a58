"""One Pulsar broker for the whole session, and helpers to run the job and use topics."""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from typing import Iterator

import orjson
import pulsar
import pytest

from broker.local import BrokerTls, LocalBroker, local_broker
from jobs.artifacts import export_artifacts

ROOT = Path(__file__).resolve().parents[2]
CIRR = ROOT / "examples" / "cirr.yaml"
TIMELINE = Path(sys.executable).with_name("timeline")

JOB_TIMEOUT_S = 300  # an upper bound for a stuck job, not an expectation
FLUSH_KEY = "zz-flush"


@pytest.fixture(scope="session")
def artifacts() -> None:
    """Connector jars and the Pulsar distribution, exported as the scripts do."""
    export_artifacts()


@pytest.fixture(scope="session")
def pulsar_broker(artifacts, tmp_path_factory) -> Iterator[LocalBroker]:
    with local_broker(tmp_path_factory.mktemp("pulsar")) as broker:
        yield broker


@pytest.fixture(scope="session")
def tls_pulsar_broker(artifacts, tmp_path_factory) -> Iterator[LocalBroker]:
    """A broker that serves TLS too, its certificate signed by a throwaway CA: the job under test uses its
    ``tls`` endpoints only, the test's own clients its plain ones."""
    with local_broker(tmp_path_factory.mktemp("tls-pulsar"), tls=True) as broker:
        yield broker


def tls_settings(tls: BrokerTls) -> list[str]:
    """The job's settings for both Pulsar endpoints over TLS: the broker's CA trusted, its host name checked."""
    return [setting for section in ("source.pulsar", "sink.pulsar")
            for setting in ("--set", f"{section}.service_url={tls.service_url}",
                            "--set", f"{section}.tls.trust_certs={tls.ca_file}",
                            "--set", f"{section}.tls.hostname_verification=true")]


@pytest.fixture(scope="session")
def pulsar_url(pulsar_broker) -> str:
    return pulsar_broker.service_url


@pytest.fixture
def topic(request) -> callable:
    """Unique topic names for this test: topic("in") -> persistent://public/default/<test>-in-<id>."""
    run = uuid.uuid4().hex[:8]
    return lambda name: f"persistent://public/default/{request.node.name}-{name}-{run}"


def timeline_run(*args: str, cwd: Path, spec: Path = CIRR) -> subprocess.CompletedProcess:
    """``timeline run`` on ``spec`` with a 1 s checkpoint interval; fails the test if the job fails."""
    done = subprocess.run([str(TIMELINE), "run", str(spec), "--set", "checkpoint.interval=1s", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def start_timeline_run(*args: str, cwd: Path, spec: Path = CIRR) -> subprocess.Popen:
    """``timeline run`` in the background, in its own process group (see :func:`stop_job`)."""
    return subprocess.Popen([str(TIMELINE), "run", str(spec), "--set", "checkpoint.interval=1s", *args],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop_job(job: subprocess.Popen, how: signal.Signals = signal.SIGTERM) -> None:
    """Stop a background job: its client and the local Flink JVM it started (SIGKILL: no clean shutdown)."""
    os.killpg(job.pid, how)
    job.wait(timeout=60)


def flush_event(events: list[dict]) -> dict:
    """An event of key FLUSH_KEY so late that the watermark passes every session end of ``events`` (30 min timeout)."""
    return {"sessionId": FLUSH_KEY, "ts": max(event["ts"] for event in events) + 7_200_000}


def hold_topic(url: str, topic: str, subscription: str, token: str | None = None) -> None:
    """Create the job's durable subscription on ``topic`` before publishing to it.

    A topic without subscriptions is deleted as inactive after a minute, messages and all, which a job
    that takes long to start on a busy machine can miss; the subscription keeps them as its backlog.
    """
    client = pulsar.Client(url, authentication=pulsar.AuthenticationToken(token) if token else None,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        client.subscribe(topic, subscription).close()
    finally:
        client.close()


def topic_messages(url: str, topic: str, timeout_s: float = JOB_TIMEOUT_S) -> Iterator[bytes]:
    """The messages of ``topic`` from the start, as they arrive; fails if none arrives within the bound.

    Close it (``contextlib.closing``) when done early: that closes the client.
    """
    client = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest)
        for count in itertools.count():
            try:
                yield reader.read_next(timeout_millis=int(timeout_s * 1000)).data()
            except pulsar.Timeout:
                pytest.fail(f"{topic}: nothing arrived within {timeout_s}s after {count} messages")
    finally:
        client.close()


def read_messages(url: str, topic: str, count: int, timeout_s: float = JOB_TIMEOUT_S) -> list[bytes]:
    """The first ``count`` messages of ``topic``; fails if they do not all arrive within the bound."""
    with closing(topic_messages(url, topic, timeout_s)) as messages:
        return list(itertools.islice(messages, count))


def canonical(record: dict) -> bytes:
    """A record's identity: its JSON with sorted keys."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def read_until_complete(url: str, topic: str, expected: list[dict]) -> list[dict]:
    """The records of ``topic`` from the start until every record of ``expected`` has arrived."""
    missing = {canonical(record) for record in expected}
    records = []
    with closing(topic_messages(url, topic)) as messages:
        for message in messages:
            records.append(orjson.loads(message))
            missing.discard(canonical(records[-1]))
            if not missing:
                return records
