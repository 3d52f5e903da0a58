"""Driving :class:`KeyedTimelines` the way the Flink job does, without Flink.

Watermarks follow Flink's bounded out-of-orderness generator (largest time seen
minus the bound minus one). As in the instants stage (``jobs/instants.py``), an
event at or below the watermark is late, and the others wait until the
watermark passes their time; then each key's instants are applied in time
order, equal times in arrival order. A key's timer fires once the watermark
reaches it. Aggregate records are taken from the combiner as the watermark
passes their tick.
"""
from __future__ import annotations

from itertools import groupby

import orjson

from engine.aggregate import AggregateCombiner
from engine.codegen import NEVER
from engine.decode import Event
from engine.incremental import Engine
from engine.keyed import EVENT_SEPARATOR, KeyedTimelines, KeyState
from engine.records import aggregate_order, change_order

NO_WATERMARK = -(2**63)  # Flink's Long.MIN_VALUE


def run_streaming(engine: Engine, arrivals: list[Event], bound: int,
                  restore_at: int | None = None) -> tuple[list[dict], list[Event]]:
    """Change records then aggregate records (each sorted), and late events, for events in arrival order."""
    keyed = KeyedTimelines(engine)
    combiner = AggregateCombiner(engine.plan.spec.aggregates)
    waiting: list[Event] = []  # on time, not yet passed by the watermark
    states: dict[str, KeyState] = {}
    records: list[dict] = []
    aggregates: list[dict] = []
    late: list[Event] = []
    watermark = NO_WATERMARK

    def advance(to: int) -> None:
        nonlocal waiting
        passed = sorted((event for event in waiting if event.time <= to), key=lambda event: (event.key, event.time))
        waiting = [event for event in waiting if event.time > to]
        for (key, time), instant in groupby(passed, key=lambda event: (event.key, event.time)):
            key_state = states.setdefault(key, keyed.new_key())
            payloads = EVENT_SEPARATOR.join(orjson.dumps(event.fields).decode() for event in instant)
            records.extend(combiner.take(key, keyed.on_instant(key_state, time, payloads)))
            key_state.timer = keyed.timer_for(key_state)
        for key, key_state in list(states.items()):
            if key_state.timer is not None and key_state.timer <= to:
                key_state.timer = None
                records.extend(combiner.take(key, keyed.on_watermark(key_state, to)))
                if keyed.is_empty(key_state):
                    del states[key]
                else:
                    key_state.timer = keyed.timer_for(key_state)
        aggregates.extend(combiner.pop_final(to))

    for position, event in enumerate(arrivals):
        if position == restore_at:
            states = {key: KeyState.from_json(state.to_json()) for key, state in states.items()}
        if event.time <= watermark:
            late.append(event)
        else:
            waiting.append(event)
        candidate = max(e.time for e in arrivals[: position + 1]) - bound - 1
        if candidate > watermark:
            watermark = candidate
            advance(watermark)
    advance(NEVER)
    records.sort(key=change_order)
    return records + sorted(aggregates, key=aggregate_order), late
