"""Keyed output: message keys, key-hash routing to a partitioned topic, per-key order, topic compaction, Key_Shared."""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable

import orjson
import pulsar
import pytest

from broker.admin import compact, create_partitioned_topic
from broker.consume import read_present
from broker.publish import publish
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import batch
from engine.decode import decode_event
from engine.incremental import Engine

from .conftest import ROOT, timeline_run
from .test_job import arrivals, pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]
SPEC_PATH = ROOT / "examples" / "cirr-by-cdn.yaml"
SPEC = load_spec_file(SPEC_PATH)
PARTITIONS = 4


def partitions(topic: str) -> list[str]:
    return [f"{topic}-partition-{index}" for index in range(PARTITIONS)]


def key_of(record: dict) -> str:
    """The message key the job gives a record: the entity key, or the aggregate's compact ``[metric,group]``."""
    return orjson.dumps([record["metric"], record["group"]]).decode() if "metric" in record else record["key"]


def series_of(record: dict) -> tuple:
    """What the job keeps in time order: a key's timeline, or an aggregate's group."""
    return (record["metric"], orjson.dumps(record["group"])) if "metric" in record else (record["key"],
                                                                                         record["timeline"])


def by(records: list[dict], what: Callable[[dict], object]) -> dict[object, list[dict]]:
    grouped = defaultdict(list)
    for record in records:
        grouped[what(record)].append(record)
    return dict(grouped)


def check_keyed_partitions(url: str, topic: str, expected: list[dict]) -> list[dict]:
    """Each message keyed by its record, each key in one partition, each series in ``expected``'s order.

    Returns the records in the order of the partitions, one after the other.
    """
    partition_of: dict[str, str] = {}
    written = []
    for partition in partitions(topic):
        for message in read_present(url, partition):
            record = orjson.loads(message.data())
            assert message.partition_key() == key_of(record), record
            assert partition_of.setdefault(key_of(record), partition) == partition, f"{key_of(record)} in two"
            written.append(record)
    assert by(written, series_of) == by(expected, series_of)
    assert len(set(partition_of.values())) > 1, "the keys are not spread over the partitions"
    return written


def check_compacted(url: str, admin_url: str, topic: str, written: list[dict]) -> None:
    """After compaction, a compacted read of each partition has exactly the latest record of each key."""
    latest = {key_of(record): record for record in written}
    compacted = []
    for partition in partitions(topic):
        compact(admin_url, partition)
        # the Python client also returns a batch's compacted-out messages, without key and payload; Java skips them
        compacted += [orjson.loads(message.data()) for message in read_present(url, partition, compacted=True)
                      if message.data() or message.partition_key()]
    assert len(compacted) == len(latest)
    assert {key_of(record): record for record in compacted} == latest


def test_keyed_output_to_partitioned_topics_keeps_key_order_and_compacts(pulsar_url, pulsar_broker, topic,
                                                                         tmp_path):
    events = arrivals(300, seed=41)
    publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))
    changes_topic, aggregates_topic = topic("out"), topic("out") + "-aggregates"
    for partitioned in (changes_topic, aggregates_topic):
        create_partitioned_topic(pulsar_broker.admin_url, partitioned, PARTITIONS)

    timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{changes_topic}",
                 "--set", "source.pulsar.bounded=true", "--parallelism", "2", *pulsar_settings(pulsar_url),
                 cwd=tmp_path, spec=SPEC_PATH)

    # what `timeline eval` prints: changes sorted by (key, timeline, time), then aggregates by (metric, group, time)
    records = batch.evaluate(Engine(compile_plan(SPEC)), [decode_event(orjson.dumps(event), SPEC.key, SPEC.time)
                                                          for event in events])
    changes = [record for record in records if "metric" not in record]
    aggregates = [record for record in records if "metric" in record]
    assert len({record["key"] for record in changes}) == 300 and len(by(aggregates, key_of)) > 1
    for written_topic, expected in ((changes_topic, changes), (aggregates_topic, aggregates)):
        written = check_keyed_partitions(pulsar_url, written_topic, expected)
        check_compacted(pulsar_url, pulsar_broker.admin_url, written_topic, written)


def test_key_shared_consumers_get_each_key_whole_and_in_order_without_batching(pulsar_url, topic, tmp_path):
    """``sink.pulsar.batching: false``: two Key_Shared consumers, subscribed before the job writes, share the
    keys; each key's records all reach one of them, in the job's order."""
    events = arrivals(100, seed=43)
    publish(pulsar_url, topic("in"), (orjson.dumps(event) for event in events))
    client = pulsar.Client(pulsar_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        consumers = [client.subscribe(topic("out"), "key-shared", consumer_type=pulsar.ConsumerType.KeyShared)
                     for _ in range(2)]
        timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                     "--set", "source.pulsar.bounded=true", "--set", "sink.pulsar.batching=false",
                     "--parallelism", "2", *pulsar_settings(pulsar_url), cwd=tmp_path, spec=SPEC_PATH)
        received = drain(consumers)
    finally:
        client.close()

    expected = [record for record in batch.evaluate(Engine(compile_plan(SPEC)), [
        decode_event(orjson.dumps(event), SPEC.key, SPEC.time) for event in events]) if "metric" not in record]
    keys = [set(by(records, key_of)) for records in received]
    assert keys[0] and keys[1] and not keys[0] & keys[1], "each key at exactly one consumer, both used"
    assert by(received[0] + received[1], series_of) == by(expected, series_of)


def drain(consumers: list[pulsar.Consumer], idle_s: float = 3.0) -> list[list[dict]]:
    """The records each consumer receives, taken in turns, until none comes for ``idle_s``; acknowledged."""
    received: list[list[dict]] = [[] for _ in consumers]
    last = time.monotonic()
    while time.monotonic() - last < idle_s:
        for consumer, records in zip(consumers, received):
            try:
                message = consumer.receive(100)
            except pulsar.Timeout:
                continue
            consumer.acknowledge(message)
            records.append(orjson.loads(message.data()))
            last = time.monotonic()
    return received
