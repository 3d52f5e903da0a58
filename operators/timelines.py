"""The keyed Flink operator of the timelines: one Python call per batch of instants of many keys.

Input elements are batches: JSON text ``[[key, time, [event, ...]], ...]``, the complete instants of the
entity keys of one bucket that one watermark step released, each key's in time order
(``timeline.flink.instants.InstantBatches`` in ``jvm/``). The operator is keyed by bucket. Each entity
key's state (:meth:`KeyedTimelines.to_json`) is one entry of the bucket's map state ``timelines``; its
pending timer is in the bucket's due times (:class:`~operators.due_times.DueTimes`), and the bucket has
one Flink event-time timer, at its earliest due time. A call writes each key it touches once, and
reads it only if it is not among the :data:`CACHED_KEYS` most recently written of this subtask (the
state objects as written; only this operator writes them).

An instant's changes are final when it arrives: it is complete and every earlier one has been applied.
When a bucket's timer fires, every change of its keys due up to the watermark is emitted; every
aggregate contribution goes to the :data:`CONTRIBUTIONS` side output. The change records of one call
leave as one element: for a file sink one string, one JSON record per line; for a Pulsar sink keyed
records (:mod:`operators.keyed_records`), each record with its entity key as the message key.
"""
from __future__ import annotations

from collections import defaultdict

import orjson
from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, RuntimeContext
from pyflink.datastream.state import MapStateDescriptor

from dsl.plan import compile_plan
from dsl.spec import load_spec
from engine.incremental import Engine, to_record
from engine.keyed import KeyedTimelines, KeyState
from engine.ticks import Contribution
from operators.aggregates import CONTRIBUTIONS, contribution_element
from operators.due_times import DueTimes
from operators.keyed_records import key_prefix
from operators.metrics import TimelineMetrics

CACHED_KEYS = 100_000  # key states kept as objects; all are dropped when there are more


class TimelineFunction(KeyedProcessFunction):
    """Evaluates a spec's timelines for the entity keys of a bucket on Flink keyed state and timers."""

    def __init__(self, spec_text: str, keyed_records: bool = False):
        self.spec_text = spec_text  # the YAML travels to the workers, not the parsed spec
        self.keyed_records = keyed_records  # hand over keyed records (a Pulsar sink), else text (a file sink)
        self.keyed: KeyedTimelines | None = None
        self.states = None
        self.due = None
        self.metrics: TimelineMetrics | None = None
        self.cache: dict[str, KeyState] = {}

    def open(self, runtime_context: RuntimeContext) -> None:
        spec = load_spec(self.spec_text)
        self.keyed = KeyedTimelines(Engine(compile_plan(spec)))
        self.states = runtime_context.get_map_state(MapStateDescriptor("timelines", Types.STRING(), Types.STRING()))
        self.due = DueTimes(runtime_context.get_map_state(MapStateDescriptor("due", Types.LONG(), Types.STRING())))
        self.metrics = TimelineMetrics(runtime_context.get_metrics_group(), spec.outputs)
        self.cache = {}

    def process_element(self, batch: str, ctx: KeyedProcessFunction.Context):
        step = _Step(self, ctx)
        instants = orjson.loads(batch)
        for key, time, events in instants:
            step.emit(key, self.keyed.on_instant(step.load(key), time, events))
        self.metrics.instants(len(instants), step.watermark)
        yield from step.finish()

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        step = _Step(self, ctx)
        self.due.fired(step.bucket, timestamp)
        fired = 0
        for time, keys in self.due.take(step.bucket, step.watermark):
            for key in keys:
                key_state = step.load(key, existing=True)
                if key_state is None or key_state.timer != time:
                    continue  # the key ended, its timer moved, or it fired already
                key_state.timer = None
                fired += 1
                step.emit(key, self.keyed.on_watermark(key_state, step.watermark))
                if self.keyed.is_empty(key_state):
                    step.end(key)
        self.metrics.timers(fired, step.watermark)
        yield from step.finish()


class _Step:
    """One call's work on a bucket: the keys it loaded, their outputs, and their state and timers at the end."""

    def __init__(self, function: TimelineFunction, ctx):
        self.function, self.timers = function, ctx.timer_service()
        self.keyed_records = function.keyed_records
        self.bucket = ctx.get_current_key()
        self.watermark = self.timers.current_watermark()
        self.loaded: dict[str, KeyState] = {}
        self.ended: list[str] = []
        self.new_keys = 0
        self.records: list[bytes] = []
        self.contributions: list[tuple] = []
        self.counts: dict[str, int] = defaultdict(int)

    def load(self, key: str, existing: bool = False) -> KeyState | None:
        """The key's state (new if it has none, or None when ``existing``), read once per call."""
        key_state = self.loaded.get(key) or self.function.cache.get(key)
        if key_state is None:
            stored = None if key in self.ended else self.function.states.get(key)  # removed at finish()
            if stored is not None:
                key_state = self.function.keyed.from_json(stored)
            elif existing:
                return None
            else:
                key_state = self.function.keyed.new_key()
                self.new_keys += 1
        self.loaded[key] = key_state
        return key_state

    def emit(self, key: str, outputs: list) -> None:
        prefix = None
        for output in outputs:
            if type(output) is Contribution:
                self.contributions.append(contribution_element(output))
            else:
                self.counts[output[0]] += 1
                record = orjson.dumps(to_record(key, output))
                if self.keyed_records:
                    prefix = prefix or key_prefix(key.encode())
                    record = prefix + record
                self.records.append(record)

    def end(self, key: str) -> None:
        """The key has no active run: its state goes."""
        del self.loaded[key]
        self.ended.append(key)

    def finish(self):
        """Write back every key's state and timer; yield the call's outputs."""
        function = self.function
        cache = function.cache
        if len(cache) + len(self.loaded) > CACHED_KEYS:
            cache.clear()
        due: dict[int, list[str]] = defaultdict(list)
        for key, key_state in self.loaded.items():
            timer = function.keyed.timer_for(key_state)
            if timer != key_state.timer:
                key_state.timer = timer
                if timer is not None:
                    due[timer].append(key)
            function.states.put(key, function.keyed.to_json(key_state))
            cache[key] = key_state
        for key in self.ended:
            function.states.remove(key)
            cache.pop(key, None)
        function.due.add(self.bucket, self.timers, due)
        function.metrics.keys(self.new_keys, len(self.ended), self.counts)
        for contribution in self.contributions:
            yield CONTRIBUTIONS, contribution
        if self.records:
            records = b"\n".join(self.records)
            yield records if self.keyed_records else records.decode()
