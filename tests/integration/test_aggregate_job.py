"""The aggregate stage of the Flink job end to end: files and Pulsar, against the reference evaluator."""
from __future__ import annotations

import glob
from pathlib import Path

import orjson
import pytest

from broker.consume import read_topic
from broker.publish import publish
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import batch, reference
from engine.decode import decode_event
from engine.incremental import Engine
from engine.records import aggregate_order, change_order

from .conftest import ROOT, timeline_run
from .test_job import arrivals, pulsar_settings

pytestmark = pytest.mark.flink
SPEC_PATH = ROOT / "examples" / "cirr-by-cdn.yaml"
SPEC = load_spec_file(SPEC_PATH)


def expected_records(events: list[dict]) -> tuple[list[dict], list[dict]]:
    """The change records and the aggregate records of ``events``, checked against the reference evaluator."""
    records = batch.evaluate(Engine(compile_plan(SPEC)), [decode_event(orjson.dumps(e), SPEC.key, SPEC.time)
                                                          for e in events])
    assert records == reference.evaluate(SPEC, events)
    aggregates = [record for record in records if "metric" in record]
    assert len({orjson.dumps(record["group"]) for record in aggregates}) > 1
    assert any(record["count"] > 1 and record["min"] < record["max"] for record in aggregates)
    return [record for record in records if "metric" not in record], aggregates


def read_folder(folder: Path) -> list[dict]:
    return [orjson.loads(line) for path in glob.glob(str(folder / "*.jsonl"))
            for line in Path(path).read_bytes().splitlines()]


def test_file_sink_aggregates_match_the_reference(tmp_path: Path):
    events = arrivals(60, seed=21)
    (tmp_path / "events.jsonl").write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))

    timeline_run("--source", "file:events.jsonl", "--sink", "file:out", "--parallelism", "2",
                 cwd=tmp_path, spec=SPEC_PATH)

    changes, aggregates = expected_records(events)
    assert sorted(read_folder(tmp_path / "out" / "aggregates"), key=aggregate_order) == aggregates
    assert sorted(read_folder(tmp_path / "out" / "changes"), key=change_order) == changes
    assert not read_folder(tmp_path / "out" / "dead-letters")


@pytest.mark.pulsar
def test_pulsar_aggregate_topic_matches_the_reference_in_tick_order(pulsar_url, topic, tmp_path):
    events = arrivals(60, seed=22)
    publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))

    timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                 "--set", "source.pulsar.bounded=true", "--parallelism", "2", *pulsar_settings(pulsar_url),
                 cwd=tmp_path, spec=SPEC_PATH)

    changes, aggregates = expected_records(events)
    written = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out") + "-aggregates",
                                                                idle_seconds=3)]
    assert sorted(written, key=aggregate_order) == aggregates
    last_tick: dict[bytes, int] = {}
    for record in written:  # in topic order
        group = orjson.dumps([record["metric"], record["group"]])
        assert record["time"] > last_tick.get(group, record["time"] - 1), record
        last_tick[group] = record["time"]
    records = [orjson.loads(message) for message in read_topic(pulsar_url, topic("out"), idle_seconds=3)]
    assert sorted(records, key=change_order) == changes
    assert read_topic(pulsar_url, topic("out") + "-dead-letters", idle_seconds=1) == []
