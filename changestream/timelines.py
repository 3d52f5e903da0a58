"""A change stream materialized: the value of timeline N for key K at time t (docs/semantics.md,
"Reading a change stream")."""
from __future__ import annotations

from bisect import bisect_right, insort
from typing import Any, Iterable


class Timelines:
    """The change records of a stream, per (key, timeline) in time order; aggregate records are ignored.

    Records may be added in any order. A record at a time already held for its
    (key, timeline) replaces the one there: after a restart an at-least-once
    sink repeats records exactly.
    """

    def __init__(self, records: Iterable[dict[str, Any]] = ()):
        self._records: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        for record in records:
            self.add(record)

    def add(self, record: dict[str, Any]) -> None:
        if "timeline" not in record:
            return
        held = self._records.setdefault((record["key"], record["timeline"]), [])
        entry = (record["time"], record)
        if held and held[-1][0] < record["time"]:
            held.append(entry)  # the usual case: each key's records arrive in time order
            return
        index = bisect_right(held, record["time"], key=lambda pair: pair[0])
        if index and held[index - 1][0] == record["time"]:
            held[index - 1] = entry
        else:
            insort(held, entry, key=lambda pair: pair[0])

    def keys(self) -> list[str]:
        return sorted({key for key, _ in self._records})

    def timelines(self, key: str | None = None) -> list[str]:
        """The timelines with records (of ``key``, or of any key)."""
        return sorted({name for held_key, name in self._records if key is None or held_key == key})

    def latest(self, key: str, timeline: str) -> dict[str, Any] | None:
        """The last record of (key, timeline), or None if it has none."""
        held = self._records.get((key, timeline))
        return held[-1][1] if held else None

    def record_at(self, key: str, timeline: str, t: int) -> dict[str, Any] | None:
        """The record in force at ``t``: the last one with ``time <= t``."""
        held = self._records.get((key, timeline), [])
        index = bisect_right(held, t, key=lambda pair: pair[0])
        return held[index - 1][1] if index else None

    def value(self, key: str, timeline: str, t: int) -> Any:
        """The value at ``t``; None where the key has no data yet or its run has ended."""
        return value_of(self.record_at(key, timeline, t), t)


def value_of(record: dict[str, Any] | None, t: int) -> Any:
    """The value a change record gives at ``t`` (at or after its time): numeric ones advance at their rate."""
    if record is None or record["value"] is None:
        return None
    if "rate" in record:
        return record["value"] + record["rate"] * (t - record["time"])
    return record["value"]
