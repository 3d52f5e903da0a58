"""Every operator of the algebra through the Flink job (file source and sink), as `timeline eval` computes it."""
from __future__ import annotations

import glob
from pathlib import Path

import orjson
import pytest

from sessions.generate import generate_sessions
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import batch, reference
from engine.decode import decode_event
from engine.incremental import Engine
from engine.records import change_order

from .conftest import timeline_run
from .test_backfill_job import backfill_job, sorted_lines

pytestmark = pytest.mark.flink

TIMELINES = {
    "state": "latest_event_to_state(playerStateChange)",
    "buffering": 'state == "buffer"',
    "buffered_after_seek": 'has_existed(buffering && has_existed(userAction == "seek"))',
    "recently_buffering": "has_existed_within(buffering, 5s)",
    "play_minus_half_buffer": 'duration_where(state == "play") - duration_where(buffering) * 0.5',
    "buffering_longer": 'duration_where(buffering) > duration_where(state == "play")',
    "bitrate_third": "-latest_event_to_state(bitrate) / 3 + 1",
    "seeks": 'count(userAction == "seek")',
    "seeks_last_minute": 'count(userAction == "seek", 1m)',
    "cdn_changes": "count_changes(latest_event_to_state(cdn))",
    "cdn_changes_5m": "count_changes(latest_event_to_state(cdn), 5m)",
    "buffering_last_minute": "duration_where(buffering, 1m)",
    "since_seek": 'time_since(userAction == "seek")',
    "since_buffering": "time_since(buffering)",
    "first_cdn": "first_event_to_state(cdn)",
    "previous_state": "previous(state)",
    "shown_bitrate": "if(buffering, 0, latest_event_to_state(bitrate))",
    "kilobits": 'integral(if(state == "play", latest_event_to_state(bitrate), 0)) / 1000',
}
SPEC_TEXT = "\n".join([
    "name: algebra", "key: sessionId", "time: ts", "timelines:",
    *(f"  {name}: '{text}'" for name, text in TIMELINES.items()),
    "session_timeout: 5m", "watermark:", "  max_out_of_orderness: 2s",
    f"outputs: [{', '.join(TIMELINES)}]", "",
])


def test_every_operator_through_the_jobs_matches_timeline_eval(tmp_path: Path):
    """The streaming job and the BATCH job."""
    spec_path = tmp_path / "algebra.yaml"
    spec_path.write_text(SPEC_TEXT)
    spec = load_spec_file(spec_path)
    events = list(generate_sessions(40, seed=23, span_ms=600_000, disorder_ms=1500))
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "0.jsonl").write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))

    timeline_run("--source", "file:events", "--sink", "file:out", "--parallelism", "2", cwd=tmp_path, spec=spec_path)

    written = [orjson.loads(line) for path in glob.glob(str(tmp_path / "out" / "changes" / "*.jsonl"))
               for line in Path(path).read_bytes().splitlines()]
    evaluated = batch.evaluate(Engine(compile_plan(spec)),
                               [decode_event(orjson.dumps(event), spec.key, spec.time) for event in events])
    assert [orjson.dumps(r) for r in evaluated] == [orjson.dumps(r) for r in reference.evaluate(spec, events)]
    assert [orjson.dumps(r) for r in sorted(written, key=change_order)] == [orjson.dumps(r) for r in evaluated]
    assert {record["timeline"] for record in written} == set(TIMELINES)
    backfill_job(spec_path, tmp_path, source="events")
    assert sorted_lines(tmp_path / "batch" / "changes") == sorted_lines(tmp_path / "out" / "changes")
