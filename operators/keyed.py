"""The per-key logic of the Flink operator, free of Flink.

For one key it keeps the reorder buffer and the engine state together as one
value (one keyed-state entry in Flink), takes events as they arrive and
watermarks as they pass, and says when it next needs a timer. Every change it
returns has a time at or below the watermark it was given, so it is final.
"""
from __future__ import annotations

from typing import Any

import orjson

from operators.engine import Engine
from operators.reorder import ReorderBuffer


class KeyState:
    """One key's buffered events and engine state."""

    __slots__ = ("buffer", "engine_state")

    def __init__(self, buffer: ReorderBuffer, engine_state: list):
        self.buffer = buffer
        self.engine_state = engine_state

    def to_bytes(self) -> bytes:
        return orjson.dumps([self.engine_state, *self.buffer.state()])

    @classmethod
    def from_bytes(cls, data: bytes) -> "KeyState":
        engine_state, entries, watermark, arrivals = orjson.loads(data)
        return cls(ReorderBuffer([tuple(entry) for entry in entries], watermark, arrivals), engine_state)


class KeyedTimelines:
    """Feeds one key's events, in event-time order, to the engine as the watermark advances."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.columns = engine.plan.columns

    def new_key(self) -> KeyState:
        return KeyState(ReorderBuffer(), self.engine.new_state())

    def on_event(self, key_state: KeyState, time: int, fields: dict[str, Any], watermark: int) -> bool:
        """Buffer an event (only the fields the plan reads); False if it is late (at or below the watermark)."""
        buffer = key_state.buffer
        buffer.watermark = max(buffer.watermark, watermark)
        return buffer.add(time, {column: fields[column] for column in self.columns if column in fields})

    def on_watermark(self, key_state: KeyState, watermark: int) -> list:
        """Apply the events the watermark has passed; every change (and contribution) up to it."""
        changes: list = []
        state = key_state.engine_state
        for time, events in key_state.buffer.release(watermark):
            self.engine.process(state, time, events, changes)
        self.engine.advance(state, watermark, changes)
        return changes

    def next_timer(self, key_state: KeyState) -> int:
        """The earliest watermark at which :meth:`on_watermark` has work (NEVER if none)."""
        earliest = key_state.buffer.earliest()
        due = self.engine.next_timer(key_state.engine_state)
        return due if earliest is None else min(earliest, due)

    def is_empty(self, key_state: KeyState) -> bool:
        """No buffered events and no active run: the key's state can be dropped."""
        return not key_state.buffer and not self.engine.is_active(key_state.engine_state)
