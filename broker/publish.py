"""Publish JSON-lines events to a Pulsar topic, asynchronously and in batches; prints events/s.

    publish.py TOPIC --file events.jsonl
    publish.py TOPIC --generate 2000 --seed 1 [--disorder-ms 1500]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Iterator

import orjson
import pulsar

from sessions.generate import generate_sessions


def payloads(args: argparse.Namespace) -> Iterator[bytes]:
    if args.file:
        with args.file.open("rb") as lines:
            yield from (line.rstrip(b"\n") for line in lines if line.strip())
    else:
        yield from (orjson.dumps(event) for event in
                    generate_sessions(args.generate, args.seed, disorder_ms=args.disorder_ms))


def publish(service_url: str, topic: str, messages: Iterator[bytes], batching: bool = True,
            token: str | None = None) -> int:
    """Send every message, in order, and wait until the broker has them all; returns the count.

    ``batching=False`` stores one message per entry; batched, up to 1,000 messages share one entry.
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
            producer.send_async(message, sent)
        producer.flush()
        producer.close()
    finally:
        client.close()
    if failures:
        raise SystemExit(f"{len(failures)} messages failed: {failures[0]}")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic")
    parser.add_argument("--service-url", default="pulsar://127.0.0.1:6650")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a JSON-lines file")
    source.add_argument("--generate", type=int, metavar="N", help="generate N video sessions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--disorder-ms", type=int, default=0, help="generated arrival disorder")
    args = parser.parse_args()
    started = time.monotonic()
    count = publish(args.service_url, args.topic, payloads(args))
    seconds = time.monotonic() - started
    print(f"published {count} events to {args.topic} in {seconds:.1f}s ({count / seconds:,.0f} events/s)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
