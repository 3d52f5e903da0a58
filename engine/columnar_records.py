"""Change records and aggregate folds of a spec over an event table, as Arrow tables.

:func:`evaluate` reads the outputs' steps and ramps (:mod:`engine.columnar`)
off as change records, and samples the aggregated timelines at their ticks
into *folds*: per aggregate, group and tick, the count, sum, min and max of
the keys of this table. Folds of disjoint sets of keys add up
(:func:`aggregate_records`), so partitions of the keys are evaluated apart.

Outputs and aggregates that use an operator without a columnar form are
evaluated by the incremental engine over the same events, into the same tables.

The change table: ``key`` (string), ``timeline`` (string), ``time`` (int64),
``value`` (the value as JSON text, ``null`` at a run's end), ``rate`` (int8,
null for state and boolean timelines), sorted by key, timeline and time.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from dsl import nodes
from dsl.aggregates import Aggregate
from dsl.plan import compile_plan
from dsl.spec import Spec
from engine.aggregate import AggregateCombiner
from engine.batch import group_by_key, run_key
from engine.columnar import Evaluation, Ramps, split_runs, uncovered
from engine.columnar_events import NULL, EventTable
from engine.incremental import Engine
from engine.values import canonical

CHANGES = pa.schema([("key", pa.string()), ("timeline", pa.string()), ("time", pa.int64()),
                     ("value", pa.string()), ("rate", pa.int8())])
FOLDS = pa.schema([("metric", pa.string()), ("group", pa.string()), ("time", pa.int64()),
                   ("count", pa.int64()), ("sum", pa.int64()), ("min", pa.int64()), ("max", pa.int64())])
_BOOLEANS = pa.array(["false", "true"])


@dataclass(frozen=True)
class Result:
    changes: pa.Table  # :data:`CHANGES`, sorted by key, timeline and time
    folds: pa.Table  # :data:`FOLDS`


def columnar_parts(spec: Spec) -> tuple[Spec, Spec]:
    """The spec's outputs and aggregates with a columnar form, and the others, as two specs."""
    def columnar(node: nodes.Node) -> bool:
        return not uncovered(node)

    outputs = tuple(name for name in spec.outputs if columnar(spec.timelines[name]))
    aggregates = tuple(a for a in spec.aggregates if columnar(a.timeline))
    rest = dataclasses.replace(spec, outputs=tuple(n for n in spec.outputs if n not in outputs),
                               aggregates=tuple(a for a in spec.aggregates if a not in aggregates))
    return dataclasses.replace(spec, outputs=outputs, aggregates=aggregates), rest


def coverage(spec: Spec) -> str:
    """What ``timeline check`` says of the columnar evaluator: which outputs and aggregates it leaves to the
    incremental engine, and for which operators."""
    _, rest = columnar_parts(spec)
    if not rest.outputs and not rest.aggregates:
        return "columnar: every output and aggregate"
    missing = sorted({name for node in [*(spec.timelines[n] for n in rest.outputs),
                                        *(a.timeline for a in rest.aggregates)] for name in uncovered(node)})
    names = ", ".join([*rest.outputs, *(a.name for a in rest.aggregates)])
    return f"columnar: {names} on the incremental engine (no columnar form: {', '.join(missing)})"


def evaluate(spec: Spec, events: EventTable) -> Result:
    """The change records and aggregate folds of ``spec`` over ``events``."""
    columnar, rest = columnar_parts(spec)
    evaluation = Evaluation(events, split_runs(events, spec.session_timeout_ms))
    changes = _change_table(evaluation, columnar, events.keys)
    folds = [_folds(evaluation, aggregate) for aggregate in columnar.aggregates]
    if rest.outputs or rest.aggregates:
        engine_changes, engine_folds = _engine_result(rest, events)
        changes = pa.concat_tables([changes, engine_changes]).sort_by(
            [("key", "ascending"), ("timeline", "ascending"), ("time", "ascending")])
        folds.append(engine_folds)
    return Result(changes, pa.concat_tables(folds) if folds else FOLDS.empty_table())


# --- change records -----------------------------------------------------------------


def _change_table(evaluation: Evaluation, spec: Spec, keys: list[str]) -> pa.Table:
    names = sorted(spec.outputs)
    parts = [_output_records(evaluation, spec.timelines[name], spec.session_timeout_ms is not None)
             for name in names]
    if not parts:
        return CHANGES.empty_table()
    key = np.concatenate([part[0] for part in parts])
    name = np.concatenate([np.full(len(part[0]), index, dtype=np.int64) for index, part in enumerate(parts)])
    time = np.concatenate([part[1] for part in parts])
    order = np.lexsort((time, name, key))
    value = pa.concat_arrays([part[2] for part in parts]).take(pa.array(order))
    rate = pa.concat_arrays([part[3] for part in parts]).take(pa.array(order))
    return pa.table([pa.array(keys, pa.string()).take(pa.array(key[order])),
                     pa.array(names, pa.string()).take(pa.array(name[order])),
                     pa.array(time[order]), value, rate], schema=CHANGES)


def _output_records(evaluation: Evaluation, node: nodes.Node, ends: bool):
    """(key index, time, value text, rate) of one output's records, run ends included."""
    runs = evaluation.runs
    pieces = evaluation.timeline(node)
    if isinstance(pieces, Ramps):
        keep = _ramp_changes(pieces)
        run, time = pieces.run[keep], pieces.time[keep]
        value = pc.cast(pa.array(pieces.value[keep]), pa.string())
        rate = pieces.rate[keep]
    else:
        run, time = pieces.run, pieces.time
        if pieces.column is not None:
            texts = [orjson.dumps(value).decode() for value in pieces.column.values] + ["null"]
            shown = np.where(pieces.shown == NULL, len(texts) - 1, pieces.shown)
            value = pa.array(texts, pa.string()).take(pa.array(shown))
        else:
            value = _BOOLEANS.take(pa.array(pieces.value))
        rate = None
    if ends:
        run = np.concatenate((run, np.arange(len(runs))))
        time = np.concatenate((time, runs.end))
        value = pa.concat_arrays([value, pa.array(["null"] * len(runs), pa.string())])
        rate = None if rate is None else np.concatenate((rate, np.zeros(len(runs), dtype=np.int64)))
    rates = pa.nulls(len(run), pa.int8()) if rate is None else pa.array(rate.astype(np.int8))
    return runs.key[run], time, value, rates


def _ramp_changes(ramps: Ramps) -> np.ndarray:
    """The pieces that start a run or differ from the one before extended to their start."""
    keep = np.ones(len(ramps.run), dtype=bool)
    before = np.arange(len(ramps.run) - 1)
    extended = ramps.at(before, ramps.time[1:])
    keep[1:] = (ramps.run[1:] != ramps.run[:-1]) | (extended != ramps.value[1:]) | (ramps.rate[:-1] != ramps.rate[1:])
    return keep


# --- aggregates --------------------------------------------------------------------


def _folds(evaluation: Evaluation, aggregate: Aggregate) -> pa.Table:
    """Per group and tick of ``aggregate``: count, sum, min and max of the active runs' values."""
    runs, every = evaluation.runs, aggregate.every_ms
    first = -(-runs.t0 // every) * every
    count = np.where(runs.end > first, (runs.end - 1 - first) // every + 1, 0)
    run = np.repeat(np.arange(len(runs)), count)
    starts = np.cumsum(count) - count
    tick = first[run] + every * (np.arange(len(run)) - starts[run])
    value = evaluation.value_at(aggregate.timeline, run, tick).astype(np.int64)
    classes, shown = [], []
    for column in aggregate.group_by:
        same, index = evaluation.steps_at(nodes.LatestEventToState(column), run, tick)
        classes.append(same)
        shown.append((evaluation.timeline(nodes.LatestEventToState(column)).column, index))
    order = np.lexsort((*reversed(classes), tick))
    tick, value = tick[order], value[order]
    classes = [same[order] for same in classes]
    boundary = np.ones(len(tick), dtype=bool)
    boundary[1:] = tick[1:] != tick[:-1]
    for same in classes:
        boundary[1:] |= same[1:] != same[:-1]
    first_of = np.flatnonzero(boundary)
    if not len(first_of):
        return FOLDS.empty_table()
    groups = [_group_text(aggregate, [(column, index[order][row]) for column, index in shown])
              for row in first_of.tolist()]
    return pa.table([pa.array([aggregate.name] * len(first_of), pa.string()), pa.array(groups, pa.string()),
                     pa.array(tick[first_of]), pa.array(np.diff(np.append(first_of, len(tick)))),
                     pa.array(np.add.reduceat(value, first_of)), pa.array(np.minimum.reduceat(value, first_of)),
                     pa.array(np.maximum.reduceat(value, first_of))], schema=FOLDS)


def _group_text(aggregate: Aggregate, shown) -> str:
    group = {name: canonical(column.values[index]) if index != NULL else None
             for name, (column, index) in zip(aggregate.group_by, shown)}
    return orjson.dumps(group).decode()


def aggregate_records(spec: Spec, folds: list[pa.Table]) -> list[dict]:
    """The aggregate records of folds of disjoint sets of keys, in ``timeline eval``'s order."""
    table = pa.concat_tables(folds) if folds else FOLDS.empty_table()
    if not len(table):
        return []
    combined = table.group_by(["metric", "group", "time"]).aggregate(
        [("count", "sum"), ("sum", "sum"), ("min", "min"), ("max", "max")])
    reported = {aggregate.name: aggregate.reported for aggregate in spec.aggregates}
    records = []
    for row in combined.to_pylist():
        count, total = row["count_sum"], row["sum_sum"]
        metrics = {"count": count, "sum": total, "avg": total / count, "min": row["min_min"], "max": row["max_max"]}
        records.append({"metric": row["metric"], "group": orjson.loads(row["group"]), "time": row["time"]}
                       | {metric: metrics[metric] for metric in reported[row["metric"]]})
    records.sort(key=lambda record: (record["metric"], orjson.dumps(record["group"]), record["time"]))
    return records


# --- the incremental engine, for operators without a columnar form ------------------------


def _engine_result(spec: Spec, events: EventTable) -> tuple[pa.Table, pa.Table]:
    engine = Engine(compile_plan(spec))
    combiner = AggregateCombiner(spec.aggregates)
    records = [record for key, key_events in group_by_key(events.events()).items()
               for record in combiner.take(key, run_key(engine, key_events))]
    changes = pa.table({
        "key": [record["key"] for record in records],
        "timeline": [record["timeline"] for record in records],
        "time": pa.array([record["time"] for record in records], pa.int64()),
        "value": [orjson.dumps(record["value"]).decode() for record in records],
        "rate": pa.array([record.get("rate") for record in records], pa.int8()),
    }, schema=CHANGES)
    folds = [(name, group, time, *fold[1:]) for (name, group, time), fold in combiner.folds.items()]
    return changes, pa.table([pa.array([fold[i] for fold in folds], FOLDS.field(i).type)
                              if i != 1 else pa.array([fold[1].decode() for fold in folds], pa.string())
                              for i in range(7)], schema=FOLDS)
