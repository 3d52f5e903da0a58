"""The keyed Flink operator: a thin adapter around :class:`KeyedTimelines`.

Input elements are ``(key, time, payloads)`` instants, each key's in time order
(``timeline.flink.instants.Instants`` in ``jvm/``). Each key has one state value, ``KeyedTimelines.to_json``, and
at most one pending event-time timer. An instant's changes are emitted as soon
as it arrives, as JSON strings: the instant is complete and every earlier one
has been applied, so they are final. When the timer fires, every change up to
the watermark is emitted, and every aggregate contribution up to it goes to
the :data:`CONTRIBUTIONS` side output.
"""
from __future__ import annotations

import orjson
from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine.incremental import Engine, to_record
from operators.aggregates import CONTRIBUTIONS, contribution_element
from engine.keyed import KeyedTimelines, KeyState
from engine.ticks import Contribution
from operators.metrics import TimelineMetrics


class TimelineFunction(KeyedProcessFunction):
    """Evaluates a spec's timelines per key on Flink keyed state and event-time timers."""

    def __init__(self, spec_text: str):
        self.spec_text = spec_text  # the YAML travels to the workers, not the parsed spec
        self.keyed: KeyedTimelines | None = None
        self.state = None
        self.metrics: TimelineMetrics | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        spec = load_spec(self.spec_text)
        self.keyed = KeyedTimelines(Engine(compile_plan(spec)))
        self.state = runtime_context.get_state(ValueStateDescriptor("timelines", Types.STRING()))
        self.metrics = TimelineMetrics(runtime_context.get_metrics_group(), spec.outputs)

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        key, time, payloads = value
        key_state, new_key = self._load()
        changes = self.keyed.on_instant(key_state, time, payloads)
        self._store(ctx.timer_service(), key_state)
        self.metrics.instant(ctx.timer_service().current_watermark(), new_key)
        if changes:
            yield from self._emit(key, changes)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        timers = ctx.timer_service()
        key_state, _ = self._load()
        if key_state.timer == timestamp:
            key_state.timer = None  # it just fired
        yield from self._emit(ctx.get_current_key(), self.keyed.on_watermark(key_state, timers.current_watermark()))
        ended = self.keyed.is_empty(key_state)
        if ended:
            if key_state.timer is not None:
                timers.delete_event_time_timer(key_state.timer)
            self.state.clear()
        else:
            self._store(timers, key_state)
        self.metrics.timer(timers.current_watermark(), ended)

    def _emit(self, key: str, outputs: list):
        for output in outputs:
            if type(output) is Contribution:
                yield CONTRIBUTIONS, contribution_element(output)
            else:
                self.metrics.change(output[0])
                yield orjson.dumps(to_record(key, output)).decode()

    def _load(self) -> tuple[KeyState, bool]:
        """The key's state, and whether it is new."""
        stored = self.state.value()
        return (self.keyed.new_key(), True) if stored is None else (self.keyed.from_json(stored), False)

    def _store(self, timers, key_state: KeyState) -> None:
        """Save the key's state, its one timer where :meth:`KeyedTimelines.timer_for` puts it."""
        timer = self.keyed.timer_for(key_state)
        if timer != key_state.timer:
            if key_state.timer is not None:
                timers.delete_event_time_timer(key_state.timer)
            if timer is not None:
                timers.register_event_time_timer(timer)
            key_state.timer = timer
        self.state.update(self.keyed.to_json(key_state))
