"""The per-key logic of the Flink operator, free of Flink.

The operator receives each key's events already grouped into instants and in
time order (see ``jobs/instants.py``), so a key's state is the engine state
and its one pending timer, kept together as one JSON string (one keyed-state
entry in Flink). Every change returned has a time at or below the last instant
or watermark given, so it is final.
"""
from __future__ import annotations

import orjson

from engine.codegen import NEVER
from engine.incremental import Change, Engine

EVENT_SEPARATOR = "\x1e"  # joins the payloads of one instant; raw control characters cannot occur in JSON text


class KeyState:
    """One key's engine state and pending timer (None: no timer)."""

    __slots__ = ("engine_state", "timer")

    def __init__(self, engine_state: list, timer: int | None = None):
        self.engine_state = engine_state
        self.timer = timer

    def to_json(self) -> str:
        return orjson.dumps([self.timer, self.engine_state]).decode()

    @classmethod
    def from_json(cls, text: str) -> "KeyState":
        timer, engine_state = orjson.loads(text)
        return cls(engine_state, timer)


class KeyedTimelines:
    """Feeds one key's instants, in time order, and the watermark to the engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def new_key(self) -> KeyState:
        return KeyState(self.engine.new_state())

    def on_instant(self, key_state: KeyState, time: int, payloads: str) -> list[Change]:
        """Apply the events of one instant (payloads joined by :data:`EVENT_SEPARATOR`); its changes."""
        events = [orjson.loads(payload) for payload in payloads.split(EVENT_SEPARATOR)]
        changes: list = []
        self.engine.process(key_state.engine_state, time, events, changes)
        return changes

    def on_watermark(self, key_state: KeyState, watermark: int) -> list:
        """Every change (and contribution) due at or before the watermark."""
        changes: list = []
        self.engine.advance(key_state.engine_state, watermark, changes)
        return changes

    def timer_for(self, key_state: KeyState) -> int | None:
        """Where the key's one timer belongs now (None: no timer).

        The current timer stays while it is not after the engine's next due
        time: firing early emits nothing and sets the next one, which costs
        less than moving the timer at every instant, as a session timeout would.
        """
        due = self.engine.next_timer(key_state.engine_state)
        timer = key_state.timer
        if timer is not None and timer <= due:
            return timer
        return None if due == NEVER else due

    def is_empty(self, key_state: KeyState) -> bool:
        """No active run: the key's state can be dropped."""
        return not self.engine.is_active(key_state.engine_state)
