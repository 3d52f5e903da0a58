"""The incremental engine: per-key timelines updated event by event.

An :class:`Engine` is compiled once from a plan and holds no per-key data; each
key's state is a small list of JSON values (see :mod:`engine.codegen`) that the
caller keeps -- in a dict, or in Flink keyed state (:class:`engine.keyed.KeyState`
serializes it with the key's pending timer); :mod:`engine.layout` says what it
holds. Work per event and per timer is bounded by the plan's size (and, for
windowed operators, by what lies within their windows); history is never
rescanned.

Change records leave the engine as ``(timeline, time, value, rate)`` tuples
(``rate`` is None for state and boolean timelines); :func:`to_record` turns one
into the JSON object of the output format. A plan with aggregates also puts
a :class:`~engine.ticks.Contribution` into the same output lists at every
tick of an active key, after everything else at that instant.

A state carried over from another plan (:meth:`Engine.carried_over`) ends
with the names of the outputs and aggregates held back for the rest of its run.
"""
from __future__ import annotations

import hashlib
import linecache
from typing import Any, Iterable

from dsl import nodes
from dsl.plan import Plan
from engine import layout
from engine.codegen import RUNTIME, generate
from engine.events import END_OF_TIME
from engine.layout import DUE, FIRST_SLOT, LAST, T0, TICK, TICK_OWNER
from engine.ticks import Ticks

Change = tuple[str, int, Any, "int | None"]


class Engine:
    """Evaluates a plan incrementally for any number of keys."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.timeout = plan.spec.session_timeout_ms
        generated = generate(plan, self.timeout)
        self.source = generated.source
        self.filename = _register_source(plan.spec.name, self.source)
        self.layout = layout.encode(generated.groups)
        self.groups = layout.decode(self.layout)
        self.width = layout.width(self.groups)
        self.names = {layout.owner_hash(owner): name for owner, name in generated.names.items()}
        self.ticks = Ticks(plan)
        namespace: dict[str, Any] = {**RUNTIME, "_first_tick": self.ticks.first_from}
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

    new_state = staticmethod(layout.new_state)
    is_active = staticmethod(layout.is_active)

    @staticmethod
    def next_timer(state: list) -> int:
        """The next instant at which the key changes without new events (END_OF_TIME if none)."""
        return state[DUE]

    def process(self, state: list, time: int, events: Iterable[dict], out: list[Change]) -> None:
        """Apply all events of one instant; instants must strictly increase per key."""
        if state[T0] is not None:
            if time <= state[LAST]:
                raise ValueError(f"event time {time} is not after the previous instant {state[LAST]}")
            self.advance(state, time - 1, out)
        first = state[T0] is None
        if first:
            self._start(state, time)  # a new run: nothing is held back any more
        self._apply(state, time, events)
        state[LAST] = time
        mark = len(out)
        self._evaluate(state, time, out, first)
        if len(state) > self.width:
            _hold_back(out, mark, state[-1])

    def advance(self, state: list, until: int, out: list[Change]) -> None:
        """Emit every change due at or before ``until`` (expiring windows, crossings, session end)."""
        until = min(until, END_OF_TIME - 1)  # nothing happens at the end of time
        while state[T0] is not None and state[DUE] <= until:
            time = state[DUE]
            mark, held = len(out), len(state) > self.width and state[-1]  # inline layout.held_back: hot
            if self.timeout is not None and time >= state[LAST] + self.timeout:
                out.extend((name, time, value, rate) for name, value, rate in self._end_changes)
                state[:] = self.new_state()
            else:
                self._evaluate(state, time, out, False)
            if held:
                _hold_back(out, mark, held)

    def _advance_with_ticks(self, state: list, until: int, out: list) -> None:
        """:meth:`advance`, and the contributions of every tick up to ``until``.

        A tick comes after everything else at its instant, so a run that ends
        exactly then does not contribute.
        """
        while state[T0] is not None and state[TICK] <= until:
            tick = state[TICK]
            Engine.advance(self, state, tick, out)
            if state[T0] is not None:
                mark = len(out)
                self.ticks.contribute(self._probe(state, tick), tick, out)
                if len(state) > self.width:
                    _hold_back(out, mark, state[-1])
                state[TICK] = self.ticks.first_from(tick + 1)
        Engine.advance(self, state, until, out)

    @staticmethod
    def _next_timer_with_ticks(state: list) -> int:
        return state[DUE] if state[T0] is None else min(state[DUE], state[TICK])

    def carried_over(self, state: list, written_by: str) -> list:
        """``state``, written under the plan whose layout is ``written_by``, as a state of this plan.

        Raises :class:`~engine.layout.PlanChanged` when the runs differ (see :mod:`engine.layout`).
        """
        if written_by == self.layout:
            return state
        old = layout.decode(written_by)
        if not old or old[0] != self.groups[0]:
            raise layout.PlanChanged(
                f"the checkpointed state of plan {self.plan.spec.name!r} was written with another key field,"
                f" time field or session_timeout than this spec's (key {self.plan.spec.key!r},"
                f" time {self.plan.spec.time!r}, session_timeout {self.timeout} ms): its runs cannot be"
                " carried over; keep them or start this spec without the checkpoint")
        if state[T0] is None:
            return self.new_state()
        held = set(layout.held_back(state, layout.width(old)) or ())
        old_slots = layout.slot_ranges(old, FIRST_SLOT)
        carried = self.new_state()
        self._start(carried, state[T0])
        carried[LAST], carried[DUE] = state[LAST], state[DUE]
        for (owner, count), slots in zip(self.groups, layout.slot_ranges(self.groups, FIRST_SLOT).values()):
            kept = old_slots.get(owner)
            if kept is not None and len(kept) == count:
                carried[slots.start:slots.stop] = state[kept.start:kept.stop]
            elif owner in self.names:
                held.add(self.names[owner])
        if self.plan.aggregates:
            tick_owner = layout.owner_hash(TICK_OWNER)
            carried[TICK] = self.ticks.first_from(state[TICK] if tick_owner in old_slots else state[LAST])
        held &= set(self.names.values())
        if held:
            carried.append(sorted(held))
        return carried

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


def _hold_back(out: list, mark: int, names: list[str]) -> None:
    """Drop the changes and contributions of ``names`` from ``out[mark:]``."""
    out[mark:] = [output for output in out[mark:] if output[0] not in names]


def to_record(key: str, change: Change) -> dict[str, Any]:
    """The output JSON object of one change."""
    name, time, value, rate = change
    record = {"key": key, "timeline": name, "time": time, "value": value}
    if rate is not None:
        record["rate"] = rate
    return record
