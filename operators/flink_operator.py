"""The keyed Flink operator: a thin adapter around :class:`KeyedTimelines`.

Input elements are ``(key, time, payload)`` tuples with the raw JSON payload.
Each key has one state value: ``(pending timer, KeyState.to_bytes())``. A key has at most one pending timer, at
``next_timer``; when it fires, every change up to the current watermark is
emitted as a JSON string, so emitted records are final, and every aggregate
contribution up to it goes to the :data:`CONTRIBUTIONS` side output. Late
events (at or below the watermark) go to the dead-letter side output with
reason ``late``.
"""
from __future__ import annotations

import orjson
from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

from dsl.plan import compile_plan
from dsl.spec import load_spec
from operators.decode import dead_letter
from operators.engine import Engine, to_record
from operators.flink_aggregate import CONTRIBUTIONS, contribution_element
from operators.flink_decode import DEAD_LETTERS
from operators.keyed import KeyedTimelines, KeyState
from operators.ticks import Contribution


class TimelineFunction(KeyedProcessFunction):
    """Evaluates a spec's timelines per key on Flink keyed state and event-time timers."""

    def __init__(self, spec_text: str):
        self.spec_text = spec_text  # the YAML travels to the workers, not the parsed spec
        self.keyed: KeyedTimelines | None = None
        self.state = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.keyed = KeyedTimelines(Engine(compile_plan(load_spec(self.spec_text))))
        self.state = runtime_context.get_state(
            ValueStateDescriptor("timelines", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        _, time, payload = value
        timers = ctx.timer_service()
        timer, key_state = self._load()
        if not self.keyed.on_event(key_state, time, orjson.loads(payload), timers.current_watermark()):
            yield DEAD_LETTERS, orjson.dumps(dead_letter(payload, "late")).decode()
            return
        self._store(timers, timer, key_state)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        timers = ctx.timer_service()
        timer, key_state = self._load()
        key = ctx.get_current_key()
        for output in self.keyed.on_watermark(key_state, timers.current_watermark()):
            if type(output) is Contribution:
                yield CONTRIBUTIONS, contribution_element(output)
            else:
                yield orjson.dumps(to_record(key, output)).decode()
        if timer == timestamp:
            timer = None  # it just fired
        if self.keyed.is_empty(key_state):
            if timer is not None:
                timers.delete_event_time_timer(timer)
            self.state.clear()
        else:
            self._store(timers, timer, key_state)

    def _load(self) -> tuple[int | None, KeyState]:
        stored = self.state.value()
        if stored is None:
            return None, self.keyed.new_key()
        timer, data = stored
        return timer, KeyState.from_bytes(data)

    def _store(self, timers, timer: int | None, key_state: KeyState) -> None:
        """Save the key's state and move its one pending timer to ``next_timer``."""
        due = self.keyed.next_timer(key_state)
        if due != timer:
            if timer is not None:
                timers.delete_event_time_timer(timer)
            timers.register_event_time_timer(due)
        self.state.update((due, key_state.to_bytes()))
