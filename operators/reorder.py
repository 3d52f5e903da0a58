"""A watermark-driven reorder buffer, independent of the engine.

Events arrive out of order; the buffer holds them until the watermark passes
their time and then releases them in time order, events of equal time in
arrival order, grouped by instant. An event at or below the watermark is late:
the buffer refuses it and the caller reports it.
"""
from __future__ import annotations

import heapq
from typing import Any

NO_WATERMARK = -(2**63)  # Flink's Long.MIN_VALUE


class ReorderBuffer:
    """Buffered ``(time, arrival, item)`` entries and the watermark seen so far."""

    def __init__(self, entries: list | None = None, watermark: int = NO_WATERMARK, arrivals: int = 0):
        self.entries: list = entries if entries is not None else []
        heapq.heapify(self.entries)
        self.watermark = watermark
        self.arrivals = arrivals

    def __len__(self) -> int:
        return len(self.entries)

    def is_late(self, time: int) -> bool:
        return time <= self.watermark

    def add(self, time: int, item: Any) -> bool:
        """Buffer ``item``; False (and nothing buffered) if it is late."""
        if self.is_late(time):
            return False
        heapq.heappush(self.entries, (time, self.arrivals, item))
        self.arrivals += 1
        return True

    def earliest(self) -> int | None:
        """The time of the earliest buffered event."""
        return self.entries[0][0] if self.entries else None

    def release(self, watermark: int) -> list[tuple[int, list]]:
        """Advance the watermark and pop every event at or below it as ``(time, items)`` instants."""
        self.watermark = max(self.watermark, watermark)
        instants: list[tuple[int, list]] = []
        while self.entries and self.entries[0][0] <= self.watermark:
            time, _, item = heapq.heappop(self.entries)
            if instants and instants[-1][0] == time:
                instants[-1][1].append(item)
            else:
                instants.append((time, [item]))
        return instants

    def state(self) -> tuple[list, int, int]:
        """What :class:`ReorderBuffer` needs to be rebuilt: ``ReorderBuffer(*buffer.state())``."""
        return self.entries, self.watermark, self.arrivals
