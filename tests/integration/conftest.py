"""One Pulsar broker for the whole session, and helpers to run the job and use topics."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pulsar
import pytest

ROOT = Path(__file__).resolve().parents[2]
CIRR = ROOT / "examples" / "cirr.yaml"
TIMELINE = Path(sys.executable).with_name("timeline")
sys.path.insert(0, str(ROOT / "scripts"))
JOB_TIMEOUT_S = 300  # an upper bound for a stuck job, not an expectation


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> None:
    """Connector jars and the Pulsar distribution, exported as the scripts do."""
    exports = subprocess.run([str(ROOT / "scripts" / "fetch_artifacts.sh")],
                             check=True, capture_output=True, text=True).stdout
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ[name] = value.strip("'")


@pytest.fixture(scope="session")
def pulsar_url(artifacts, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PULSAR_PORT": str(port), "PULSAR_HTTP_PORT": str(_free_port()),
           "TMPDIR": str(tmp_path_factory.mktemp("pulsar"))}
    script = str(ROOT / "scripts" / "pulsar.sh")
    # no pipes: the broker it leaves running would hold them open
    subprocess.run([script, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"pulsar://127.0.0.1:{port}"
    finally:
        subprocess.run([script, "stop"], env=env, check=True)


@pytest.fixture
def topic(request) -> callable:
    """Unique topic names for this test: topic("in") -> persistent://public/default/<test>-in-<id>."""
    run = uuid.uuid4().hex[:8]
    return lambda name: f"persistent://public/default/{request.node.name}-{name}-{run}"


def timeline_run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``timeline run`` on the CIRR spec with a 1 s checkpoint interval; fails the test if the job fails."""
    done = subprocess.run([str(TIMELINE), "run", str(CIRR), "--set", "checkpoint.interval=1s", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done


def start_timeline_run(*args: str, cwd: Path) -> subprocess.Popen:
    """``timeline run`` in the background, in its own process group (see :func:`stop_job`)."""
    return subprocess.Popen([str(TIMELINE), "run", str(CIRR), "--set", "checkpoint.interval=1s", *args],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop_job(job: subprocess.Popen) -> None:
    """Stop a background job: its client and the local Flink JVM it started."""
    os.killpg(job.pid, signal.SIGTERM)
    job.wait(timeout=60)


def read_messages(url: str, topic: str, count: int, timeout_s: float = JOB_TIMEOUT_S) -> list[bytes]:
    """The first ``count`` messages of ``topic``; fails if they do not all arrive within the bound."""
    client = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest)
        messages = []
        while len(messages) < count:
            try:
                messages.append(reader.read_next(timeout_millis=int(timeout_s * 1000)).data())
            except pulsar.Timeout:
                pytest.fail(f"{topic}: {len(messages)} of {count} messages arrived")
        return messages
    finally:
        client.close()
