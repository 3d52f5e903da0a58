"""The timeline operator's own metrics, in Flink's metric system (names and units in docs/job.md).

The two gauges are Flink counters set to their value: a Python gauge is read
by calling into the interpreter from the metric reporter's thread, which
stalls the job in thread mode, while a counter is a Java value. Prometheus
exports both kinds as gauges.
"""
from __future__ import annotations

import time

from pyflink.metrics import MetricGroup

NO_WATERMARK = -(2**63)  # Long.MIN_VALUE: no watermark has arrived yet


class TimelineMetrics:
    """``instantsApplied``, ``timersFired``, ``changeRecords`` per timeline, and the gauges ``activeKeys``
    and ``eventTimeLag`` (milliseconds from the operator's watermark to the wall clock, as of the first
    batch or timer at that watermark)."""

    def __init__(self, group: MetricGroup, outputs: tuple[str, ...]):
        self.instants_applied = group.counter("instantsApplied")
        self.timers_fired = group.counter("timersFired")
        self.changes = {name: group.add_group("timeline", name).counter("changeRecords") for name in outputs}
        self.active_keys = group.counter("activeKeys")
        self.lag = group.counter("eventTimeLag")
        self.lag_ms = 0
        self.watermark = NO_WATERMARK

    def instants(self, count: int, watermark: int) -> None:
        self.instants_applied.inc(count)
        self._lag(watermark)

    def timers(self, fired: int, watermark: int) -> None:
        """``fired`` keys' timers fired at one time."""
        if fired:
            self.timers_fired.inc(fired)
        self._lag(watermark)

    def keys(self, started: int, ended: int, change_records: dict[str, int]) -> None:
        """Keys that started and ended, and the change records written per timeline, in one call."""
        if started != ended:
            self.active_keys.inc(started - ended)
        for timeline, count in change_records.items():
            self.changes[timeline].inc(count)

    def _lag(self, watermark: int) -> None:
        """Set once per watermark: a counter's update is a call into the JVM."""
        if watermark != NO_WATERMARK and watermark != self.watermark:
            self.watermark = watermark
            lag_ms = int(time.time() * 1000) - watermark
            self.lag.inc(lag_ms - self.lag_ms)
            self.lag_ms = lag_ms
