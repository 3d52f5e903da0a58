"""The batch job's timelines operator: batches of whole keys' events through the columnar evaluator.

In the BATCH runtime mode (:mod:`jobs.backfill`) the decoded events, keyed by entity key, reach
``Instants`` sorted by key; each key's event-time timers fire when its key ends
(``BatchExecutionInternalTimeService``), releasing its instants in time order, each instant's events in
input order. ``KeyBatches`` gathers them into batches of complete keys of bounded size, in the same
subtask. This operator evaluates each batch with :func:`engine.columnar_records.evaluate`: the change
records as one string (one record per line, as the streaming operator writes them) and every key's
contribution at every tick to :data:`~operators.aggregates.CONTRIBUTIONS`, which the streaming job's
aggregate stage folds. It is not keyed, keeps no state and sets no timer: a batch's keys are complete,
and nothing depends on the timers that BATCH mode drops (those registered in ``on_timer``).
"""
from __future__ import annotations

import orjson
from pyflink.datastream import ProcessFunction, RuntimeContext

from dsl.spec import Spec, load_spec
from engine.columnar_events import spec_columns, table_of_events
from engine.columnar_output import change_lines
from engine.columnar_records import evaluate
from engine.decode import Event
from operators.aggregates import CONTRIBUTIONS


class BatchTimelines(ProcessFunction):
    """Evaluates a spec over every instant of a batch of complete entity keys, given at once."""

    def __init__(self, spec_text: str):
        self.spec_text = spec_text
        self.spec: Spec | None = None
        self.columns: tuple[str, ...] = ()

    def open(self, runtime_context: RuntimeContext) -> None:
        self.spec = load_spec(self.spec_text)
        self.columns = spec_columns(self.spec)

    def process_element(self, batch: str, ctx: ProcessFunction.Context):
        events = (Event(key, time, event) for key, time, instant in orjson.loads(batch) for event in instant)
        result = evaluate(self.spec, table_of_events(events, self.columns), contributions=True)
        for contribution in result.contributions:
            yield CONTRIBUTIONS, contribution
        lines = change_lines(result.changes)
        if lines:
            yield lines[:-1].decode()
