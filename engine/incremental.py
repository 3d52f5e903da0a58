"""The incremental engine: per-key timelines updated event by event.

An :class:`Engine` is compiled once from a plan and holds no per-key data; each
key's state is a small list of JSON values (see :mod:`engine.codegen`) that the
caller keeps -- in a dict, or in Flink keyed state (:class:`engine.keyed.KeyState`
serializes it with the key's pending timer). Work per event and per timer is
bounded by the plan's size; history is never rescanned.

Change records leave the engine as ``(timeline, time, value, rate)`` tuples
(``rate`` is None for state and boolean timelines); :func:`to_record` turns one
into the JSON object of the output format. A plan with aggregates also puts
a :class:`~engine.ticks.Contribution` into the same output lists at every
tick of an active key, after everything else at that instant.
"""
from __future__ import annotations

import hashlib
import linecache
from typing import Any, Iterable

from dsl import nodes
from dsl.plan import Plan
from engine.codegen import NEVER, TICK, generate
from engine.ticks import Ticks
from engine.values import compare, same_value

Change = tuple[str, int, Any, "int | None"]
T0, LAST, DUE = 0, 1, 2


class Engine:
    """Evaluates a plan incrementally for any number of keys."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.timeout = plan.spec.session_timeout_ms
        self.source = generate(plan, self.timeout)
        self.filename = _register_source(plan.spec.name, self.source)
        self.ticks = Ticks(plan)
        namespace: dict[str, Any] = {
            "_compare": compare, "_same_value": same_value, "_first_tick": self.ticks.first_from
        }
        exec(compile(self.source, self.filename, "exec"), namespace)
        self._start = namespace["start"]
        self._apply = namespace["apply"]
        self._evaluate = namespace["evaluate"]
        self._probe = namespace["probe"]
        self._end_changes = [
            (name, None, 0 if plan.nodes[index].kind is nodes.Kind.NUMBER else None)
            for name, index in plan.outputs.items()
        ]
        if plan.aggregates:  # bound here so that plans without aggregates keep the plain methods
            self.advance = self._advance_with_ticks
            self.next_timer = self._next_timer_with_ticks

    @staticmethod
    def new_state() -> list:
        """The state of a key with no active run."""
        return [None, None, NEVER]

    @staticmethod
    def is_active(state: list) -> bool:
        return state[T0] is not None

    @staticmethod
    def next_timer(state: list) -> int:
        """The next instant at which the key changes without new events (NEVER if none)."""
        return state[DUE]

    def process(self, state: list, time: int, events: Iterable[dict], out: list[Change]) -> None:
        """Apply all events of one instant; instants must strictly increase per key."""
        if state[T0] is not None:
            if time <= state[LAST]:
                raise ValueError(f"event time {time} is not after the previous instant {state[LAST]}")
            self.advance(state, time - 1, out)
        first = state[T0] is None
        if first:
            self._start(state, time)
        self._apply(state, time, events)
        state[LAST] = time
        self._evaluate(state, time, out, first)

    def advance(self, state: list, until: int, out: list[Change]) -> None:
        """Emit every change due at or before ``until`` (expiring windows, crossings, session end)."""
        until = min(until, NEVER - 1)  # NEVER marks "no timer", never an instant
        while state[T0] is not None and state[DUE] <= until:
            time = state[DUE]
            if self.timeout is not None and time >= state[LAST] + self.timeout:
                out.extend((name, time, value, rate) for name, value, rate in self._end_changes)
                state[:] = self.new_state()
            else:
                self._evaluate(state, time, out, False)

    def _advance_with_ticks(self, state: list, until: int, out: list) -> None:
        """:meth:`advance`, and the contributions of every tick up to ``until``.

        A tick comes after everything else at its instant, so a run that ends
        exactly then does not contribute.
        """
        while state[T0] is not None and state[TICK] <= until:
            tick = state[TICK]
            Engine.advance(self, state, tick, out)
            if state[T0] is not None:
                self.ticks.contribute(self._probe(state, tick), tick, out)
                state[TICK] = self.ticks.first_from(tick + 1)
        Engine.advance(self, state, until, out)

    @staticmethod
    def _next_timer_with_ticks(state: list) -> int:
        return state[DUE] if state[T0] is None else min(state[DUE], state[TICK])

    def values_at(self, state: list, time: int) -> list:
        """Every plan node's value at ``time`` (after ``advance(state, time)``); None for predicates."""
        return self._probe(state, time)


def _register_source(plan_name: str, source: str) -> str:
    """A file name for the generated ``source``, registered with :mod:`linecache` so that
    tracebacks and debuggers show its lines."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<timeline plan {plan_name} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return filename


def to_record(key: str, change: Change) -> dict[str, Any]:
    """The output JSON object of one change."""
    name, time, value, rate = change
    record = {"key": key, "timeline": name, "time": time, "value": value}
    if rate is not None:
        record["rate"] = rate
    return record
