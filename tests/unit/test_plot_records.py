"""`timeline plot` on a job's records: the plotted data are the records."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
from matplotlib import dates

from sessions.generate import generate_sessions
from cli.main import main
from cli.plot import plot_key_records
from cli.plot_metric import plot_metric_records
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import batch
from engine.decode import Event
from engine.incremental import Engine

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec_file(ROOT / "examples" / "cirr-by-cdn.yaml")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    events = [Event(e["sessionId"], e["ts"], e) for e in generate_sessions(30, seed=8, span_ms=600_000, steps=4)]
    return batch.evaluate(Engine(compile_plan(SPEC)), events)


def test_a_key_is_drawn_from_its_change_records(tmp_path, records):
    key = records[0]["key"]
    mine = [r for r in records if r.get("key") == key and r["timeline"] == "cirr"]
    figure = plot_key_records(SPEC, reversed(records), key, tmp_path / "key.png")
    (line,) = figure.axes[0].get_lines()  # no events row: the only row is cirr's
    xs, ys = list(line.get_xdata()), line.get_ydata()
    for record in mine:
        if record["value"] is None:
            continue  # a gap
        at = xs.index(dates.date2num(datetime.fromtimestamp(record["time"] / 1000, tz=timezone.utc)))
        assert ys[at] == record["value"] / 1000


def test_an_aggregate_is_drawn_from_its_records(tmp_path, records):
    aggregates = [r for r in records if "metric" in r]
    figure = plot_metric_records(SPEC, reversed(aggregates), "cirr_by_cdn", tmp_path / "metric.svg")
    count_row = figure.axes[0]
    for line in count_row.get_lines():
        group = [r for r in aggregates if f"cdn={r['group']['cdn']}" == line.get_label()]
        assert list(line.get_ydata()) == [r["count"] for r in sorted(group, key=lambda r: r["time"])]


def test_the_command_reads_a_sink_folder_and_a_records_file(tmp_path, records, capsys):
    (tmp_path / "out" / "changes").mkdir(parents=True)
    (tmp_path / "out" / "aggregates").mkdir()
    changes = [r for r in records if "timeline" in r]
    (tmp_path / "out" / "changes" / "part-0-0.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in changes))
    (tmp_path / "out" / "aggregates" / "part-0-0.jsonl").write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in records if "metric" in r))
    spec = str(ROOT / "examples" / "cirr-by-cdn.yaml")
    main(["plot", spec, str(tmp_path / "out"), "--metric", "cirr_by_cdn", "--out", str(tmp_path / "m.png")])
    main(["plot", spec, str(tmp_path / "out" / "changes" / "part-0-0.jsonl"), "--key", changes[0]["key"],
          "--out", str(tmp_path / "k.png")])
    assert (tmp_path / "m.png").stat().st_size and (tmp_path / "k.png").stat().st_size
    with pytest.raises(SystemExit, match="no change records of cirr for key 'nobody'"):
        main(["plot", spec, str(tmp_path / "out"), "--key", "nobody", "--out", str(tmp_path / "n.png")])
