"""The aggregate stage of the Flink job: the contributions of all keys folded into aggregate records.

Its input is the :data:`CONTRIBUTIONS` side output of the timeline operator,
keyed by :func:`aggregate_key`. Each (aggregate, group) keeps one fold per
tick in a map state and has an event-time timer at each of its ticks; when the
timer fires, the tick's record is emitted, as a JSON string or, for a
Pulsar sink, as a keyed record (:mod:`operators.keyed_records`) with
``[metric,group]`` as its key, and its fold dropped, so the state holds only
ticks the watermark has not passed.

The timer at tick T fires after every contribution to T is in: the timeline
operator emits them from its own timers when the watermark passes T, before it
forwards that watermark, and this stage's watermark is the least of those of
all timeline subtasks.
"""
from __future__ import annotations

import orjson
from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, OutputTag, RuntimeContext
from pyflink.datastream.state import MapStateDescriptor

from dsl.spec import load_spec
from engine.aggregate import AggregateCombiner, folded
from engine.ticks import Contribution
from operators.keyed_records import key_prefix

CONTRIBUTIONS = OutputTag(
    "contributions", Types.TUPLE([Types.STRING(), Types.STRING(), Types.LONG(), Types.LONG()]))
"""``(aggregate, group values as compact JSON, tick, value)``."""
AGGREGATE_KEY = Types.TUPLE([Types.STRING(), Types.STRING()])


def contribution_element(contribution: Contribution) -> tuple[str, str, int, int]:
    """A contribution as an element of :data:`CONTRIBUTIONS`."""
    aggregate, time, group, value = contribution
    return aggregate, orjson.dumps(group).decode(), time, value


def aggregate_key(element: tuple[str, str, int, int]) -> tuple[str, str]:
    """The (aggregate, group) an element of :data:`CONTRIBUTIONS` belongs to."""
    return element[0], element[1]


class CombineFunction(KeyedProcessFunction):
    """Folds one (aggregate, group)'s contributions per tick and emits each tick's record once final."""

    def __init__(self, spec_text: str, keyed_records: bool = False):
        self.spec_text = spec_text
        self.keyed_records = keyed_records  # hand over keyed records (a Pulsar sink), else text (a file sink)
        self.combiner: AggregateCombiner | None = None
        self.folds = None
        self.records = {}

    def open(self, runtime_context: RuntimeContext) -> None:
        aggregates = load_spec(self.spec_text).aggregates
        self.combiner = AggregateCombiner(aggregates)
        group = runtime_context.get_metrics_group()
        self.records = {aggregate.name: group.add_group("aggregate", aggregate.name).counter("aggregateRecords")
                        for aggregate in aggregates}
        self.folds = runtime_context.get_map_state(
            MapStateDescriptor("folds", Types.LONG(), Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        aggregate, group, tick, number = value
        fold = self.folds.get(tick)
        if fold is None:
            ctx.timer_service().register_event_time_timer(tick)
        self.folds.put(tick, folded(fold, self.combiner.group(aggregate, orjson.loads(group)), number))

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        aggregate, _ = ctx.get_current_key()
        if aggregate in self.combiner.reported:  # not an aggregate that a spec upgrade removed
            self.records[aggregate].inc()
            record = self.combiner.record(aggregate, timestamp, self.folds.get(timestamp))
            if self.keyed_records:
                yield key_prefix(orjson.dumps([record["metric"], record["group"]])) + orjson.dumps(record)
            else:
                yield orjson.dumps(record).decode()
        self.folds.remove(timestamp)
