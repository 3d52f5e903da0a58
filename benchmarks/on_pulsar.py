"""The job on Pulsar: throughput from a bounded topic, and latency on a live stream at a fixed rate.

    .venv/bin/python scripts/bench_pulsar.py        # 1M events over 50,000 keys; live: 2,000 events/s for 60 s
    .venv/bin/python scripts/bench_pulsar.py --events 100000 --keys 5000 --seconds 30   # a quick run

Starts a broker (``broker/local.py``) unless ``--service-url`` names one. Throughput:
publishes the generated events to a topic of one partition and to one of ``--partitions`` partitions,
then runs the Java floor, the Python floor and the timeline job on CIRR (``--only``, numbered as in
``bench_job.py``) on each as bounded jobs at parallelism 1, Pulsar source to Pulsar sink, each in a
fresh process. Latency: runs the Python floor and the timeline job
(``--live``) unbounded on a fresh topic each, publishes events at ``--rate`` with their event time
set to the moment they are sent, and measures each change record that an event caused (same key,
same time) from that moment to the record's publish time on the sink topic; events of the first
``--warmup`` seconds, while the job starts, are left out.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Iterator

import orjson
import pulsar

from benchmarks.job import (CIRR, JAVA, PYTHON, TIMELINE, VARIANTS, Variant, child_command, job_spec_text, measure,
                       row, write_events)
from broker.admin import create_partitioned_topic
from broker.local import LocalBroker, local_broker
from broker.publish import publish
from dsl.spec import load_spec_file

DRAIN_S = 10  # after the last event: the watermark bound, the sink's flush, a margin
KEY_FIELD = load_spec_file(CIRR).key  # messages are keyed by it, as producers should


def pulsar_spec_text(variant: Variant, url: str, source: str, sink: str, folder: Path, bounded: bool) -> str:
    return job_spec_text(
        variant,
        {"pulsar": {"service_url": url, "topics": [source], "bounded": bounded, "subscription": uuid.uuid4().hex}},
        {"pulsar": {"service_url": url, "topic": sink}},
        folder / uuid.uuid4().hex)


def throughput(broker: LocalBroker, events: Path, count: int, folder: Path, partitions: int,
               variants: list[Variant]) -> None:
    """Bounded jobs on the events in a topic of one partition, then in one of ``partitions``."""
    for topic_partitions in (1, partitions):
        topic = f"persistent://public/default/bench-{topic_partitions}p-{uuid.uuid4().hex[:8]}"
        if topic_partitions > 1:
            create_partitioned_topic(broker.admin_url, topic, topic_partitions)
        started = time.perf_counter()
        with events.open("rb") as lines:
            publish(broker.service_url, topic, (line.rstrip(b"\n") for line in lines), key_field=KEY_FIELD)
        print(f"published {count:,} events to {topic_partitions} partition(s) in {time.perf_counter() - started:.1f} s",
              flush=True)
        print(f"{f'bounded, {topic_partitions} partition(s)':<36}{'events/s':>12}{'wall s':>10}{'job s':>10}"
              f"{'RSS MiB':>10}")
        rates = {}
        for variant in variants:
            spec = pulsar_spec_text(variant, broker.service_url, topic, f"{topic}-{variant.graph}-out", folder,
                                    bounded=True)
            measurement = measure(variant, spec)
            rates[variant] = count / measurement.job_s
            print(row(variant.label, count, measurement), flush=True)
        if {JAVA, PYTHON, TIMELINE} <= rates.keys():
            print(f"timeline / Python floor {rates[TIMELINE] / rates[PYTHON]:.2f}x, "
                  f"Java floor / timeline {rates[JAVA] / rates[TIMELINE]:.1f}x (events/s)")


def send_at_rate(url: str, topic: str, events: Iterator[dict], rate: int, seconds: float) -> set[tuple[str, int]]:
    """Send ``rate`` events per second for ``seconds``, each with the send time as its ``ts``; their (key, ts)."""
    client = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    producer = client.create_producer(topic, batching_max_publish_delay_ms=1, block_if_queue_full=True)
    sent: set[tuple[str, int]] = set()
    start = time.time()
    try:
        for number, event in enumerate(events):
            due = start + number / rate
            if due > start + seconds:
                break
            if (ahead := due - time.time()) > 0:
                time.sleep(ahead)
            event["ts"] = now = int(time.time() * 1000)
            sent.add((event[KEY_FIELD], now))
            producer.send_async(orjson.dumps(event), None, partition_key=event[KEY_FIELD])
        producer.flush()
    finally:
        client.close()
    return sent


def sink_times(url: str, topic: str, stop: threading.Event, found: list) -> None:
    """Collect ``(key, time, publish time)`` of every record of ``topic`` until ``stop`` is set.

    A record is a change record, or an event passed on by the Python floor (CIRR's fields).
    """
    client = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest)
        while not stop.is_set():
            try:
                message = reader.read_next(timeout_millis=500)
            except pulsar.Timeout:
                continue
            record = orjson.loads(message.data())
            key, at = (record["sessionId"], record["ts"]) if "sessionId" in record else (record["key"], record["time"])
            found.append((key, at, message.publish_timestamp()))
    finally:
        client.close()


def latency(url: str, folder: Path, keys_per_event: float, rate: int, seconds: float, warmup: float,
            variants: list[Variant]) -> None:
    events = folder / "live.jsonl"
    wanted = int(rate * (warmup + seconds))
    write_events(events, wanted, max(1, round(wanted * keys_per_event)))
    print(f"\nlive: {rate:,} events/s for {warmup:.0f} s of warm-up and {seconds:.0f} s measured")
    print(f"{'variant':<36}{'records':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for variant in variants:
        topic = f"persistent://public/default/live-{variant.graph}-{uuid.uuid4().hex[:8]}"
        spec = pulsar_spec_text(variant, url, topic, f"{topic}-out", folder, bounded=False)
        job = subprocess.Popen(child_command(variant, spec), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        stop, found = threading.Event(), []
        reader = threading.Thread(target=sink_times, args=(url, f"{topic}-out", stop, found))
        reader.start()
        try:
            with events.open("rb") as lines:
                sent = send_at_rate(url, topic, map(orjson.loads, lines), rate, warmup + seconds)
            time.sleep(DRAIN_S)
        finally:
            stop.set()
            reader.join()
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
        measured_from = min(at for _, at in sent) + warmup * 1000
        delays = sorted(published - at for key, at, published in found if (key, at) in sent and at >= measured_from)
        if not delays:
            print(f"{variant.label:<36}{'no records':>10}")
            continue
        p50, p99 = statistics.median(delays), delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(f"{variant.label:<36}{len(delays):>10,}{p50:>10,.0f}{p99:>10,.0f}{delays[-1]:>10,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many for throughput")
    parser.add_argument("--keys", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=2_000, help="live input rate, events/s")
    parser.add_argument("--seconds", type=float, default=60, help="live: measured seconds")
    parser.add_argument("--warmup", type=float, default=30, help="live: seconds sent before measuring")
    parser.add_argument("--partitions", type=int, default=4, help="throughput: the partitioned topic's partitions")
    parser.add_argument("--only", default="1,2,3", help="throughput: variants as numbered in bench_job.py")
    parser.add_argument("--live", default="2,3", help="latency: variants as numbered in bench_job.py")
    parser.add_argument("--service-url", help="an existing broker (default: start one)")
    parser.add_argument("--admin-url", default="http://127.0.0.1:8080", help="its admin REST API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pulsar-") as temp:
        folder = Path(temp)
        events = folder / "events.jsonl"
        count = write_events(events, args.events, args.keys)
        print(f"{count:,} events over {args.keys:,} keys ({CIRR.name}), parallelism 1, one run each", flush=True)
        with (nullcontext(LocalBroker(args.service_url, args.admin_url)) if args.service_url
              else local_broker(folder)) as broker:
            throughput(broker, events, count, folder, args.partitions, numbered(args.only))
            latency(broker.service_url, folder, args.keys / count, args.rate, args.seconds, args.warmup,
                    numbered(args.live))


def numbered(numbers: str) -> list[Variant]:
    return [VARIANTS[int(n) - 1] for n in numbers.split(",") if n]


if __name__ == "__main__":
    main()
