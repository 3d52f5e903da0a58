"""Reading events for the columnar evaluator: JSON lines decode exactly as engine/decode.py decodes each line,
Parquet files as the same events would in JSON; the records written are timeline eval's bytes."""
from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from engine.columnar_input import decode_lines, decode_parquet, line_blocks, parquet_batches
from engine.decode import decode_event, is_blank, text_of
from engine.events import BadEvent
from tests.event_tables import field_texts
from tests.unit.test_decode import POISONED_TIMES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COLUMNS = ("a", "id", "ts")
HOSTILE = [
    b"", b"   ", b"\t\r", "\u00a0\u3000".encode(), b"\x1c\x1f", b"{not json", b"[1, 2]", b'"x"', b"5", b"null",
    b'{"ts": 1}', b'{"id": null, "ts": 1}', b'{"id": true, "ts": 1}', b'{"id": "", "ts": 1}', b'{"id": 7.0, "ts": 1}',
    b'{"id": "a"}', b'{"id": "a", "ts": "soon"}', b'{"id": "a", "ts": 1.5}', b'{"id": 1, "id": "a", "ts": {}}',
    b'\xef\xbb\xbf{"id": "a", "ts": 1}', b'{"id": "a", "ts": 1}\r', b'{"id": 7, "ts": "1970-01-01T00:00:01.5+00:00"}',
    b'{"id": "\xff", "ts": 1, "a": "\xed\xa0\x80"}', b'{"id": "a", "ts": 1,}', b'{"id": "a", "ts": 1} x',
    b'{"id": 18446744073709551615, "ts": 1.7672256e12, "a": 99999999999999999999}', b'{"id": "a", "ts": -0}',
    b'{"id": "a", "ts": 1, "a": [1, {"b": null}], "a": 2.0}', b'{"id": "a\\u0000", "ts": 1}',
    b'{"id": "a", "ts": 1, "a": "' + b"x" * (1 << 20) + b'"}', b"\xed\xa0\x80", b"\x80\x80",
    *(b'{"id": "a", "ts": ' + time + b"}" for time in POISONED_TIMES),
]


def expected(lines: list[bytes]) -> tuple[list[tuple], list[tuple[int, str]]]:
    """What timeline eval's line reader makes of each line: events (key, time, field texts) and bad lines."""
    events, bad = [], []
    for number, line in enumerate(lines, start=1):
        text = text_of(line)
        if is_blank(text):
            continue
        try:
            event = decode_event(text, "id", "ts")
        except BadEvent as error:
            bad.append((number, error.reason))
            continue
        events.append((event.key, event.time, *field_texts(event.fields, COLUMNS)))
    return events, bad


def decoded(lines: list[bytes]) -> tuple[list[tuple], list[tuple[int, str]]]:
    result = decode_lines(b"\n".join(lines), 1, "id", "ts", COLUMNS)
    table = result.table
    return list(zip(*(table[name].to_pylist() for name in ("key", "time", *COLUMNS)))), result.bad


def test_hostile_lines_decode_as_engine_decode_reads_them():
    assert decoded(HOSTILE) == expected(HOSTILE)


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False)
                           | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=5)
events = st.dictionaries(st.sampled_from(("id", "ts", "a", "b")), json_values | st.sampled_from(
    ("2024-01-01", "2024-02-30T00:00Z", 0, 253402300799999, 1.5e12)), max_size=4)
lines = st.lists(st.one_of(events.map(orjson.dumps), st.binary(max_size=12),
                           events.map(lambda event: orjson.dumps(event)[:-1])), max_size=8)


@settings(max_examples=500, deadline=None)
@given(lines)
def test_random_lines_decode_as_engine_decode_reads_them(random_lines):
    random_lines = [line for line in random_lines if b"\n" not in line]
    assert decoded(random_lines) == expected(random_lines)


def test_blocks_hold_whole_lines_numbered_from_one(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"a\nbb\n\nccc\nd")
    blocks = list(line_blocks(path, block_bytes=3))
    assert [(number, line) for first, block in blocks for number, line in enumerate(block.split(b"\n"), first)] == \
        [(1, b"a"), (2, b"bb"), (3, b""), (4, b"ccc"), (5, b"d")]


def test_parquet_rows_decode_as_the_same_events_in_json(tmp_path):
    rows = [{"id": "s1", "ts": 1000, "a": "play"}, {"id": 7, "ts": 2000, "a": None}, {"id": None, "ts": 3000, "a": "x"},
            {"id": "s2", "ts": -1, "a": "y"}, {"id": "s2", "ts": 5000, "a": "buffer"}]
    table = pa.table({"id": pa.array(["s1", "7", None, "s2", "s2"]), "ts": [row["ts"] for row in rows],
                      "a": [row["a"] for row in rows]})
    pq.write_table(table, tmp_path / "events.parquet")
    (number, batch), = parquet_batches(tmp_path / "events.parquet")
    result = decode_parquet(batch, number, "id", "ts", COLUMNS)
    as_json = decoded([orjson.dumps(row | {"id": str(row["id"]) if row["id"] is not None else None}) for row in rows])
    assert list(zip(*(result.table[name].to_pylist() for name in ("key", "time", *COLUMNS)))) == as_json[0]
    assert result.bad == as_json[1] == [(3, 'missing key field "id"'), (4, 'time field "ts" is out of range: -1'
                                        ' (accepted: 0 to 253402300799999 ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)')]


def eval_output(capsys, *args: str) -> tuple[bytes, str]:
    main(["eval", *args])
    captured = capsys.readouterr()
    return captured.out.encode(), captured.err


@pytest.mark.parametrize("spec", ["cirr.yaml", "cirr-by-cdn.yaml", "ten-timelines.yaml"])
def test_eval_writes_the_same_bytes_with_every_engine(spec, capsys):
    columnar, _ = eval_output(capsys, str(EXAMPLES / spec), str(EXAMPLES / "events.jsonl"))
    incremental, _ = eval_output(capsys, str(EXAMPLES / spec), str(EXAMPLES / "events.jsonl"), "--engine", "incremental")
    assert columnar == incremental and columnar


def test_eval_reports_bad_lines_as_before(tmp_path, capsys):
    events = tmp_path / "events.jsonl"
    events.write_bytes((EXAMPLES / "events.jsonl").read_bytes() + (EXAMPLES / "bad-events.jsonl").read_bytes())
    columnar = eval_output(capsys, str(EXAMPLES / "cirr.yaml"), str(events))
    assert columnar == eval_output(capsys, str(EXAMPLES / "cirr.yaml"), str(events), "--engine", "incremental")
    assert columnar[1].count("\n") >= 4


def test_eval_reads_parquet(tmp_path, capsys):
    raw = [orjson.loads(line) for line in (EXAMPLES / "events.jsonl").read_bytes().splitlines() if line.strip()]
    names = dict.fromkeys(name for event in raw for name in event)
    pq.write_table(pa.table({name: [event.get(name) for event in raw] for name in names}), tmp_path / "events.parquet")
    from_parquet, _ = eval_output(capsys, str(EXAMPLES / "cirr.yaml"), str(tmp_path / "events.parquet"))
    assert from_parquet == eval_output(capsys, str(EXAMPLES / "cirr.yaml"), str(EXAMPLES / "events.jsonl"))[0]


def test_parquet_integer_keys_and_timestamps_take_the_short_path(tmp_path):
    table = pa.table({"id": pa.array([7, 8], pa.int64()), "a": [1.5, float("nan")],
                      "ts": pa.array([1000, 2000], pa.timestamp("ms"))})
    pq.write_table(table, tmp_path / "events.parquet")
    (number, batch), = parquet_batches(tmp_path / "events.parquet")
    result = decode_parquet(batch, number, "id", "ts", COLUMNS)
    assert result.bad == []
    assert result.table.to_pylist() == [{"key": "7", "time": 1000, "a": b"1.5", "id": b"7", "ts": b"1000"},
                                        {"key": "8", "time": 2000, "a": None, "id": b"8", "ts": b"2000"}]
