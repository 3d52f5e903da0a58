"""The decode step of the Flink job: raw payloads to keyed, timestamped events or dead letters.

Decode emits each event in the shape the Java operators after it read
directly (see ``jobs.pipeline.timestamped_events``): ``(Row(key, event), time)``
where ``event`` is ``(key, time, payload)``. The Java timestamp assigner takes
``time``, and the key is the first field of the row, as PyFlink's keyed
operators expect, so no further Python step runs before ``key_by``.

An event further ahead of the TaskManager's clock than ``watermark.max_future``
is a dead letter too: it would move the watermark past every other event.
"""
from __future__ import annotations

import time

import orjson
from pyflink.common import Row, Types
from pyflink.datastream import MapFunction, OutputTag, ProcessFunction, RuntimeContext

from engine.decode import dead_letter, decode_payload, reason_class
from engine.events import BadEvent

DEAD_LETTERS = OutputTag("dead-letters", Types.STRING())
DECODED = Types.TUPLE([Types.STRING(), Types.LONG(), Types.STRING()])
KEYED = Types.ROW([Types.STRING(), DECODED])
TIMESTAMPED = Types.TUPLE([KEYED, Types.LONG()])
INSTANT = Types.TUPLE([Types.STRING(), Types.LONG(), Types.STRING()])  # (key, time, payloads), see jobs/instants.py
KEYED_INSTANT = Types.ROW([Types.STRING(), INSTANT])


class DecodeFunction(ProcessFunction):
    """Emits ``(Row(key, (key, time, payload)), time)``; bad payloads go to :data:`DEAD_LETTERS`.

    Blank lines are skipped; ``max_future_ms`` None accepts any time ahead of the clock.
    """

    def __init__(self, key_field: str, time_field: str, max_future_ms: int | None):
        self.key_field = key_field
        self.time_field = time_field
        self.max_future_ms = max_future_ms
        self.decoded = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.decoded = runtime_context.get_metrics_group().counter("eventsDecoded")

    def process_element(self, value: str, ctx: ProcessFunction.Context):
        try:
            event = decode_payload(value, self.key_field, self.time_field, self.max_future_ms,
                                   time.time_ns() // 1_000_000)
        except BadEvent as error:
            yield DEAD_LETTERS, orjson.dumps(dead_letter(value, error.reason)).decode()
            return
        if event is not None:
            self.decoded.inc()
            yield Row(event.key, (event.key, event.time, value)), event.time


class LateLetter(MapFunction):
    """The dead letter of an event that came at or below the watermark; counts them as ``lateEvents``."""

    def __init__(self):
        self.late = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.late = runtime_context.get_metrics_group().counter("lateEvents")

    def map(self, row) -> str:
        self.late.inc()
        return orjson.dumps(dead_letter(row[0], "late")).decode()


class DeadLetterCount(MapFunction):
    """Passes every dead letter on to its sink, counting them as ``deadLetters`` by reason (:func:`reason_class`).

    Counted where all dead letters meet, whichever step made them.
    """

    def __init__(self):
        self.group = None
        self.counters = {}

    def open(self, runtime_context: RuntimeContext) -> None:
        self.group = runtime_context.get_metrics_group()

    def map(self, letter: str) -> str:
        reason = reason_class(orjson.loads(letter)["reason"])
        counter = self.counters.get(reason)
        if counter is None:
            counter = self.counters[reason] = self.group.add_group("reason", reason).counter("deadLetters")
        counter.inc()
        return letter
