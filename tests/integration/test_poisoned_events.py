"""Poisoned events and every spelling of numeric literals through the Flink job: the same bytes as ``timeline eval``."""
from __future__ import annotations

import glob
import time
from pathlib import Path

import orjson
import pytest

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine import batch, reference
from engine.decode import decode_event
from engine.incremental import Engine

from .conftest import timeline_run
from .test_job import arrivals

pytestmark = pytest.mark.flink
SPEC = """\
name: literals
key: sessionId
time: ts
timelines:
  state: latest_event_to_state(playerStateChange)
  buffered: duration_where(state == "buffer")
  long: buffered >= 2000.0
  negative: duration_in_cur_state(state) > -5
  never: buffered >= 1000000000000000000000000000000.0
  huge: buffered < 99999999999999999999
  high_bitrate: latest_event_to_state(bitrate) >= 3000.0
session_timeout: 30m
watermark:
  max_out_of_orderness: 2s
  max_future: 1d
outputs: [buffered, long, negative, never, huge, high_bitrate]
"""
DAY_MS = 86_400_000


def lines_of(folder: Path) -> list[bytes]:
    return sorted(line for path in glob.glob(str(folder / "*.jsonl")) for line in Path(path).read_bytes().splitlines())


def test_poisoned_events_become_dead_letters_and_the_good_records_are_exact(tmp_path):
    spec = load_spec(SPEC)
    good = arrivals(30, seed=41)
    far_future = {"sessionId": "p-future", "ts": time.time_ns() // 1_000_000 + 10 * DAY_MS}
    poisoned = {  # payload: the start of its dead letter's reason
        b'{"sessionId": "p1", "ts": 1e30}': 'time field "ts" is out of range',
        b'{"sessionId": "p2", "ts": 9223372036854775807}': 'time field "ts" is out of range',
        b'{"sessionId": "p3", "ts": "+275760-09-13T00:00:00Z"}': 'time field "ts" is not ISO-8601',
        b'{"sessionId": "p4", "ts": NaN}': "malformed JSON",
        b'{"sessionId": "p5", "ts": -1}': 'time field "ts" is out of range',
        orjson.dumps(far_future): "too far in the future",
    }
    lines = [orjson.dumps(event) for event in good]
    for position, payload in zip((1, 2, 3, 40, 80, len(lines)), reversed(poisoned)):  # the far-future one first
        lines.insert(position, payload)
    (tmp_path / "events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "spec.yaml").write_text(SPEC)

    timeline_run("--source", "file:events.jsonl", "--sink", "file:out", cwd=tmp_path, spec=tmp_path / "spec.yaml")

    expected = batch.evaluate(Engine(compile_plan(spec)), [decode_event(orjson.dumps(e), spec.key, spec.time)
                                                           for e in good])
    expected_lines = sorted(orjson.dumps(record) for record in expected)
    assert expected_lines == sorted(orjson.dumps(record) for record in reference.evaluate(spec, good))
    assert lines_of(tmp_path / "out" / "changes") == expected_lines
    letters = {orjson.loads(line)["payload"].encode(): orjson.loads(line)["reason"]
               for line in lines_of(tmp_path / "out" / "dead-letters")}
    assert letters.keys() == poisoned.keys()
    for payload, reason in poisoned.items():
        assert letters[payload].startswith(reason), letters[payload]
