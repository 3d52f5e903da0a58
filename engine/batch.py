"""Evaluating a bounded set of events with the incremental engine."""
from __future__ import annotations

from itertools import groupby
from typing import Any, Iterable

from engine.aggregate import AggregateCombiner
from engine.events import END_OF_TIME
from engine.decode import Event
from engine.incremental import Engine
from engine.records import change_order


def group_by_key(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events per key, each key's list in time order (equal times keep input order)."""
    per_key: dict[str, list[Event]] = {}
    for event in events:
        per_key.setdefault(event.key, []).append(event)
    for key_events in per_key.values():
        key_events.sort(key=lambda event: event.time)
    return per_key


def apply_events(engine: Engine, state: list, key_events: list[Event], changes: list) -> None:
    """Apply one key's time-ordered events to its engine state, instant by instant."""
    for time, instant in groupby(key_events, key=lambda event: event.time):
        engine.process(state, time, [event.fields for event in instant], changes)


def run_key(engine: Engine, key_events: list[Event], until: int = END_OF_TIME) -> list:
    """The changes of one key's time-ordered events, followed to ``until``."""
    state, changes = engine.new_state(), []
    apply_events(engine, state, key_events, changes)
    engine.advance(state, until, changes)
    return changes


def evaluate(engine: Engine, events: Iterable[Event]) -> list[dict[str, Any]]:
    """Change records of all keys, sorted by key, timeline and time, then the aggregate records."""
    combiner = AggregateCombiner(engine.plan.spec.aggregates)
    records = [
        record
        for key, key_events in group_by_key(events).items()
        for record in combiner.take(key, run_key(engine, key_events))
    ]
    records.sort(key=change_order)
    return records + combiner.pop_final(END_OF_TIME)
