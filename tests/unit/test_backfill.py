"""timeline backfill: the records of timeline eval, from partitions of the keys evaluated by worker processes."""
from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli import backfill
from sessions.generate import generate_sessions
from cli.main import main
from engine.records import change_order

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = ("cirr.yaml", "cirr-by-cdn.yaml")


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> Path:
    """Generated sessions with bad lines among them, in more than one piece."""
    path = tmp_path_factory.mktemp("input") / "events.jsonl"
    lines = [orjson.dumps(event) for event in generate_sessions(60, 4, 3_600_000, 10, 0)]
    for at in (3, 250, len(lines) - 2):
        lines.insert(at, b'{"sessionId": "broken", "ts": "soon"}')
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def eval_output(capsys, spec: str, events: Path) -> tuple[list[bytes], list[bytes], str]:
    """timeline eval's change lines, aggregate lines and stderr."""
    main(["eval", str(EXAMPLES / spec), str(events)])
    captured = capsys.readouterr()
    lines = captured.out.encode().splitlines(keepends=True)
    changes = [line for line in lines if line.startswith(b'{"key"')]
    return changes, lines[len(changes):], captured.err


def merged_parts(folder: Path) -> list[bytes]:
    """The lines of every part file, in timeline eval's order (each part is in it already)."""
    lines = [line for part in sorted(folder.glob("part-*.jsonl")) for line in part.read_bytes().splitlines(keepends=True)]
    return sorted(lines, key=lambda line: change_order(orjson.loads(line)))


@pytest.mark.parametrize("spec", SPECS)
def test_backfill_writes_the_records_of_eval(spec, events, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backfill, "PIECE_BYTES", 40_000)  # several pieces: line numbers go on across them
    changes, aggregates, bad_lines = eval_output(capsys, spec, events)
    main(["backfill", str(EXAMPLES / spec), str(events), "--out", str(tmp_path / "out"), "--workers", "2",
          "--partitions", "3"])
    err = capsys.readouterr().err
    parts = sorted((tmp_path / "out" / "changes").glob("part-*.jsonl"))
    assert len(parts) == 3
    for part in parts:  # each part in eval's order
        lines = part.read_bytes().splitlines(keepends=True)
        assert lines == sorted(lines, key=lambda line: change_order(orjson.loads(line)))
    assert merged_parts(tmp_path / "out" / "changes") == changes
    assert (tmp_path / "out" / "aggregates.jsonl").read_bytes().splitlines(keepends=True) == aggregates \
        if aggregates else not (tmp_path / "out" / "aggregates.jsonl").exists()
    assert [line for line in err.splitlines() if "time field" in line] == bad_lines.splitlines()
    assert len(bad_lines.splitlines()) == 3 and "backfill: " in err


def test_backfill_reads_and_writes_parquet(events, tmp_path, capsys):
    changes, aggregates, _ = eval_output(capsys, "cirr-by-cdn.yaml", events)
    raw = [orjson.loads(line) for line in events.read_bytes().splitlines() if b"soon" not in line]
    names = dict.fromkeys(name for event in raw for name in event)
    folder = tmp_path / "parquet"
    folder.mkdir()
    for half, rows in enumerate((raw[:len(raw) // 2], raw[len(raw) // 2:])):  # a folder of two files, in name order
        pq.write_table(pa.table({name: [event.get(name) for event in rows] for name in names}), folder / f"{half}.parquet")
    main(["backfill", str(EXAMPLES / "cirr-by-cdn.yaml"), str(folder), "--out", str(tmp_path / "out"),
          "--format", "parquet", "--workers", "2"])
    written = pa.concat_tables([pq.read_table(part) for part in sorted((tmp_path / "out" / "changes" / "cirr").iterdir())])
    assert written.schema.names == ["key", "time", "value", "rate"]
    assert written.schema.field("value").type == pa.int64()
    records = sorted(({"key": row["key"], "timeline": "cirr", "time": row["time"], "value": row["value"],
                       "rate": row["rate"]} for row in written.to_pylist()), key=change_order)
    assert [orjson.dumps(record) + b"\n" for record in records] == changes
    metrics = pq.read_table(tmp_path / "out" / "aggregates.parquet").to_pylist()
    assert [orjson.dumps({"metric": row["metric"], "group": orjson.loads(row["group"]), "time": row["time"],
                          **{name: row[name] for name in ("count", "sum", "avg", "min", "max")}}) + b"\n"
            for row in metrics] == aggregates


def test_partitions_follow_the_input_size(monkeypatch, events):
    monkeypatch.setattr(backfill, "PIECE_BYTES", 40_000)
    pieces = backfill.pieces_of([events])
    assert len(pieces) > 2 and pieces[0].start == 0 and pieces[-1].stop == events.stat().st_size
    assert all(before.stop == after.start for before, after in zip(pieces, pieces[1:]))
    keys = pa.array(["a", "b", "a", "ключ"])
    assert backfill.partition_of(keys, 7).tolist() == backfill.partition_of(keys, 7).tolist()
    assert backfill.partition_of(keys, 7)[0] == backfill.partition_of(keys, 7)[2]


def test_parquet_is_split_at_row_groups_and_partitioned_by_its_rows(tmp_path, capsys, monkeypatch):
    """A Parquet file of many small row groups: pieces of whole groups, a bad row numbered in its file, and as
    many partitions as its rows ask for, though the file is small."""
    rows = [{"sessionId": f"s{n % 50}", "ts": 1_700_000_000_000 + n, "playerStateChange": "play"} for n in range(3000)]
    rows[2345]["ts"] = -1
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=100)
    monkeypatch.setattr(backfill, "PIECE_BYTES", 4 * pq.ParquetFile(path).metadata.row_group(0).total_byte_size)
    monkeypatch.setattr(backfill, "PARTITION_EVENTS", 500)

    pieces = backfill.pieces_of([path])
    assert len(pieces) > 3 and sum(piece.events for piece in pieces) == 3000
    assert [piece.first_row for piece in pieces] == [1 + sum(p.events for p in pieces[:n]) for n in range(len(pieces))]
    assert all(before.stop == after.start for before, after in zip(pieces, pieces[1:]))
    main(["backfill", str(EXAMPLES / "cirr.yaml"), str(path), "--out", str(tmp_path / "out"), "--workers", "2"])
    err = capsys.readouterr().err
    assert f'{path}:2346: time field "ts" is out of range' in err and "2,999 events (1 bad line) in 6 partitions" in err
    assert len(list((tmp_path / "out" / "changes").glob("part-*.jsonl"))) == 6


def test_backfill_wants_an_empty_folder(events, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(SystemExit, match="not an empty folder"):
        main(["backfill", str(EXAMPLES / "cirr.yaml"), str(events), "--out", str(tmp_path / "out")])
