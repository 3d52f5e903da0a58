"""``timeline tail``: a live terminal view of a job's output.

Change records give the current value of every timeline per key; a numeric
one advances at its rate with the stream's clock (the latest record time
seen, moved on by the wall-clock time since it arrived). Aggregate records
give one table per metric with each group's latest tick.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from changestream.timelines import Timelines, value_of
from dsl.render import plain_value

CLEAR = "\x1b[H\x1b[2J"


class TailView:
    """The records seen so far and the screen they make."""

    def __init__(self, keys: set[str] | None = None, timelines: set[str] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.keys, self.timelines = keys, timelines
        self.changes = Timelines()
        self.aggregates: dict[str, dict[str, dict[str, Any]]] = {}  # metric -> group label -> latest record
        self.latest_time: int | None = None
        self.seen_at = 0.0
        self.clock = clock

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            if "metric" in record:
                label = ", ".join(f"{c}={plain_value(v)}" for c, v in record["group"].items()) or "all keys"
                held = self.aggregates.setdefault(record["metric"], {})
                if label not in held or held[label]["time"] <= record["time"]:
                    held[label] = record
            elif self._wanted(record):
                self.changes.add(record)
            else:
                continue
            if self.latest_time is None or record["time"] > self.latest_time:
                self.latest_time, self.seen_at = record["time"], self.clock()

    def _wanted(self, record: dict[str, Any]) -> bool:
        return (self.keys is None or record["key"] in self.keys) and \
            (self.timelines is None or record["timeline"] in self.timelines)

    def now(self) -> int | None:
        """The stream's clock: the latest record time, moved on by the wall-clock time since it arrived."""
        if self.latest_time is None:
            return None
        return self.latest_time + int((self.clock() - self.seen_at) * 1000)

    def screen(self) -> str:
        now = self.now()
        if now is None:
            return "waiting for records ..."
        lines = [f"at {_time(now)}   {len(self.changes.keys())} keys"]
        names = self.changes.timelines()
        if names:
            width = max(6, *(len(key) for key in self.changes.keys()))
            lines.append(f"{'key':<{width}}  " + "  ".join(f"{name:>16}" for name in names))
            for key in self.changes.keys():
                cells = [_cell(self.changes.latest(key, name), now) for name in names]
                lines.append(f"{key:<{width}}  " + "  ".join(f"{cell:>16}" for cell in cells))
        for metric, groups in sorted(self.aggregates.items()):
            shown = [name for name in ("count", "sum", "avg", "min", "max") if name in next(iter(groups.values()))]
            lines += ["", f"{metric} (latest tick per group)",
                      f"{'group':<24} {'tick':>20} " + " ".join(f"{name:>10}" for name in shown)]
            for label, record in sorted(groups.items()):
                values = " ".join(f"{_number(record[name]):>10}" for name in shown)
                lines.append(f"{label:<24} {_time(record['time']):>20} {values}")
        return "\n".join(lines)


def _cell(record: dict[str, Any] | None, now: int) -> str:
    if record is None:
        return "-"
    if record["value"] is None:
        return f"ended {_time(record['time'])[-8:]}"
    value = value_of(record, max(now, record["time"]))
    if "rate" in record:
        return f"{value / 1000:.1f} s" + (" +" if record["rate"] else "")
    return plain_value(value)


def _number(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, float) else plain_value(value)


def watch(view: TailView, batches: Iterable[list[dict[str, Any]]], write: Callable[[str], Any],
          every_s: float) -> None:
    """Add each batch of records to ``view`` and redraw the screen, every ``every_s`` seconds."""
    for batch in batches:
        view.add(batch)
        write(CLEAR + view.screen() + "\n")
        time.sleep(every_s)


def _time(ms: int) -> str:
    if ms < 10**11:  # not an epoch time: milliseconds since some start
        return f"{ms / 1000:.1f} s"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
