"""Backfill throughput and memory: ``timeline backfill`` beside a DuckDB query and the Flink streaming job.

    .venv/bin/python scripts/bench_backfill.py                       # 150,000 sessions, about 3.1M events
    .venv/bin/python scripts/bench_backfill.py --sessions 600000     # about 12.6M events
    .venv/bin/python scripts/bench_backfill.py --sessions 300 --no-flink   # a quick check that it runs

Generates ``timeline generate --sessions N --seed 4`` once, as JSON lines and
as Parquet, then runs each variant once in a child process on all cores and
prints its events/s (events over the child's wall time, start-up included),
wall time and peak RSS of the child's process tree (sampled from /proc every
0.2 s, worker processes and the JVM included):

- the DuckDB query for the final CIRR of every session (its run), the SQL a user
  would write: breakpoints per run, ASOF joins for the state at each
  (DuckDB is a benchmark-only dependency: ``pip install -e '.[bench]'``);
- ``timeline backfill`` of CIRR alone and of ``examples/cirr.yaml``'s four outputs,
  JSON lines and Parquet in, JSON lines out;
- the Flink BATCH job (``jobs/backfill.py``) and the streaming job (``benchmarks.job``), CIRR alone, file
  to file, parallelism 1, unless ``--no-flink``: events/s of the time inside Flink.

It checks that DuckDB's final CIRR of every run equals the one read off
``timeline backfill``'s records (the value of the last record before the run's end).
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from benchmarks.job import TIMELINE, file_spec_text, measure, run_sampled
from sessions.generate import generate_sessions

ROOT = Path(__file__).resolve().parents[1]
CIRR_SPEC = ROOT / "examples" / "cirr.yaml"
TIMELINE_COMMAND = Path(sys.executable).with_name("timeline")
TIMEOUT_MS, SEEK_WINDOW_MS = 1_800_000, 5_000  # examples/cirr.yaml: session_timeout and the seek window

FINAL_CIRR_SQL = """
CREATE TEMP TABLE ev AS
SELECT sessionId AS k, ts AS t, playerStateChange AS psc, userAction AS ua, row_number() OVER () AS seq
FROM read_json('{events}', format = 'newline_delimited',
               columns = {{sessionId: 'VARCHAR', ts: 'BIGINT', playerStateChange: 'VARCHAR', userAction: 'VARCHAR'}});

WITH ordered AS (
  SELECT *, coalesce(t - lag(t) OVER (PARTITION BY k ORDER BY t, seq) > {timeout}, false)::INT AS cut FROM ev),
numbered AS (
  SELECT *, sum(cut) OVER (PARTITION BY k ORDER BY t, seq ROWS UNBOUNDED PRECEDING) AS run FROM ordered),
runs AS (SELECT k, run, max(t) + {timeout} AS e FROM numbered GROUP BY k, run),
after AS (
  SELECT k, run, t, last_value(psc IGNORE NULLS) OVER w AS state, bool_or(psc = 'play') OVER w AS played,
         max(CASE WHEN ua = 'seek' THEN t END) OVER w AS last_seek,
         row_number() OVER (PARTITION BY k, run, t ORDER BY seq DESC) AS last_at_t
  FROM numbered WINDOW w AS (PARTITION BY k, run ORDER BY t, seq ROWS UNBOUNDED PRECEDING)),
instants AS (SELECT * EXCLUDE (last_at_t) FROM after WHERE last_at_t = 1),
breaks AS (
  SELECT k, run, t FROM instants
  UNION
  SELECT n.k, n.run, n.t + {window} FROM numbered n JOIN runs r USING (k, run) WHERE n.ua = 'seek' AND n.t + {window} < r.e),
states AS (
  SELECT b.k, b.run, b.t, i.state, i.played, i.last_seek
  FROM breaks b ASOF JOIN instants i ON b.k = i.k AND b.run = i.run AND b.t >= i.t),
spans AS (
  SELECT s.*, coalesce(lead(s.t) OVER (PARTITION BY s.k, s.run ORDER BY s.t), r.e) - s.t AS length
  FROM states s JOIN runs r USING (k, run))
SELECT k, run, sum(CASE WHEN coalesce(played, false) AND state = 'buffer'
                        AND NOT coalesce(t < last_seek + {window}, false) THEN length ELSE 0 END)::BIGINT AS cirr
FROM spans GROUP BY k, run
"""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss: int
    stderr: str = ""


def run_measured(command: list[str]) -> Measured:
    """Run ``command``, sampling the RSS of its process tree; fails loudly if it fails."""
    _, stderr, wall, peak = run_sampled(command, " ".join(command))
    return Measured(wall, peak, stderr)


def write_inputs(folder: Path, sessions: int) -> tuple[Path, Path, int]:
    """The generated events as JSON lines and as a folder of Parquet files; their count."""
    events, parquet = folder / "events.jsonl", folder / "events-parquet"
    parquet.mkdir()
    count, rows = 0, []
    with events.open("wb") as lines:
        for event in generate_sessions(sessions, 4):
            lines.write(orjson.dumps(event) + b"\n")
            rows.append(event)
            count += 1
            if len(rows) == 1_000_000:
                _write_parquet(rows, parquet / f"{count:012d}.parquet")
                rows = []
    if rows:
        _write_parquet(rows, parquet / f"{count:012d}.parquet")
    return events, parquet, count


def _write_parquet(rows: list[dict], path: Path) -> None:
    names = dict.fromkeys(name for row in rows for name in row)
    pq.write_table(pa.table({name: [row.get(name) for row in rows] for name in names}), path)


def duckdb_final_cirr(events: Path, result: Path) -> None:
    """(In a child process.) The final CIRR of every run by the DuckDB query, written as JSON."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(FINAL_CIRR_SQL.split(";")[0].format(events=events, timeout=TIMEOUT_MS, window=SEEK_WINDOW_MS))
    rows = connection.execute(FINAL_CIRR_SQL.split(";", 1)[1].format(
        events=events, timeout=TIMEOUT_MS, window=SEEK_WINDOW_MS)).fetchall()
    result.write_bytes(orjson.dumps({f"{key}/{run}": cirr for key, run, cirr in rows}))


def final_cirr_of_records(folder: Path) -> dict[str, int]:
    """The final CIRR of every run, read off ``timeline backfill``'s change records (key/run number)."""
    finals: dict[str, int] = {}
    runs: dict[str, int] = {}
    previous: dict[str, dict] = {}
    for part in sorted(folder.glob("part-*.jsonl")):
        for line in part.read_bytes().splitlines():
            record = orjson.loads(line)
            if record["timeline"] != "cirr":
                continue
            key = record["key"]
            if record["value"] is None:
                last = previous[key]
                run = runs.get(key, 0)
                finals[f"{key}/{run}"] = last["value"] + last["rate"] * (record["time"] - last["time"])
                runs[key] = run + 1
            previous[key] = record
    return finals


def spec_with_outputs(folder: Path, outputs: tuple[str, ...] | None, name: str) -> Path:
    spec = yaml.safe_load(CIRR_SPEC.read_text())
    if outputs:
        spec["outputs"] = list(outputs)
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def row(label: str, count: int, measured: Measured, job_s: float | None = None) -> str:
    seconds = job_s or measured.wall_s
    job = f"{job_s:>10.1f}" if job_s else f"{'':>10}"
    return f"{label:<44}{count / seconds:>12,.0f}{measured.wall_s:>10.1f}{job}{measured.peak_rss / 2**20:>10,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=150_000, help="generated sessions (150,000: about 3.1M events)")
    parser.add_argument("--no-flink", action="store_true", help="leave the Flink job out")
    parser.add_argument("--duckdb-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_child:
        duckdb_final_cirr(*args.duckdb_child)
        return
    try:
        import duckdb  # noqa: F401
    except ImportError:
        raise SystemExit("DuckDB is missing: .venv/bin/python -m pip install -e '.[bench]'") from None
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as temp:
        folder = Path(temp)
        events, parquet, count = write_inputs(folder, args.sessions)
        print(f"{count:,} events of {args.sessions:,} sessions (timeline generate --sessions {args.sessions} --seed 4),"
              " each variant once, on all cores unless said", flush=True)
        print(f"{'variant':<44}{'events/s':>12}{'wall s':>10}{'job s':>10}{'RSS MiB':>10}")
        cirr_only = spec_with_outputs(folder, ("cirr",), "cirr-only.yaml")
        duckdb_result = folder / "duckdb.json"
        measured = run_measured([sys.executable, "-m", __name__, "--duckdb-child", str(events), str(duckdb_result)])
        print(row("DuckDB query, final CIRR per session", count, measured), flush=True)
        for label, spec, source in (("backfill, CIRR, JSON lines", cirr_only, events),
                                    ("backfill, CIRR, Parquet", cirr_only, parquet),
                                    ("backfill, cirr.yaml (4 outputs), JSON lines", CIRR_SPEC, events),
                                    ("backfill, cirr.yaml (4 outputs), Parquet", CIRR_SPEC, parquet)):
            out = folder / f"out-{label.replace(' ', '').replace(',', '-')}"
            measured = run_measured([str(TIMELINE_COMMAND), "backfill", str(spec), str(source), "--out", str(out)])
            print(row(label, count, measured), flush=True)
            if spec == cirr_only and source == events:
                print(check_duckdb(duckdb_result, out / "changes"), flush=True)
        if not args.no_flink:
            measured = run_measured([sys.executable, "-m", "jobs.backfill", "--spec", str(cirr_only), "--source",
                                     f"file:{events}", "--sink", f"file:{folder / 'out-batch'}", "--parallelism", "1"])
            job_s = float(re.search(r"finished: ([0-9.]+)s in Flink", measured.stderr).group(1))
            print(row("Flink BATCH job, CIRR, p=1", count, measured, job_s), flush=True)
            streaming = measure(TIMELINE, file_spec_text(TIMELINE, events, folder / "out-streaming"))
            print(row("Flink streaming job, CIRR, p=1", count, Measured(streaming.wall_s, streaming.peak_rss),
                      streaming.job_s), flush=True)
            print(check_batch_job(folder / "out-batch" / "changes", folder / "out-streaming" / "changes"), flush=True)


def check_batch_job(batch: Path, streaming: Path) -> str:
    lines = [sorted(line for part in folder.rglob("part-*") for line in part.read_bytes().splitlines())
             for folder in (batch, streaming)]
    if lines[0] == lines[1]:
        return f"  the BATCH job wrote the streaming job's {len(lines[1]):,} change records"
    return f"  MISMATCH: the BATCH job wrote {len(lines[0]):,} change records, the streaming job {len(lines[1]):,}"


def check_duckdb(duckdb_result: Path, changes: Path) -> str:
    expected = final_cirr_of_records(changes)
    actual = orjson.loads(duckdb_result.read_bytes())
    if actual == expected:
        return f"  DuckDB's final CIRR equals backfill's for all {len(expected):,} runs"
    differing = sum(1 for run in expected.keys() | actual.keys() if expected.get(run) != actual.get(run))
    return f"  MISMATCH: DuckDB's final CIRR differs from backfill's for {differing:,} of {len(expected):,} runs"


if __name__ == "__main__":
    main()
