"""Read a Pulsar topic from the start until it is idle; print, save or summarise its messages.

    consume.py TOPIC [--idle 5] [--out FILE] [--summary]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pulsar


def read_topic(service_url: str, topic: str, idle_seconds: float, token: str | None = None) -> list[bytes]:
    """Every message of ``topic`` in order, stopping once none arrived for ``idle_seconds``."""
    client = pulsar.Client(service_url, authentication=pulsar.AuthenticationToken(token) if token else None,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest)
        messages = []
        while True:
            try:
                messages.append(reader.read_next(timeout_millis=int(idle_seconds * 1000)).data())
            except pulsar.Timeout:
                return messages
    finally:
        client.close()


def read_present(service_url: str, topic: str, compacted: bool = False) -> list[pulsar.Message]:
    """Every message ``topic`` has now, in order; ``compacted``: its compacted view, the latest message per key."""
    client = pulsar.Client(service_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        reader = client.create_reader(topic, pulsar.MessageId.earliest, is_read_compacted=compacted)
        messages = []
        while reader.has_message_available():
            messages.append(reader.read_next())
        return messages
    finally:
        client.close()


def durations_reached(records: list[dict[str, Any]], timeline: str) -> dict[str, int]:
    """Per key, the largest value a duration timeline reached (it grows at ``rate`` between changes)."""
    reached: dict[str, int] = {}
    last: dict[str, dict[str, Any]] = {}
    for record in sorted((r for r in records if r["timeline"] == timeline), key=lambda r: (r["key"], r["time"])):
        key, previous = record["key"], last.get(record["key"])
        if previous is not None and previous["value"] is not None:
            value = previous["value"] + previous.get("rate", 0) * (record["time"] - previous["time"])
            reached[key] = max(reached.get(key, 0), value)
        last[key] = record
    return reached


def summary(records: list[dict[str, Any]], top: int = 10) -> str:
    lines = [f"{len(records)} change records, {len({r['key'] for r in records})} keys"]
    lines += [f"  {timeline:<16} {count:>8} records"
              for timeline, count in sorted(Counter(r["timeline"] for r in records).items())]
    cirr = durations_reached(records, "cirr")
    if cirr:
        lines.append(f"top {top} sessions by connection-induced rebuffering (cirr):")
        ranked = sorted(cirr.items(), key=lambda item: (-item[1], item[0]))[:top]
        lines += [f"  {key:<12} {value / 1000:8.1f} s" for key, value in ranked]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic")
    parser.add_argument("--service-url", default="pulsar://127.0.0.1:6650")
    parser.add_argument("--idle", type=float, default=5.0, help="stop after this many seconds without messages")
    parser.add_argument("--out", type=Path, help="save the messages as JSON lines")
    parser.add_argument("--summary", action="store_true", help="print a per-timeline summary")
    args = parser.parse_args()
    messages = read_topic(args.service_url, args.topic, args.idle)
    if args.out:
        args.out.write_bytes(b"".join(message + b"\n" for message in messages))
    if args.summary:
        print(summary([orjson.loads(message) for message in messages]))
    elif not args.out:
        sys.stdout.buffer.write(b"".join(message + b"\n" for message in messages))


if __name__ == "__main__":
    main()
