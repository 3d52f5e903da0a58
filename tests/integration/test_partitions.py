"""Partitioned topics: each partition has its own event time, the least of them counts, at parallelism 1 and 2."""
from __future__ import annotations

import glob
import time
import zlib
from pathlib import Path

import orjson
import pytest

from broker.admin import create_partitioned_topic
from broker.consume import read_present, read_topic
from broker.publish import publish
from sessions.generate import generate_sessions
from engine.records import change_order
from jobs.config import PulsarSourceConfig
from jobs.preflight import unkeyed_partitions

from .conftest import FLUSH_KEY, flush_event, hold_topic, read_until_complete, start_timeline_run, stop_job, \
    timeline_run
from .test_job import BOUND_MS, IDLE_ADVANCE, expected_records, pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]
PARTITIONS = 4


def sessions(count: int, seed: int) -> list[dict]:
    return list(generate_sessions(count, seed, span_ms=600_000, disorder_ms=BOUND_MS - 500))


def partition_of(event: dict) -> int:
    """The partition a producer keying by session would choose (a stable hash of the key)."""
    return zlib.crc32(event["sessionId"].encode()) % PARTITIONS


def written_changes(out: Path) -> list[dict]:
    return sorted((orjson.loads(line) for path in glob.glob(str(out / "changes" / "*.jsonl"))
                   for line in Path(path).read_bytes().splitlines()), key=change_order)


def dead_letters(out: Path) -> list[dict]:
    return [orjson.loads(line) for path in glob.glob(str(out / "dead-letters" / "*.jsonl"))
            for line in Path(path).read_bytes().splitlines()]


@pytest.mark.parametrize("parallelism", [1, 2])
@pytest.mark.parametrize("idle_option", [(), IDLE_ADVANCE], ids=["", "advance-when-idle"])
def test_a_bounded_read_of_a_partitioned_topic_equals_the_batch_evaluation(pulsar_broker, topic, tmp_path,
                                                                           parallelism, idle_option):
    """A producer with default settings (batching on, round robin): each partition's events are in time order
    only within the bound, and the partitions are read at their own pace."""
    events = sessions(400, seed=9)
    create_partitioned_topic(pulsar_broker.admin_url, topic("in"), PARTITIONS)
    publish(pulsar_broker.service_url, topic("in"), (orjson.dumps(event) for event in events))

    done = timeline_run("--source", f"pulsar:{topic('in')}", "--sink", "file:out", "--parallelism", str(parallelism),
                        "--set", "source.pulsar.bounded=true",
                        "--set", f"source.pulsar.service_url={pulsar_broker.service_url}", *idle_option, cwd=tmp_path)

    assert dead_letters(tmp_path / "out") == []
    assert written_changes(tmp_path / "out") == expected_records(events)
    assert done.stderr.count(f"timeline run: warning: topic {topic('in')} has 4 partitions and its messages carry"
                             " no key") == 1


def test_a_bounded_read_finishes_when_partitions_are_empty(pulsar_broker, topic, tmp_path):
    events = sessions(60, seed=10)
    create_partitioned_topic(pulsar_broker.admin_url, topic("in"), PARTITIONS)
    publish(pulsar_broker.service_url, f"{topic('in')}-partition-2", (orjson.dumps(event) for event in events))

    timeline_run("--source", f"pulsar:{topic('in')}", "--sink", "file:out", "--parallelism", "2",
                 "--set", "source.pulsar.bounded=true", "--set", f"source.pulsar.service_url={pulsar_broker.service_url}",
                 cwd=tmp_path)

    assert written_changes(tmp_path / "out") == expected_records(events)


def test_a_bounded_read_includes_a_last_entry_of_one_batched_message(pulsar_broker, topic, tmp_path):
    """A batching producer that sends its last message alone: the broker names that entry's message with
    batch index -1, the consumer receives it with index 0, and the read must still end after it."""
    events = sessions(40, seed=12)
    for part in (events[:-1], events[-1:]):
        publish(pulsar_broker.service_url, topic("in"), (orjson.dumps(event) for event in part))

    timeline_run("--source", f"pulsar:{topic('in')}", "--sink", "file:out",
                 "--set", "source.pulsar.bounded=true", "--set", f"source.pulsar.service_url={pulsar_broker.service_url}",
                 cwd=tmp_path)

    assert written_changes(tmp_path / "out") == expected_records(events)


def test_a_partition_published_late_holds_event_time_back(pulsar_broker, topic, tmp_path):
    """Keyed producers: partition 3's events arrive 10 s after the others' (within the idle timeout); none
    of them is late."""
    url = pulsar_broker.service_url
    events = sessions(200, seed=11)
    flush_time = flush_event(events)["ts"]
    create_partitioned_topic(pulsar_broker.admin_url, topic("in"), PARTITIONS)
    hold_topic(url, topic("in"), "timeline-video_qoe")
    job = start_timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                             "--parallelism", "2", *pulsar_settings(url), cwd=tmp_path)
    try:
        for partition in range(PARTITIONS):
            if partition == PARTITIONS - 1:
                time.sleep(10)
            flush = {"sessionId": f"{FLUSH_KEY}-{partition}", "ts": flush_time}
            publish(url, f"{topic('in')}-partition-{partition}",
                    (orjson.dumps(event) for event in [*events, flush] if partition_of(event) == partition
                     or event is flush))
        expected = expected_records(events)
        records = read_until_complete(url, topic("out"), expected)
    finally:
        stop_job(job)
    assert sorted((r for r in records if not r["key"].startswith(FLUSH_KEY)), key=change_order) == expected
    assert read_topic(url, topic("out") + "-dead-letters", idle_seconds=1) == []


def test_publishing_keyed_puts_each_key_in_one_partition_in_the_order_sent(pulsar_broker, topic):
    events = sessions(100, seed=13)
    create_partitioned_topic(pulsar_broker.admin_url, topic("in"), PARTITIONS)
    publish(pulsar_broker.service_url, topic("in"), (orjson.dumps(event) for event in events), key_field="sessionId")

    partitions_of, received = {}, {}
    for partition in range(PARTITIONS):
        for message in read_present(pulsar_broker.service_url, f"{topic('in')}-partition-{partition}"):
            event = orjson.loads(message.data())
            assert message.partition_key() == event["sessionId"]
            partitions_of.setdefault(event["sessionId"], set()).add(partition)
            received.setdefault(event["sessionId"], []).append(event)
    assert all(len(partitions) == 1 for partitions in partitions_of.values())
    assert len(set().union(*partitions_of.values())) > 1  # the keys are spread over the partitions
    sent = {}
    for event in events:
        sent.setdefault(event["sessionId"], []).append(event)
    assert received == sent


def test_a_partitioned_topic_without_message_keys_is_found_before_the_job_starts(pulsar_broker, topic):
    events = sessions(20, seed=14)
    source = lambda name: PulsarSourceConfig(pulsar_broker.service_url, (topic(name),), None,  # noqa: E731
                                             "timeline-video_qoe", "earliest", bounded=True)
    for name, key_field in (("unkeyed", None), ("keyed", "sessionId"), ("one-partition", None)):
        if name != "one-partition":
            create_partitioned_topic(pulsar_broker.admin_url, topic(name), PARTITIONS)
        publish(pulsar_broker.service_url, topic(name), (orjson.dumps(event) for event in events), key_field=key_field)

    assert unkeyed_partitions(source("unkeyed")).startswith(f"topic {topic('unkeyed')} has 4 partitions and its"
                                                           " messages carry no key")
    assert unkeyed_partitions(source("keyed")) is None
    assert unkeyed_partitions(source("one-partition")) is None  # one partition keeps every key's order
