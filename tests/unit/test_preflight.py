"""`timeline run` stops before the job starts, in one line with exit status 2, when it cannot work."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "cirr.yaml"
TIMELINE = Path(sys.executable).with_name("timeline")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def run_fails(tmp_path: Path, *args: str) -> str:
    done = subprocess.run([str(TIMELINE), "run", str(SPEC), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def events(tmp_path: Path) -> Path:
    (tmp_path / "events.jsonl").write_text('{"sessionId": "s1", "ts": 1}\n')
    return tmp_path / "events.jsonl"


def test_a_broker_that_does_not_answer(tmp_path):
    url = f"pulsar://127.0.0.1:{closed_port()}"
    assert run_fails(tmp_path, "--source", "pulsar:events", "--set", f"source.pulsar.service_url={url}") == \
        f"timeline run: cannot reach the Pulsar broker at {url} (source.pulsar.service_url): connection refused"


def test_a_missing_source_file(tmp_path):
    assert run_fails(tmp_path, "--source", "file:missing.jsonl") == \
        f"timeline run: the source file {tmp_path / 'missing.jsonl'} does not exist"


def test_a_sink_folder_that_cannot_be_created(tmp_path, events):
    assert run_fails(tmp_path, "--source", f"file:{events}", "--sink", f"file:{events}/out") == \
        f"timeline run: the sink folder {events}/out cannot be created: {events} is a file"


def test_a_checkpoint_folder_that_cannot_be_created(tmp_path, events):
    assert run_fails(tmp_path, "--source", f"file:{events}", "--set", f"checkpoint.dir=file://{events}/chk") == \
        f"timeline run: the checkpoint folder {events}/chk cannot be created: {events} is a file"


def test_a_checkpoint_to_resume_from_without_metadata(tmp_path, events):
    (tmp_path / "chk-3").mkdir()
    assert run_fails(tmp_path, "--source", f"file:{events}", "--resume-from", str(tmp_path / "chk-3")) == \
        f"timeline run: the checkpoint {tmp_path / 'chk-3'} has no _metadata: it is not a completed checkpoint or savepoint"


def test_a_malformed_topic_name(tmp_path):
    assert run_fails(tmp_path, "--source", "pulsar:persistent://public/events") == \
        "timeline run: topic 'persistent://public/events' is not a topic name (NAME or persistent://TENANT/NAMESPACE/NAME)"


def test_a_malformed_service_url(tmp_path):
    assert run_fails(tmp_path, "--sink", "pulsar:changes", "--set", "sink.pulsar.service_url=http://bad") == \
        "'sink.pulsar.service_url' must be pulsar://HOST:PORT or pulsar+ssl://HOST:PORT, got \"http://bad\"" \
        " (set on the command line)"
