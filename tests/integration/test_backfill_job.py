"""The backfill as a Flink batch job writes the streaming job's files, and timeline backfill's records."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sessions.generate import generate_sessions
from cli.main import main

from .conftest import JOB_TIMEOUT_S, ROOT, timeline_run

pytestmark = pytest.mark.flink
CIRR_BY_CDN = ROOT / "examples" / "cirr-by-cdn.yaml"


def sorted_lines(folder: Path) -> list[bytes]:
    return sorted(line for part in folder.glob("part-*") for line in part.read_bytes().splitlines())


def test_the_batch_job_writes_the_streaming_jobs_records(tmp_path: Path, capsys):
    events = list(generate_sessions(80, 21, span_ms=600_000))
    events.insert(40, {"sessionId": "broken", "ts": "soon"})
    (tmp_path / "events.jsonl").write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))

    timeline_run("--source", "file:events.jsonl", "--sink", "file:streaming", cwd=tmp_path, spec=CIRR_BY_CDN)
    batch = subprocess.run([sys.executable, "-m", "jobs.backfill", "--spec", str(CIRR_BY_CDN), "--source",
                            "file:events.jsonl", "--sink", "file:batch", "--parallelism", "2"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert batch.returncode == 0, batch.stderr[-5000:]

    for output in ("changes", "aggregates", "dead-letters"):
        assert sorted_lines(tmp_path / "batch" / output) == sorted_lines(tmp_path / "streaming" / output)
    assert len(sorted_lines(tmp_path / "batch" / "dead-letters")) == 1
    main(["backfill", str(CIRR_BY_CDN), str(tmp_path / "events.jsonl"), "--out", str(tmp_path / "local")])
    capsys.readouterr()
    assert sorted_lines(tmp_path / "local" / "changes") == sorted_lines(tmp_path / "batch" / "changes")
    assert sorted((tmp_path / "local" / "aggregates.jsonl").read_bytes().splitlines()) == \
        sorted_lines(tmp_path / "batch" / "aggregates")
