"""The backfill as a Flink batch job writes the streaming job's files, and timeline backfill's records."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import random

import orjson
import pytest

from sessions.generate import generate_sessions
from cli.main import main

from .conftest import JOB_TIMEOUT_S, ROOT, TIMELINE, timeline_run

pytestmark = pytest.mark.flink
CIRR_BY_CDN = ROOT / "examples" / "cirr-by-cdn.yaml"


LATEST_STATE = """\
name: latest_state
key: sessionId
time: ts
timelines:
  state: latest_event_to_state(playerStateChange)
outputs: [state]
"""


def written_freely(after_ms: int) -> bytes:
    """Events as a person might write them, after ``after_ms`` (late for no job): escapes, spaces and carriage
    returns, an integer key, a nested value, a null, a repeated name. The BATCH job hands Python each field's
    text as written, which must read as the streaming job and timeline eval read it."""
    lines = (b'{"sessionId": 7, "ts": %d, "playerStateChange": {"a" :\r[1, 2.50E0, "pl\\u0061y"]},\r "cdn": "x"}',
             b'{"sessionId": 7, "ts": %d, "playerStateChange": "buffer", "cdn": null, "userAction": "se\\"ek"}',
             b'{ "ts" : %d , "sessionId" : "\\u00e9t\\u00e9\\u001f", "playerStateChange" : "play" , "cdn" : "x\\ty" }',
             b'{"sessionId": 7, "ts": %d, "playerStateChange": "buffer", "cdn": 1e2, "cdn": "last"}')
    return b"".join(line % (after_ms + 1000 * (number + 1)) + b"\n" for number, line in enumerate(lines))


def sorted_lines(folder: Path) -> list[bytes]:
    return sorted(line for part in folder.glob("part-*") for line in part.read_bytes().splitlines())


def backfill_job(spec: Path, cwd: Path, *args: str, source: str = "events.jsonl") -> None:
    """``jobs.backfill`` from file:``source`` to file:batch at parallelism 2, in buckets of about 4096 bytes."""
    batch = subprocess.run([sys.executable, "-m", "jobs.backfill", "--spec", str(spec), "--source",
                            f"file:{source}", "--sink", "file:batch", "--parallelism", "2",
                            "--batch-bytes", "4096", *args],
                           cwd=cwd, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert batch.returncode == 0, batch.stderr[-5000:]


def test_the_batch_job_writes_the_streaming_jobs_records(tmp_path: Path, capsys):
    events = list(generate_sessions(80, 21, span_ms=600_000))
    events.insert(40, {"sessionId": "broken", "ts": "soon"})
    last = max(event["ts"] for event in events if event["sessionId"] != "broken")
    (tmp_path / "events.jsonl").write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events) + written_freely(last))

    timeline_run("--source", "file:events.jsonl", "--sink", "file:streaming", cwd=tmp_path, spec=CIRR_BY_CDN)
    backfill_job(CIRR_BY_CDN, tmp_path)

    for output in ("changes", "aggregates", "dead-letters"):
        assert sorted_lines(tmp_path / "batch" / output) == sorted_lines(tmp_path / "streaming" / output)
    assert len(sorted_lines(tmp_path / "batch" / "dead-letters")) == 1
    keys = {orjson.loads(line)["key"] for line in sorted_lines(tmp_path / "batch" / "changes")}
    groups = {orjson.dumps(orjson.loads(line)["group"]) for line in sorted_lines(tmp_path / "batch" / "aggregates")}
    assert {"7", "\u00e9t\u00e9\u001f"} <= keys and {b'{"cdn":"x\\ty"}', b'{"cdn":"last"}'} <= groups
    main(["backfill", str(CIRR_BY_CDN), str(tmp_path / "events.jsonl"), "--out", str(tmp_path / "local")])
    capsys.readouterr()
    assert sorted_lines(tmp_path / "local" / "changes") == sorted_lines(tmp_path / "batch" / "changes")
    assert sorted((tmp_path / "local" / "aggregates.jsonl").read_bytes().splitlines()) == \
        sorted_lines(tmp_path / "batch" / "aggregates")


def test_events_of_one_key_at_one_time_keep_their_file_order(tmp_path: Path):
    """Many keys, each with 25 events at each of its instants whose states differ: the last line wins, in the
    streaming job, in timeline eval and in the batch job, whose sort by key and time is not stable."""
    rng = random.Random(26)
    events = [{"sessionId": f"s{key}", "ts": 1_700_000_000_000 + instant * 1000,
               "playerStateChange": rng.choice(["play", "buffer", "pause", "stop"])}
              for instant in range(4) for _ in range(25) for key in range(60)]
    (tmp_path / "events.jsonl").write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events)
                                           + written_freely(max(event["ts"] for event in events)))
    spec = tmp_path / "latest.yaml"
    spec.write_text(LATEST_STATE)

    timeline_run("--source", "file:events.jsonl", "--sink", "file:streaming", cwd=tmp_path, spec=spec)
    backfill_job(spec, tmp_path)
    evaluated = subprocess.run([str(TIMELINE), "eval", str(spec), "events.jsonl"], cwd=tmp_path,
                               capture_output=True, check=True).stdout.splitlines()

    assert len(evaluated) > 120 and b'"value":{"a":[1,2.5,"play"]}' in b"".join(evaluated)
    assert sorted_lines(tmp_path / "batch" / "changes") == sorted_lines(tmp_path / "streaming" / "changes") \
        == sorted(evaluated)
