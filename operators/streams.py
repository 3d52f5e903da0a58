"""The streams between the job's Java front and its Python operators: their types, and the dead-letter count.

Decoding runs in the JVM (``jvm/``, package ``timeline.flink.decode``) with the rules of
``engine/decode.py``; the timeline operator receives batches of complete instants (``operators/timelines.py``).
"""
from __future__ import annotations

import orjson
from pyflink.common import Types
from pyflink.datastream import MapFunction, RuntimeContext

from engine.decode import reason_class

KEY_TYPE = Types.ROW([Types.STRING()])  # the key of PyFlink's keyed streams: Row(key)
INSTANT = Types.TUPLE([Types.STRING(), Types.LONG(), Types.STRING()])  # (key, time, payloads): Instants' output


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
