"""Publish JSON-lines events to a Pulsar topic, asynchronously and in batches; prints events/s.

    publish.py TOPIC --file events.jsonl --key-field sessionId
    publish.py TOPIC --generate 2000 --seed 1 [--disorder-ms 1500] --key-field sessionId

With ``--key-field`` each message's key is its event's entity key, so that on a partitioned topic all
events of a key go to one partition, in the order sent (the job reads each partition in order; without a
key, same-instant events of one key in different partitions can come out of order).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Iterator

import orjson
import pulsar

from engine.events import BadEvent, event_key
from sessions.generate import generate_sessions


def payloads(args: argparse.Namespace) -> Iterator[bytes]:
    if args.file:
        with args.file.open("rb") as lines:
            yield from (line.rstrip(b"\n") for line in lines if line.strip())
    else:
        yield from (orjson.dumps(event) for event in
                    generate_sessions(args.generate, args.seed, disorder_ms=args.disorder_ms))


def publish(service_url: str, topic: str, messages: Iterator[bytes], batching: bool = True,
            token: str | None = None, key_field: str | None = None) -> int:
    """Send every message, in order, and wait until the broker has them all; returns the count.

    ``batching=False`` stores one message per entry; batched, up to 1,000 messages share one entry. With
    ``key_field``, each message is keyed by its event's key (:func:`message_key`), which routes it.
    """
    client = pulsar.Client(service_url, authentication=pulsar.AuthenticationToken(token) if token else None,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    failures: list[pulsar.Result] = []
    try:
        producer = client.create_producer(topic, batching_enabled=batching, batching_max_messages=1000,
                                          batching_max_publish_delay_ms=5, block_if_queue_full=True)

        def sent(result: pulsar.Result, _message_id) -> None:
            if result != pulsar.Result.Ok:
                failures.append(result)

        count = 0
        for count, message in enumerate(messages, start=1):
            producer.send_async(message, sent, partition_key=message_key(message, key_field) if key_field else None)
        producer.flush()
        producer.close()
    finally:
        client.close()
    if failures:
        raise SystemExit(f"{len(failures)} messages failed: {failures[0]}")
    return count


def message_key(payload: bytes, key_field: str) -> str | None:
    """The event's key as the job reads it (:func:`engine.events.event_key`); None for a payload without one,
    which the job sends to its dead letters."""
    try:
        fields = orjson.loads(payload)
        return event_key(fields, key_field) if isinstance(fields, dict) else None
    except (orjson.JSONDecodeError, BadEvent):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic")
    parser.add_argument("--service-url", default="pulsar://127.0.0.1:6650")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a JSON-lines file")
    source.add_argument("--generate", type=int, metavar="N", help="generate N video sessions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--disorder-ms", type=int, default=0, help="generated arrival disorder")
    parser.add_argument("--key-field", metavar="FIELD",
                        help="key each message by this field of its event (the spec's key), e.g. sessionId")
    args = parser.parse_args()
    started = time.monotonic()
    count = publish(args.service_url, args.topic, payloads(args), key_field=args.key_field)
    seconds = time.monotonic() - started
    print(f"published {count} events to {args.topic} in {seconds:.1f}s ({count / seconds:,.0f} events/s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
