"""The per-key logic of the Flink operator, free of Flink.

The operator receives each key's events already grouped into instants and in
time order (the instants stage, ``timeline.flink.instants`` in ``jvm/``), so a key's state is the engine state
and its one pending timer, kept together as one JSON string (one keyed-state
entry in Flink) with the layout of the plan that wrote it: a state written
under another plan is carried over to this one when it is read
(:meth:`engine.incremental.Engine.carried_over`). Every change returned has a time at or below the last instant
or watermark given, so it is final.
"""
from __future__ import annotations

import orjson

from engine.events import END_OF_TIME
from engine.incremental import Change, Engine


class KeyState:
    """One key's engine state and pending timer (None: no timer)."""

    __slots__ = ("engine_state", "timer")

    def __init__(self, engine_state: list, timer: int | None = None):
        self.engine_state = engine_state
        self.timer = timer


class KeyedTimelines:
    """Feeds one key's instants, in time order, and the watermark to the engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def new_key(self) -> KeyState:
        return KeyState(self.engine.new_state())

    def to_json(self, key_state: KeyState) -> str:
        """The key's state as stored: ``[timer, engine state, plan layout]``."""
        return orjson.dumps([key_state.timer, key_state.engine_state, self.engine.layout]).decode()

    def from_json(self, text: str) -> KeyState:
        """A stored state, carried over to this plan if another one wrote it.

        A state without a layout predates plan layouts; it is taken as this plan's.
        """
        timer, engine_state, *written_by = orjson.loads(text)
        if written_by:
            engine_state = self.engine.carried_over(engine_state, written_by[0])
        return KeyState(engine_state, timer)

    def on_instant(self, key_state: KeyState, time: int, events: list[dict]) -> list[Change]:
        """Apply the events of one instant, in their order; its changes."""
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
        return None if due == END_OF_TIME else due

    def is_empty(self, key_state: KeyState) -> bool:
        """No active run: the key's state can be dropped."""
        return not self.engine.is_active(key_state.engine_state)
