"""The columnar evaluator: every key's timelines at once, with NumPy over sorted arrays.

The events of an :class:`~engine.columnar_events.EventTable` are cut into runs
(docs/semantics.md, sessions); each expression then becomes, for all runs at
once, arrays sorted by run and time:

- :class:`Steps` for boolean and state timelines: the instants where the value
  changes (t0 of every run included) and the value from each on;
- :class:`Ramps` for numeric timelines: the start, value at the start and
  rate of each piece.

Operators are entries of :data:`OPERATORS` (timelines) and :data:`PREDICATES`
(event predicates): a function of the evaluation and the node. Each samples its
definition at every instant where its value may change -- event instants,
window ends, crossings -- with forward fills (:func:`last_at_or_before`),
cumulative sums and lookups of per-value tables, and keeps the instants where
the value changes: the same steps as :mod:`engine.reference` computes run by
run. An expression with an operator missing from the tables has no columnar
form (:func:`uncovered`); :mod:`engine.columnar_records` evaluates those
outputs with the incremental engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from dsl import nodes
from engine.columnar_events import NULL, EventTable, ValueColumn
from engine.events import END_OF_TIME
from engine.values import compare, value_class

_OPS_TRUE_JUST_ABOVE = frozenset((">", ">=", "!="))
_INT64 = np.int64


@dataclass(frozen=True)
class Runs:
    """The runs of the events' keys: per run its key, t0 and end; per event its run."""

    key: np.ndarray
    t0: np.ndarray
    end: np.ndarray  # last event time + timeout; END_OF_TIME without a timeout
    of_event: np.ndarray
    stride: int | None  # more than any run's span, when all runs' spans laid end to end fit an int64

    def __len__(self) -> int:
        return len(self.t0)

    def position(self, run: np.ndarray, time: np.ndarray) -> np.ndarray:
        """``(run, time)`` within the run's span as one int64 that sorts as the pair does (needs a stride)."""
        return run * self.stride + (time - self.t0[run])


def split_runs(events: EventTable, timeout_ms: int | None) -> Runs:
    """Cut each key's events where the next one comes after ``last time + timeout``."""
    key, time = events.key, events.time
    starts = np.ones(len(time), dtype=bool)
    starts[1:] = key[1:] != key[:-1]
    if timeout_ms is not None:
        starts[1:] |= time[1:] > time[:-1] + timeout_ms
    first = np.flatnonzero(starts)
    last = np.append(first[1:], len(time))[:len(first)] - 1
    end = time[last] + timeout_ms if timeout_ms is not None else np.full(len(first), END_OF_TIME, _INT64)
    t0 = time[first]
    span = int((end - t0).max(initial=0)) + 1
    stride = span if timeout_ms is not None and span * (len(first) + 1) < 2**62 else None
    return Runs(key[first], t0, end, np.cumsum(starts) - 1, stride)


@dataclass(frozen=True)
class Steps:
    """A boolean or state timeline of every run: ``value`` from ``time`` on, until the run's next step.

    ``value`` is 0 or 1 for booleans, the same-value class for states (-1: null);
    a state's ``shown`` is the index in ``column.values`` of its value at the step.
    """

    run: np.ndarray
    time: np.ndarray
    value: np.ndarray
    shown: np.ndarray | None = None
    column: ValueColumn | None = None


@dataclass(frozen=True)
class Ramps:
    """A numeric timeline of every run: ``value + rate * (t - time)`` from ``time`` on."""

    run: np.ndarray
    time: np.ndarray
    value: np.ndarray
    rate: np.ndarray

    def at(self, index: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.value[index] + self.rate[index] * (t - self.time[index])


# --- array primitives ------------------------------------------------------------


def changes(run: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Where a run starts or its value differs from the one before."""
    keep = np.ones(len(run), dtype=bool)
    keep[1:] = (run[1:] != run[:-1]) | (value[1:] != value[:-1])
    return keep


def last_flagged(flag: np.ndarray, run: np.ndarray) -> np.ndarray:
    """Per row of sorted rows, the last row at or before it in its run with ``flag`` set (-1: none)."""
    if not len(flag):
        return np.empty(0, dtype=_INT64)
    last = np.maximum.accumulate(np.where(flag, np.arange(len(flag)), -1))
    seen = last >= 0
    seen[seen] = run[last[seen]] == run[seen]
    return np.where(seen, last, -1)


def gathered(values: np.ndarray, index: np.ndarray, missing: int) -> np.ndarray:
    """``values[index]``, and ``missing`` where the index is -1."""
    if not len(values):
        return np.full(len(index), missing, dtype=_INT64)
    return np.where(index >= 0, values[np.maximum(index, 0)], missing)


def last_at_or_before(runs: Runs, points_run: np.ndarray, points_time: np.ndarray,
                      query_run: np.ndarray, query_time: np.ndarray) -> np.ndarray:
    """For each query, the last point of its run at or before its time (-1: none); points sorted by run
    and time, all within their runs' spans."""
    if runs.stride is not None:
        found = np.searchsorted(runs.position(points_run, points_time), runs.position(query_run, query_time),
                                side="right") - 1
        same = found >= 0
        same[same] = points_run[found[same]] == query_run[same]
        return np.where(same, found, -1)
    count = len(points_run)
    tag = np.concatenate((np.zeros(count, dtype=np.int8), np.ones(len(query_run), dtype=np.int8)))
    run = np.concatenate((points_run, query_run))
    order = np.lexsort((tag, np.concatenate((points_time, query_time)), run))
    found = last_flagged(order < count, run[order])
    result = np.empty(len(query_run), dtype=_INT64)
    is_query = order >= count
    hits = found[is_query]
    result[order[is_query] - count] = np.where(hits >= 0, order[np.maximum(hits, 0)], -1)
    return result


def instants(runs: Runs, run: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(run, time)`` with every run's t0, sorted and distinct, without those at or after the run's end
    (or the end of time)."""
    run = np.concatenate((np.arange(len(runs), dtype=_INT64), run))
    time = np.concatenate((runs.t0, time))
    inside = time < runs.end[run]
    run, time = run[inside], time[inside]
    if runs.stride is not None:
        position = np.unique(runs.position(run, time))
        run = position // runs.stride
        return run, position - run * runs.stride + runs.t0[run]
    order = np.lexsort((time, run))
    run, time = run[order], time[order]
    distinct = np.ones(len(run), dtype=bool)
    distinct[1:] = (run[1:] != run[:-1]) | (time[1:] != time[:-1])
    return run[distinct], time[distinct]


def kept(run: np.ndarray, time: np.ndarray, value: np.ndarray, shown: np.ndarray | None = None,
         column: ValueColumn | None = None) -> Steps:
    """The steps of a timeline sampled at sorted instants: the samples where its value changes."""
    keep = changes(run, value)
    return Steps(run[keep], time[keep], value[keep], None if shown is None else shown[keep], column)


def _table(values: list[Any], holds: Callable[[Any], bool]) -> np.ndarray:
    """``holds`` of each value, and of null (looked up at index -1)."""
    return np.array([holds(value) for value in values] + [holds(None)], dtype=bool)


# --- evaluation ----------------------------------------------------------------


@dataclass
class Evaluation:
    """One evaluation of expressions over an event table, each node once."""

    events: EventTable
    runs: Runs
    memo: dict[nodes.Node, Steps | Ramps] = field(default_factory=dict)

    def timeline(self, node: nodes.Node) -> Steps | Ramps:
        if node not in self.memo:
            self.memo[node] = OPERATORS[type(node)](self, node)
        return self.memo[node]

    def matches(self, predicate: nodes.Node) -> np.ndarray:
        """Per event, whether it matches ``predicate``."""
        return PREDICATES[type(predicate)](self, predicate)

    def event_instants(self) -> np.ndarray:
        """The rows that are the last event of their run at their time: the value after the instant."""
        run, time = self.runs.of_event, self.events.time
        last = np.ones(len(run), dtype=bool)
        last[:-1] = (run[1:] != run[:-1]) | (time[1:] != time[:-1])
        return np.flatnonzero(last)

    def value_at(self, node: nodes.Node, run: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The value of a boolean or numeric timeline at ``(run, t)`` (booleans as 0/1), t within each run."""
        pieces = self.timeline(node)
        index = last_at_or_before(self.runs, pieces.run, pieces.time, run, t)
        if isinstance(pieces, Ramps):
            return pieces.at(index, t)
        return pieces.value[index]

    def steps_at(self, node: nodes.Node, run: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A state timeline's (same-value class, shown value index) at ``(run, t)``."""
        steps = self.timeline(node)
        index = last_at_or_before(self.runs, steps.run, steps.time, run, t)
        return steps.value[index], steps.shown[index]


# --- event predicates -----------------------------------------------------------


def _field_compare(evaluation: Evaluation, node: nodes.FieldCompare) -> np.ndarray:
    column = evaluation.events.columns.get(node.column)
    if column is None:
        return np.zeros(len(evaluation.events), dtype=bool)
    return _table(column.values, lambda value: compare(value, node.op, node.literal))[column.codes]


PREDICATES: dict[type, Callable[[Evaluation, Any], np.ndarray]] = {
    nodes.FieldCompare: _field_compare,
    nodes.PredNot: lambda evaluation, node: ~evaluation.matches(node.operand),
    nodes.PredAnd: lambda evaluation, node: evaluation.matches(node.left) & evaluation.matches(node.right),
    nodes.PredOr: lambda evaluation, node: evaluation.matches(node.left) | evaluation.matches(node.right),
}


# --- timeline operators ----------------------------------------------------------


def _latest_event_to_state(evaluation: Evaluation, node: nodes.LatestEventToState) -> Steps:
    """At each event instant, the value of the last event up to it that has the column."""
    rows = evaluation.event_instants()
    run = evaluation.runs.of_event
    column = evaluation.events.columns.get(node.column)
    if column is None:
        column = ValueColumn(np.full(len(run), NULL, dtype=_INT64), [], np.empty(0, dtype=_INT64))
    carrier = last_flagged(column.codes != NULL, run)[rows]
    shown = gathered(column.codes, carrier, NULL)
    value = gathered(column.same, shown, NULL)
    return kept(run[rows], evaluation.events.time[rows], value, shown, column)


def _has_existed(evaluation: Evaluation, node: nodes.HasExisted) -> Steps:
    """At each event instant, whether a match came at or before it."""
    rows = evaluation.event_instants()
    run = evaluation.runs.of_event
    seen = last_flagged(evaluation.matches(node.predicate), run)[rows] >= 0
    return kept(run[rows], evaluation.events.time[rows], seen.astype(_INT64))


def _has_existed_within(evaluation: Evaluation, node: nodes.HasExistedWithin) -> Steps:
    """At t0, each match and each window end: whether the latest match at or before is less than d ago."""
    matching = evaluation.matches(node.predicate)
    match_run, match_time = evaluation.runs.of_event[matching], evaluation.events.time[matching]
    run, t = instants(evaluation.runs, np.concatenate((match_run, match_run)),
                      np.concatenate((match_time, match_time + node.window_ms)))
    latest = last_at_or_before(evaluation.runs, match_run, match_time, run, t)
    inside = t < gathered(match_time + node.window_ms, latest, -1)
    return kept(run, t, inside.astype(_INT64))


def _not(evaluation: Evaluation, node: nodes.Not) -> Steps:
    steps = evaluation.timeline(node.operand)
    return kept(steps.run, steps.time, 1 - steps.value)


def _pointwise(combine: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[Evaluation, Any], Steps]:
    """An operator of two boolean timelines, sampled at the steps of both."""

    def operator(evaluation: Evaluation, node: nodes.Node) -> Steps:
        left, right = evaluation.timeline(node.left), evaluation.timeline(node.right)
        run, t = instants(evaluation.runs, np.concatenate((left.run, right.run)),
                          np.concatenate((left.time, right.time)))
        value = combine(evaluation.value_at(node.left, run, t), evaluation.value_at(node.right, run, t))
        return kept(run, t, value)

    return operator


def _compare(evaluation: Evaluation, node: nodes.Compare) -> Steps:
    operand = evaluation.timeline(node.operand)
    if isinstance(operand, Ramps):
        return _compare_ramps(evaluation, operand, node.op, node.literal)
    holds = lambda value: compare(value, node.op, node.literal)  # noqa: E731
    if operand.column is not None:  # a state: look each distinct value up once
        table = _table(operand.column.values, holds)[operand.shown]
    else:
        table = np.array([holds(False), holds(True)])[operand.value]
    return kept(operand.run, operand.time, table.astype(_INT64))


def _compare_ramps(evaluation: Evaluation, ramps: Ramps, op: str, literal: Any) -> Steps:
    """``ramps OP literal`` on right limits, sampled at each piece's start and where a rising one crosses."""
    if value_class(literal) != "number":  # false everywhere, as compare() is
        return kept(*instants(evaluation.runs, ramps.run[:0], ramps.time[:0]),
                    np.zeros(len(evaluation.runs), dtype=_INT64))
    # values are never negative and stay below the end of time, so a literal cut to [-1, END_OF_TIME]
    # orders against every value as the literal itself does, and is never equal to one that it is not
    bound = min(max(int(literal), -1), END_OF_TIME)
    rising = ramps.rate == 1
    gap = np.maximum(bound - ramps.value[rising], 0)
    start = ramps.time[rising]
    reachable = gap < END_OF_TIME - start
    crossing = start[reachable] + gap[reachable]
    run, t = instants(evaluation.runs, np.concatenate((ramps.run, ramps.run[rising][reachable])),
                      np.concatenate((ramps.time, crossing)))
    index = last_at_or_before(evaluation.runs, ramps.run, ramps.time, run, t)
    value, rate = ramps.at(index, t), ramps.rate[index]
    holds = _compared(value, op, bound)
    at_literal = (rate == 1) & (value == bound)
    holds[at_literal] = op in _OPS_TRUE_JUST_ABOVE
    return kept(run, t, holds.astype(_INT64))


def _compared(value: np.ndarray, op: str, bound: int) -> np.ndarray:
    return {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
            ">": np.greater, ">=": np.greater_equal}[op](value, np.int64(bound))


def _duration_where(evaluation: Evaluation, node: nodes.DurationWhere) -> Ramps:
    """Rate 1 on the true steps; each step starts at the time accumulated in its run so far."""
    steps = evaluation.timeline(node.operand)
    run, time, rate = steps.run, steps.time, steps.value
    piece = np.zeros(len(run), dtype=_INT64)
    same_run = run[1:] == run[:-1]
    piece[1:] = np.where(same_run, rate[:-1] * (time[1:] - time[:-1]), 0)
    total = np.cumsum(piece)  # wraps around past 2^63 alike in both terms of the difference below
    first = np.flatnonzero(np.concatenate(([True], ~same_run)))
    run_start = np.repeat(first, np.diff(np.append(first, len(run))))
    return Ramps(run, time, total - total[run_start], rate)


def _duration_in_cur_state(evaluation: Evaluation, node: nodes.DurationInCurState) -> Ramps:
    steps = evaluation.timeline(node.operand)
    return Ramps(steps.run, steps.time, np.zeros(len(steps.run), dtype=_INT64),
                 np.ones(len(steps.run), dtype=_INT64))


OPERATORS: dict[type, Callable[[Evaluation, Any], Steps | Ramps]] = {
    nodes.LatestEventToState: _latest_event_to_state,
    nodes.HasExisted: _has_existed,
    nodes.HasExistedWithin: _has_existed_within,
    nodes.Not: _not,
    nodes.And: _pointwise(np.minimum),
    nodes.Or: _pointwise(np.maximum),
    nodes.Compare: _compare,
    nodes.DurationWhere: _duration_where,
    nodes.DurationInCurState: _duration_in_cur_state,
}
"""The operators with a columnar form; an expression using any other runs on the incremental engine."""


def _over_events(node: nodes.HasExisted | nodes.HasExistedWithin) -> bool:
    return type(node.predicate) in PREDICATES


def _whole_if_numeric(node: nodes.Compare) -> bool:
    fractional = isinstance(node.literal, float) and not node.literal.is_integer()
    return not (fractional and type(node.operand) in (nodes.DurationWhere, nodes.DurationInCurState))


_FORMS: dict[type, Callable[[Any], bool]] = {
    nodes.HasExisted: _over_events,
    nodes.HasExistedWithin: _over_events,
    nodes.Compare: _whole_if_numeric,
}
"""The operators whose entry covers only some of their forms: a node of another form has none."""


def uncovered(node: nodes.Node) -> list[str]:
    """The operators of ``node`` without a columnar form (names of node classes, sorted)."""
    missing: set[str] = set()
    stack = [node]
    while stack:
        top = stack.pop()
        covered = type(top) in OPERATORS or type(top) in PREDICATES
        if not covered or not _FORMS.get(type(top), bool)(top):
            missing.add(type(top).__name__)
        stack.extend(nodes.children(top))
    return sorted(missing)
