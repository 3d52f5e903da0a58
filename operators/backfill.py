"""The batch job's timelines operator: batches of whole keys' events through the columnar evaluator.

In the BATCH runtime mode (:mod:`jobs.backfill`) ``BucketFiles`` hands over the events of a bucket of
keys at once: their records (UTF-8), in input order, every event of each of its keys, each with its key,
time and the JSON text of the fields the spec reads, as the JVM decoded it. This operator reads them as
columns (:func:`engine.columnar_input.decode_fields`) and evaluates them with :func:`engine.columnar_records.evaluate`: the change records as one string (one record per line,
as the streaming operator writes them) and every key's contribution at every tick to
:data:`~operators.aggregates.CONTRIBUTIONS`, which the streaming job's aggregate stage folds. It is not
keyed, keeps no state and sets no timer.
"""
from __future__ import annotations

from pyflink.datastream import ProcessFunction, RuntimeContext

from dsl.spec import Spec, load_spec
from engine.columnar_events import spec_columns, table_of_decoded
from engine.columnar_input import decode_fields
from engine.columnar_output import change_lines
from engine.columnar_records import evaluate
from operators.aggregates import CONTRIBUTIONS


class BatchTimelines(ProcessFunction):
    """Evaluates a spec over a batch of the events of whole entity keys, in input order."""

    def __init__(self, spec_text: str):
        self.spec_text = spec_text
        self.spec: Spec | None = None
        self.columns: tuple[str, ...] = ()

    def open(self, runtime_context: RuntimeContext) -> None:
        self.spec = load_spec(self.spec_text)
        self.columns = spec_columns(self.spec)

    def process_element(self, batch: bytes, ctx: ProcessFunction.Context):
        events = table_of_decoded(decode_fields(batch, self.columns), self.columns)
        result = evaluate(self.spec, events, contributions=True)
        for contribution in result.contributions:
            yield CONTRIBUTIONS, contribution
        lines = change_lines(result.changes)
        if lines:
            yield lines[:-1].decode()
