"""Driving :class:`KeyedTimelines` the way the Flink operator does, without Flink.

Watermarks follow Flink's bounded out-of-orderness generator (largest time seen
minus the bound minus one); a key's timer fires once the watermark reaches it.
Aggregate records are taken from the combiner as the watermark passes their tick.
"""
from __future__ import annotations

from operators.aggregate import AggregateCombiner, record_order
from operators.codegen import NEVER
from operators.decode import Event
from operators.engine import Engine
from operators.keyed import KeyedTimelines, KeyState
from operators.reorder import NO_WATERMARK


def run_streaming(engine: Engine, arrivals: list[Event], bound: int,
                  restore_at: int | None = None) -> tuple[list[dict], list[Event]]:
    """Change records then aggregate records (each sorted), and late events, for events in arrival order."""
    keyed = KeyedTimelines(engine)
    combiner = AggregateCombiner(engine.plan.spec.aggregates)
    states: dict[str, KeyState] = {}
    records: list[dict] = []
    aggregates: list[dict] = []
    late: list[Event] = []
    watermark = NO_WATERMARK

    def advance(to: int) -> None:
        for key, key_state in list(states.items()):
            if keyed.next_timer(key_state) <= to:
                records.extend(combiner.take(key, keyed.on_watermark(key_state, to)))
            if keyed.is_empty(key_state):
                del states[key]
        aggregates.extend(combiner.pop_final(to))

    for position, event in enumerate(arrivals):
        if position == restore_at:
            states = {key: KeyState.from_bytes(state.to_bytes()) for key, state in states.items()}
        key_state = states.setdefault(event.key, keyed.new_key())
        if not keyed.on_event(key_state, event.time, event.fields, watermark):
            late.append(event)
        candidate = max(e.time for e in arrivals[: position + 1]) - bound - 1
        if candidate > watermark:
            watermark = candidate
            advance(watermark)
    advance(NEVER)
    records.sort(key=lambda record: (record["key"], record["timeline"], record["time"]))
    return records + sorted(aggregates, key=record_order), late
