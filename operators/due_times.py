"""The due times of the keys of each bucket, and the one Flink timer each bucket has at the earliest.

The ``due`` map state of a bucket (time -> the keys due then, as a JSON list) is what is checkpointed.
Beside it, this subtask keeps each bucket's due times as a heap in memory, built from the map state on
the bucket's first use (after a start or a restore), so the earliest is known without a scan; and the
bucket has one event-time timer, at its earliest due time. When it fires, every due time up to the
watermark is taken in the same call: one call per bucket and watermark step, however many keys are due.
"""
from __future__ import annotations

import heapq
from typing import Any

import orjson

UNKNOWN = -1  # after a restore: the bucket may have a timer from before, at a time not known here


class DueTimes:
    """The buckets' due times: the checkpointed map state ``due`` and, per bucket, a heap and its timer."""

    def __init__(self, due_state):
        self.state = due_state
        self.heaps: dict[Any, list[int]] = {}
        self.timers: dict[Any, int | None] = {}  # the time of the bucket's registered timer

    def _heap(self, bucket) -> list[int]:
        heap = self.heaps.get(bucket)
        if heap is None:
            heap = self.heaps[bucket] = list(self.state.keys())
            heapq.heapify(heap)
            self.timers[bucket] = UNKNOWN if heap else None
        return heap

    def fired(self, bucket, time: int) -> None:
        """The bucket's timer at ``time`` fired."""
        self._heap(bucket)
        if self.timers[bucket] == time:
            self.timers[bucket] = None

    def take(self, bucket, watermark: int) -> list[tuple[int, list[str]]]:
        """Remove and return every ``(time, keys)`` of the bucket due at or before the watermark, earliest first."""
        heap = self._heap(bucket)
        taken = []
        while heap and heap[0] <= watermark:
            time = heapq.heappop(heap)
            taken.append((time, orjson.loads(self.state.get(time))))
            self.state.remove(time)
        return taken

    def add(self, bucket, timer_service, due: dict[int, list[str]]) -> None:
        """Add keys due at times after the watermark; keep the bucket's timer at its earliest time."""
        heap = self._heap(bucket)
        for time, keys in due.items():
            already = self.state.get(time)
            if already is None:
                heapq.heappush(heap, time)
            else:
                listed = orjson.loads(already)  # a key listed there still, its timer moved since
                keys = listed + [key for key in keys if key not in listed]
            self.state.put(time, orjson.dumps(keys).decode())
        timer = self.timers[bucket]
        if heap and (timer is None or timer == UNKNOWN or heap[0] < timer):
            if timer is not None and timer != UNKNOWN:
                timer_service.delete_event_time_timer(timer)
            timer_service.register_event_time_timer(heap[0])
            self.timers[bucket] = heap[0]
