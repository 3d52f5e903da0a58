"""The decode step of the Flink job: raw payloads to ``(key, time, payload)`` or dead letters."""
from __future__ import annotations

import orjson
from pyflink.common import Types
from pyflink.datastream import OutputTag, ProcessFunction

from operators.decode import dead_letter, decode_event
from operators.events import BadEvent

DEAD_LETTERS = OutputTag("dead-letters", Types.STRING())
DECODED = Types.TUPLE([Types.STRING(), Types.LONG(), Types.STRING()])


class DecodeFunction(ProcessFunction):
    """Emits ``(key, time, payload)``; bad payloads go to :data:`DEAD_LETTERS`; blank lines are skipped."""

    def __init__(self, key_field: str, time_field: str):
        self.key_field = key_field
        self.time_field = time_field

    def process_element(self, value: str, ctx: ProcessFunction.Context):
        if not value.strip():
            return
        try:
            event = decode_event(value, self.key_field, self.time_field)
        except BadEvent as error:
            yield DEAD_LETTERS, orjson.dumps(dead_letter(value, error.reason)).decode()
            return
        yield event.key, event.time, value
