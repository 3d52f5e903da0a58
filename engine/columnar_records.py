"""Change records and aggregate folds of a spec over an event table, as Arrow tables.

:func:`evaluate` reads the outputs' steps and ramps (:mod:`engine.columnar`)
off as change records, and samples the aggregated timelines at their ticks
into *folds*: per aggregate, group and tick, the count, sum, min and max of
the keys of this table. Folds of disjoint sets of keys add up
(:func:`aggregate_records`), so partitions of the keys are evaluated apart.

Outputs and aggregates that use an operator without a columnar form are
evaluated by the incremental engine over the same events, into the same tables.

The change table: ``key`` (string), ``timeline`` (string), ``time`` (int64),
``value`` (the value as JSON text, ``null`` at a run's end), ``rate`` (the rate as
JSON text, null for state and boolean timelines), sorted by key, timeline and time.
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
from engine.incremental import Engine, to_record
from engine.ticks import Contribution
from engine.values import canonical

CHANGES = pa.schema([("key", pa.string()), ("timeline", pa.string()), ("time", pa.int64()),
                     ("value", pa.string()), ("rate", pa.string())])
FOLDS = pa.schema([("metric", pa.string()), ("group", pa.string()), ("time", pa.int64()),
                   ("count", pa.int64()), ("sum", pa.int64()), ("min", pa.int64()), ("max", pa.int64())])
_BOOLEANS = pa.array(["false", "true"])


@dataclass(frozen=True)
class Result:
    changes: pa.Table  # :data:`CHANGES`, sorted by key, timeline and time
    folds: pa.Table  # :data:`FOLDS`
    contributions: list[tuple[str, str, int, int]]  # if asked for: per run and tick (aggregate, group values
    # as a JSON array, tick, value), the elements of operators.aggregates.CONTRIBUTIONS


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


def evaluate(spec: Spec, events: EventTable, contributions: bool = False) -> Result:
    """The change records and aggregate folds of ``spec`` over ``events`` (and with ``contributions``, every
    run's contribution at every tick)."""
    columnar, rest = columnar_parts(spec)
    evaluation = Evaluation(events, split_runs(events, spec.session_timeout_ms))
    changes = _change_table(evaluation, columnar, events.keys)
    samples = [_samples(evaluation, aggregate) for aggregate in columnar.aggregates]
    folds = [sampled.folds() for sampled in samples]
    shares = [share for sampled in samples for share in sampled.contributions()] if contributions else []
    if rest.outputs or rest.aggregates:
        engine_changes, engine_shares = _engine_result(rest, events)
        changes = pa.concat_tables([changes, engine_changes]).sort_by(
            [("key", "ascending"), ("timeline", "ascending"), ("time", "ascending")])
        folds.append(_folds_of(rest, engine_shares))
        shares += engine_shares if contributions else []
    return Result(changes, pa.concat_tables(folds) if folds else FOLDS.empty_table(), shares)


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
    rates = pa.nulls(len(run), pa.string()) if rate is None else pc.cast(pa.array(rate), pa.string())
    return runs.key[run], time, value, rates


def _ramp_changes(ramps: Ramps) -> np.ndarray:
    """The pieces that start a run or differ from the one before extended to their start."""
    keep = np.ones(len(ramps.run), dtype=bool)
    before = np.arange(len(ramps.run) - 1)
    extended = ramps.at(before, ramps.time[1:])
    keep[1:] = (ramps.run[1:] != ramps.run[:-1]) | (extended != ramps.value[1:]) | (ramps.rate[:-1] != ramps.rate[1:])
    return keep


# --- aggregates --------------------------------------------------------------------


@dataclass(frozen=True)
class _Samples:
    """An aggregate's samples, one per run and tick, sorted by tick and group; ``first_of`` each (tick, group)."""

    aggregate: Aggregate
    tick: np.ndarray
    value: np.ndarray
    first_of: np.ndarray
    groups: list[tuple]  # per (tick, group): the group's values, canonical

    def folds(self) -> pa.Table:
        first_of, value = self.first_of, self.value
        if not len(first_of):
            return FOLDS.empty_table()
        names = self.aggregate.group_by
        groups = [orjson.dumps(dict(zip(names, values))).decode() for values in self.groups]
        return pa.table([pa.array([self.aggregate.name] * len(first_of), pa.string()), pa.array(groups, pa.string()),
                         pa.array(self.tick[first_of]), pa.array(np.diff(np.append(first_of, len(value)))),
                         pa.array(np.add.reduceat(value, first_of)), pa.array(np.minimum.reduceat(value, first_of)),
                         pa.array(np.maximum.reduceat(value, first_of))], schema=FOLDS)

    def contributions(self) -> list[tuple[str, str, int, int]]:
        """Each run's ``(aggregate, group, tick, value)``, as the incremental engine contributes them."""
        counts = np.diff(np.append(self.first_of, len(self.value))).tolist()
        texts = [orjson.dumps(values).decode() for values in self.groups]  # values in group_by order
        groups = [group for group, count in zip(texts, counts) for _ in range(count)]
        name = self.aggregate.name
        return [(name, group, tick, value) for group, tick, value in zip(groups, self.tick.tolist(), self.value.tolist())]


def _samples(evaluation: Evaluation, aggregate: Aggregate) -> _Samples:
    """Every active run's group and value at every tick of ``aggregate``, grouped by tick and group."""
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
    tick = tick[order]
    boundary = np.ones(len(tick), dtype=bool)
    boundary[1:] = tick[1:] != tick[:-1]
    for same in classes:
        boundary[1:] |= same[order][1:] != same[order][:-1]
    first_of = np.flatnonzero(boundary)
    first_shown = [(column, index[order][first_of].tolist()) for column, index in shown]
    groups = [tuple(canonical(column.values[indices[row]]) if indices[row] != NULL else None
                    for column, indices in first_shown) for row in range(len(first_of))]
    return _Samples(aggregate, tick, value[order], first_of, groups)


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


def _engine_result(spec: Spec, events: EventTable) -> tuple[pa.Table, list[tuple[str, str, int, int]]]:
    """The change records and the contributions of ``spec`` by the incremental engine."""
    engine = Engine(compile_plan(spec))
    records, shares = [], []
    for key, key_events in group_by_key(events.events()).items():
        for output in run_key(engine, key_events):
            if type(output) is Contribution:
                name, tick, group, value = output
                shares.append((name, orjson.dumps(group).decode(), tick, value))
            else:
                records.append(to_record(key, output))
    changes = pa.table({
        "key": [record["key"] for record in records],
        "timeline": [record["timeline"] for record in records],
        "time": pa.array([record["time"] for record in records], pa.int64()),
        "value": [orjson.dumps(record["value"]).decode() for record in records],
        "rate": [None if record.get("rate") is None else orjson.dumps(record["rate"]).decode() for record in records],
    }, schema=CHANGES)
    return changes, shares


def _folds_of(spec: Spec, shares: list[tuple[str, str, int, int]]) -> pa.Table:
    combiner = AggregateCombiner(spec.aggregates)
    for name, group, tick, value in shares:
        combiner.add(Contribution(name, tick, tuple(orjson.loads(group)), value))
    rows = [(name, group.decode(), tick, *fold[1:]) for (name, group, tick), fold in combiner.folds.items()]
    return pa.table([pa.array([row[i] for row in rows], FOLDS.field(i).type) for i in range(len(FOLDS))],
                    schema=FOLDS)
