"""The batch job's timelines operator: a bucket's events, all at once, through the columnar evaluator.

In the BATCH runtime mode (:mod:`jobs.backfill`) the job's JVM front is the streaming job's, and it
behaves so: the decoded events, keyed by entity key, reach ``Instants`` sorted by key; each key's
event-time timers fire when its key ends (``BatchExecutionInternalTimeService``), releasing its
instants in time order; ``InstantBatches`` forwards no watermark and takes no checkpoint before the end
of the input, so it releases one batch per bucket of keys, holding every instant of the bucket's keys.
This operator evaluates each batch with :func:`engine.columnar_records.evaluate`: the change records
as one string (one record per line, as the streaming operator writes them) and every key's
contribution at every tick to :data:`~operators.aggregates.CONTRIBUTIONS`, which the streaming job's
aggregate stage folds. It keeps no state and sets no timer, so nothing depends on timers that BATCH
mode drops (those registered in ``on_timer``).
"""
from __future__ import annotations

import orjson
from pyflink.datastream import KeyedProcessFunction, RuntimeContext

from dsl.spec import Spec, load_spec
from engine.columnar_events import spec_columns, table_of_events
from engine.columnar_output import change_lines
from engine.columnar_records import evaluate
from engine.decode import Event
from operators.aggregates import CONTRIBUTIONS


class BucketTimelines(KeyedProcessFunction):
    """Evaluates a spec over every instant of one bucket of entity keys, given at once."""

    def __init__(self, spec_text: str):
        self.spec_text = spec_text
        self.spec: Spec | None = None
        self.columns: tuple[str, ...] = ()

    def open(self, runtime_context: RuntimeContext) -> None:
        self.spec = load_spec(self.spec_text)
        self.columns = spec_columns(self.spec)

    def process_element(self, batch: str, ctx: KeyedProcessFunction.Context):
        events = (Event(key, time, event) for key, time, instant in orjson.loads(batch) for event in instant)
        result = evaluate(self.spec, table_of_events(events, self.columns), contributions=True)
        for contribution in result.contributions:
            yield CONTRIBUTIONS, contribution
        lines = change_lines(result.changes)
        if lines:
            yield lines[:-1].decode()
