"""Reference evaluator: the semantics of docs/semantics.md computed literally.

Events are split per key and into runs (a session timeout ends a run). Each
expression of a run is evaluated as a whole function of time over the run's
span ``[t0, end)``: boolean and state timelines as step lists
``[(start, value), ...]``, numeric timelines as ramps
``[(start, value_at_start, rate), ...]``. Every step list is built by sampling
the operator's definition at each instant where its value may change, so the
definitions below read like the documentation. Change records are read off
the finished lists. Aggregates sample the finished timelines of every run at
each tick and combine the samples of all runs.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from dsl.aggregates import Aggregate
from dsl.nodes import (
    And,
    Count,
    CountChanges,
    CountChangesWithin,
    CountWithin,
    DurationWhereWithin,
    FirstEventToState,
    If,
    Integral,
    Previous,
    TimeSince,
    Arithmetic,
    Compare,
    CompareTimelines,
    Constant,
    DurationInCurState,
    DurationWhere,
    FieldCompare,
    HasExisted,
    HasExistedWithin,
    Kind,
    LatestEventToState,
    Negate,
    Node,
    Not,
    Or,
    PredAnd,
    PredNot,
    PredOr,
)
from dsl.spec import Spec
from dsl.typecheck import kind_of
from engine.events import END_OF_TIME, event_key, event_time
from engine.records import aggregate_order, change_order
from engine import numbers
from engine.numbers import Exact
from engine.values import canonical, compare, same_value

Steps = list[tuple[int, Any]]
Ramp = tuple[int, "Exact | None", "Exact"]  # (start, value there or null, rate)
Ramps = list[Ramp]
Spans = list[tuple[int, "int | float"]]



def evaluate(spec: Spec, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change records of ``spec``'s outputs sorted by (key, timeline, time), then its aggregate records."""
    records = []
    samples: list[_Sample] = []
    for run in _runs(spec, events):
        evaluator = _RunEvaluator(run)
        for name in spec.outputs:
            records.extend(evaluator.records(name, spec.timelines[name]))
        for aggregate in spec.aggregates:
            samples.extend(evaluator.samples(aggregate))
    records.sort(key=change_order)
    return records + _aggregate_records(spec.aggregates, samples)


def value_at(spec: Spec, events: Iterable[dict[str, Any]], key: str, name: str, t: int) -> Any:
    """The value of timeline ``name`` of ``key`` at ``t``: None outside every run of the key."""
    for run in _runs(spec, events):
        if run.key == key and run.t0 <= t < run.end:
            node = spec.timelines[name]
            pieces = _RunEvaluator(run).timeline(node)
            return _ramp_at(pieces, t) if kind_of(node) is Kind.NUMBER else _value_at(pieces, t)
    return None


# --- runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One key's events, ``(time, event)`` in order, over the span ``[t0, end)``."""

    key: str
    events: list[tuple[int, dict[str, Any]]]
    end: int | float  # last event time + timeout, or math.inf without a timeout

    @property
    def t0(self) -> int:
        return self.events[0][0]


def _runs(spec: Spec, events: Iterable[dict[str, Any]]) -> Iterator[Run]:
    by_key: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for event in events:
        by_key[event_key(event, spec.key)].append((event_time(event, spec.time), event))
    for key, timed in by_key.items():
        timed.sort(key=lambda pair: pair[0])  # stable: equal times keep input order
        yield from _split_sessions(key, timed, spec.session_timeout_ms)


def _split_sessions(
    key: str, timed: list[tuple[int, dict[str, Any]]], timeout_ms: int | None
) -> Iterator[Run]:
    """Cut where the next event comes strictly after ``last time + timeout``."""
    if timeout_ms is None:
        yield Run(key, timed, math.inf)
        return
    first = 0
    for index in range(1, len(timed) + 1):
        last_time = timed[index - 1][0]
        if index == len(timed) or timed[index][0] > last_time + timeout_ms:
            yield Run(key, timed[first:index], last_time + timeout_ms)
            first = index


# --- timelines of one run --------------------------------------------------------


@dataclass
class _RunEvaluator:
    """Evaluates expressions over one run, each node once."""

    run: Run
    memo: dict[int, Steps | Ramps] = field(default_factory=dict)

    def records(self, name: str, node: Node) -> list[dict[str, Any]]:
        pieces = self.timeline(node)
        if kind_of(node) is Kind.NUMBER:
            return _ramp_records(self.run, name, pieces)
        return _step_records(self.run, name, pieces)

    def samples(self, aggregate: Aggregate) -> Iterator[_Sample]:
        """The run's group and value at each tick of ``aggregate`` in ``[t0, end)``."""
        run, every = self.run, aggregate.every_ms
        pieces = self.timeline(aggregate.timeline)
        value_at = _ramp_at if kind_of(aggregate.timeline) is Kind.NUMBER else _value_at
        groups = [_latest_event_to_state(run, column) for column in aggregate.group_by]
        first_tick = math.ceil(Fraction(run.t0, every)) * every
        for tick in range(first_tick, run.end, every):
            group = tuple(_value_at(steps, tick) for steps in groups)
            yield _Sample(aggregate.name, tick, group, int(value_at(pieces, tick)))

    def timeline(self, node: Node) -> Steps | Ramps:
        # Keyed by identity: a structural key would hash the whole sub-tree at every lookup.
        if id(node) not in self.memo:
            self.memo[id(node)] = self._compute(node)
        return self.memo[id(node)]

    def true_spans(self, condition: Node) -> Spans:
        """When an event predicate or a boolean timeline holds: ``(start, end)`` spans, in order.

        A match at ``m`` is the span ``(m, m)``; a span of a boolean timeline that is true on
        ``[s, e)`` is ``(s, e)``, with ``e`` infinite when it stays true for good.
        """
        if kind_of(condition) is Kind.PREDICATE:
            return [(m, m) for m in _matching_times(self.run, condition)]
        steps = self.timeline(condition)
        ends = [start for start, _ in steps[1:]] + [math.inf]
        return [(start, end) for (start, value), end in zip(steps, ends) if value]

    def _compute(self, node: Node) -> Steps | Ramps:
        return TIMELINES[type(node)](self, node)


def _sample(run: Run, instants: Iterable[int], value_at: Callable[[int], Any]) -> Steps:
    """The step list of ``value_at`` given every instant where it may change.

    ``value_at(t)`` is the value at ``t`` (all events at ``t`` applied); t0 is
    always sampled, instants at or after the run's end or the end of time are not, and
    consecutive equal values are merged.
    """
    steps: Steps = []
    for t in sorted({run.t0, *instants}):
        if t >= run.end or t >= END_OF_TIME:
            break
        value = value_at(t)
        if not steps or not same_value(steps[-1][1], value):
            steps.append((t, value))
    return steps


def _value_at(steps: Steps, t: int) -> Any:
    return steps[bisect_right(steps, t, key=lambda step: step[0]) - 1][1]


def _latest_event_to_state(run: Run, column: str) -> Steps:
    carrying = [(t, event[column]) for t, event in run.events if event.get(column) is not None]
    times = [t for t, _ in carrying]

    def value_at(t: int) -> Any:
        index = bisect_right(times, t)  # past every event at t: the last one wins
        return carrying[index - 1][1] if index else None

    return _sample(run, times, value_at)


def _has_existed(run: Run, matches: list[int]) -> Steps:
    first = matches[0] if matches else math.inf
    return _sample(run, matches[:1], lambda t: t >= first)


def _has_existed_within(run: Run, spans: Spans, window_ms: int) -> Steps:
    """True at t iff some span ``[s, e]`` has ``s <= t < e + window`` (spans are ordered and disjoint)."""
    starts = [start for start, _ in spans]

    def value_at(t: int) -> bool:
        index = bisect_right(starts, t)  # the latest span starting at or before t ends last
        return index > 0 and t < spans[index - 1][1] + window_ms

    return _sample(run, starts + [end + window_ms for _, end in spans], value_at)


def _pointwise(run: Run, combine: Callable[..., Any], *operands: Steps) -> Steps:
    instants = [start for steps in operands for start, _ in steps]
    return _sample(run, instants, lambda t: combine(*(_value_at(s, t) for s in operands)))


def _duration_where(steps: Steps) -> Ramps:
    ramps: Ramps = []
    for start, value in steps:
        elapsed = _ramp_at(ramps, start) if ramps else 0
        ramps.append((start, elapsed, 1 if value else 0))
    return ramps


def _ramp_covering(ramps: Ramps, t: int) -> Ramp:
    return ramps[bisect_right(ramps, t, key=lambda piece: piece[0]) - 1]


def _ramp_at(ramps: Ramps, t: int) -> Exact | None:
    start, value, rate = _ramp_covering(ramps, t)
    return numbers.at(value, rate, t - start)


def _piece_at(ramps: Ramps, t: int) -> tuple[Exact | None, Exact]:
    """The value and the rate at ``t``."""
    start, value, rate = _ramp_covering(ramps, t)
    return numbers.at(value, rate, t - start), rate


def _sample_ramps(run: Run, instants: Iterable[int], piece_at: Callable[[int], tuple[Exact | None, Exact]]) -> Ramps:
    """The ramps of ``piece_at`` (the value and rate at an instant) given every instant where it may change
    its course, as :func:`_sample` does for steps; a piece that goes on as the previous one is merged."""
    ramps: Ramps = []
    for t in sorted({run.t0, *instants}):
        if t >= run.end or t >= END_OF_TIME:
            break
        value, rate = piece_at(t)
        if not ramps or not numbers.continues(ramps[-1], t, value, rate):
            ramps.append((t, value, rate))
    return ramps


def _numeric(evaluator: _RunEvaluator, node: Node) -> Ramps:
    """The ramps of a numeric timeline, or of a state timeline's numeric values (others null)."""
    pieces = evaluator.timeline(node)
    if kind_of(node) is Kind.NUMBER:
        return pieces
    return [(start, numbers.exact(value), 0) for start, value in pieces]


def _combine(run: Run, combine: Callable[..., tuple[Exact, Exact]], *operands: Ramps) -> Ramps:
    """The pointwise ``combine((value, rate), ...)`` of numeric operands; null where one of them is."""
    def piece_at(t: int) -> tuple[Exact | None, Exact]:
        pieces = [_piece_at(ramps, t) for ramps in operands]
        if any(value is None for value, _ in pieces):
            return None, 0
        value, rate = combine(*pieces)
        return numbers.whole(value), numbers.whole(rate)

    return _sample_ramps(run, [start for ramps in operands for start, _, _ in ramps], piece_at)


_ARITHMETIC: dict[str, Callable[[tuple[Exact, Exact], tuple[Exact, Exact]], tuple[Exact, Exact]]] = {
    "+": lambda x, y: (x[0] + y[0], x[1] + y[1]),
    "-": lambda x, y: (x[0] - y[0], x[1] - y[1]),
    "*": lambda x, y: (x[0] * y[0], x[1] * y[0] + x[0] * y[1]),  # one side is a number: its rate is 0
    "/": lambda x, y: (Fraction(x[0]) / y[0], Fraction(x[1]) / y[0]),  # y: a number, not 0
}


def _arithmetic(evaluator: _RunEvaluator, node: Arithmetic) -> Ramps:
    left, right = _numeric(evaluator, node.left), _numeric(evaluator, node.right)
    return _combine(evaluator.run, _ARITHMETIC[node.op], left, right)


def _compare_ramps(run: Run, ramps: Ramps, op: str) -> Steps:
    """``ramps OP 0`` on right limits: the sign of ``value + rate·ε`` (null: false), changing at
    the first integer instant at or after an exact crossing."""
    instants = [start for start, _, _ in ramps]
    instants += [numbers.crossing(start, value, rate) for start, value, rate in ramps if value is not None]

    def value_at(t: int) -> bool:
        value, rate = _piece_at(ramps, t)
        return value is not None and compare(numbers.sign(value, rate), op, 0)

    return _sample(run, instants, value_at)


def _compare(evaluator: _RunEvaluator, node: Compare) -> Steps:
    if kind_of(node.operand) is Kind.NUMBER:
        constant = [(evaluator.run.t0, numbers.exact(node.literal), 0)]
        difference = _combine(evaluator.run, _ARITHMETIC["-"], evaluator.timeline(node.operand), constant)
        return _compare_ramps(evaluator.run, difference, node.op)
    holds = partial(compare, op=node.op, literal=node.literal)
    return _pointwise(evaluator.run, holds, evaluator.timeline(node.operand))


def _compare_timelines(evaluator: _RunEvaluator, node: CompareTimelines) -> Steps:
    run = evaluator.run
    if Kind.NUMBER in (kind_of(node.left), kind_of(node.right)):
        left, right = _numeric(evaluator, node.left), _numeric(evaluator, node.right)
        return _compare_ramps(run, _combine(run, _ARITHMETIC["-"], left, right), node.op)
    return _pointwise(run, lambda left, right: compare(left, node.op, right),
                      evaluator.timeline(node.left), evaluator.timeline(node.right))


def _constant(evaluator: _RunEvaluator, node: Constant) -> Steps | Ramps:
    if kind_of(node) is Kind.NUMBER:
        return [(evaluator.run.t0, numbers.exact(node.literal), 0)]
    return [(evaluator.run.t0, node.literal)]


def _counted(run: Run, instants: list[int], window_ms: int | None) -> Ramps:
    """How many of ``instants`` (sorted, repeats counting) are at or before t, or within ``(t - window, t]``."""
    def piece_at(t: int) -> tuple[int, int]:
        count = bisect_right(instants, t)
        return (count if window_ms is None else count - bisect_right(instants, t - window_ms)), 0

    expiries = [] if window_ms is None else [instant + window_ms for instant in instants]
    return _sample_ramps(run, instants + expiries, piece_at)


def _change_times(evaluator: _RunEvaluator, node: Node) -> list[int]:
    """The instants after t0 at which a state or boolean timeline changes value."""
    return [start for start, _ in evaluator.timeline(node)[1:]]


def _duration_where_within(run: Run, spans: Spans, window_ms: int) -> Ramps:
    """The time in ``[max(t0, t - window), t)`` covered by ``spans``; rate ``[b(t)] - [b(t - window)]``."""
    def holds(t: int) -> bool:
        return any(start <= t < end for start, end in spans)

    def piece_at(t: int) -> tuple[int, int]:
        low = max(run.t0, t - window_ms)
        value = sum(max(0, min(end, t) - max(start, low)) for start, end in spans)
        return value, int(holds(t)) - int(t - window_ms >= run.t0 and holds(t - window_ms))

    edges = [edge for span in spans for edge in span if edge < math.inf]
    return _sample_ramps(run, edges + [edge + window_ms for edge in edges], piece_at)


def _time_since(run: Run, spans: Spans) -> Ramps:
    """Null before the first span; 0 within a span; ``t - end`` of the latest span after it."""
    starts = [start for start, _ in spans]

    def piece_at(t: int) -> tuple[int | None, int]:
        index = bisect_right(starts, t)
        if index == 0:
            return None, 0
        end = spans[index - 1][1]
        return (0, 0) if t < end else (t - end, 1)

    return _sample_ramps(run, [edge for span in spans for edge in span if edge < math.inf], piece_at)


def _first_event_to_state(run: Run, column: str) -> Steps:
    carrying = [(t, event[column]) for t, event in run.events if event.get(column) is not None]
    first = carrying[0] if carrying else (math.inf, None)
    return _sample(run, [first[0]] if carrying else [], lambda t: first[1] if t >= first[0] else None)


def _previous(run: Run, steps: Steps) -> Steps:
    """At t: the value of the step before the one covering t (null during the first)."""
    def value_at(t: int) -> Any:
        index = bisect_right(steps, t, key=lambda step: step[0]) - 1
        return steps[index - 1][1] if index > 0 else None

    return _sample(run, [start for start, _ in steps], value_at)


def _if(evaluator: _RunEvaluator, node: If) -> Steps | Ramps:
    run, condition = evaluator.run, evaluator.timeline(node.condition)
    if kind_of(node) is Kind.NUMBER:
        branches = evaluator.timeline(node.then), evaluator.timeline(node.otherwise)
        instants = [start for start, _ in condition] + [piece[0] for ramps in branches for piece in ramps]
        return _sample_ramps(run, instants, lambda t: _piece_at(branches[0 if _value_at(condition, t) else 1], t))

    def branch(operand: Node) -> Steps:  # a literal of a state timeline is its value, whatever its type
        return [(run.t0, operand.literal)] if isinstance(operand, Constant) else evaluator.timeline(operand)

    return _pointwise(run, lambda holds, then, otherwise: then if holds else otherwise,
                      condition, branch(node.then), branch(node.otherwise))


def _integral(run: Run, ramps: Ramps) -> Ramps:
    """The integral from t0 of a flat timeline (null counting as 0): rising at the operand's value."""
    integral: Ramps = []
    for start, value, _ in ramps:
        total = _ramp_at(integral, start) if integral else 0
        integral.append((start, total, 0 if value is None else value))
    return _sample_ramps(run, [start for start, _, _ in integral], lambda t: _piece_at(integral, t))


TIMELINES: dict[type[Node], Callable[[_RunEvaluator, Any], Steps | Ramps]] = {
    LatestEventToState: lambda e, node: _latest_event_to_state(e.run, node.column),
    HasExisted: lambda e, node: _has_existed(e.run, [start for start, _ in e.true_spans(node.predicate)]),
    HasExistedWithin: lambda e, node: _has_existed_within(e.run, e.true_spans(node.predicate), node.window_ms),
    Not: lambda e, node: _pointwise(e.run, lambda value: not value, e.timeline(node.operand)),
    And: lambda e, node: _pointwise(e.run, lambda left, right: left and right,
                                    e.timeline(node.left), e.timeline(node.right)),
    Or: lambda e, node: _pointwise(e.run, lambda left, right: left or right,
                                   e.timeline(node.left), e.timeline(node.right)),
    Compare: _compare,
    CompareTimelines: _compare_timelines,
    Constant: _constant,
    Arithmetic: _arithmetic,
    Negate: lambda e, node: _combine(e.run, lambda x: (-x[0], -x[1]), _numeric(e, node.operand)),
    DurationWhere: lambda e, node: _duration_where(e.timeline(node.operand)),
    Count: lambda e, node: _counted(e.run, _matching_times(e.run, node.predicate), None),
    CountWithin: lambda e, node: _counted(e.run, _matching_times(e.run, node.predicate), node.window_ms),
    CountChanges: lambda e, node: _counted(e.run, _change_times(e, node.operand), None),
    CountChangesWithin: lambda e, node: _counted(e.run, _change_times(e, node.operand), node.window_ms),
    DurationWhereWithin: lambda e, node: _duration_where_within(e.run, e.true_spans(node.operand), node.window_ms),
    TimeSince: lambda e, node: _time_since(e.run, e.true_spans(node.predicate)),
    FirstEventToState: lambda e, node: _first_event_to_state(e.run, node.column),
    Previous: lambda e, node: _previous(e.run, e.timeline(node.operand)),
    If: _if,
    Integral: lambda e, node: _integral(e.run, _numeric(e, node.operand)),
    DurationInCurState: lambda e, node: [(start, 0, 1) for start, _ in e.timeline(node.operand)],
}
"""The definition of each timeline node type, over one run: step lists, or ramps for numeric timelines."""


# --- predicates -------------------------------------------------------------------


def _matching_times(run: Run, predicate: Node) -> list[int]:
    return [t for t, event in run.events if _matches(predicate, event)]


def _matches(predicate: Node, event: dict[str, Any]) -> bool:
    return PREDICATES[type(predicate)](predicate, event)


PREDICATES: dict[type[Node], Callable[[Any, dict[str, Any]], bool]] = {
    FieldCompare: lambda p, event: compare(event.get(p.column), p.op, p.literal),
    PredNot: lambda p, event: not _matches(p.operand, event),
    PredAnd: lambda p, event: _matches(p.left, event) and _matches(p.right, event),
    PredOr: lambda p, event: _matches(p.left, event) or _matches(p.right, event),
}
"""Whether an event matches a predicate, per predicate node type."""


# --- change records ---------------------------------------------------------------


def _step_records(run: Run, name: str, steps: Steps) -> list[dict[str, Any]]:
    records = []
    for start, value in steps:
        if not records or not same_value(records[-1]["value"], value):
            records.append(_record(run, name, start, value))
    if run.end < math.inf:
        records.append(_record(run, name, run.end, None))
    return records


def _ramp_records(run: Run, name: str, ramps: Ramps) -> list[dict[str, Any]]:
    records = []
    previous = None
    for ramp in ramps:
        start, value, rate = ramp
        if previous is None or not numbers.continues(previous, start, value, rate):
            records.append(_record(run, name, start, numbers.shown(value), rate=numbers.shown(rate)))
            previous = ramp
    if run.end < math.inf:
        records.append(_record(run, name, run.end, None, rate=0))
    return records


def _record(run: Run, name: str, time: int, value: Any, **rate: int) -> dict[str, Any]:
    return {"key": run.key, "timeline": name, "time": time, "value": value, **rate}


# --- aggregates -------------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    """One run's group and timeline value (booleans as 0/1) at one tick of an aggregate."""

    aggregate: str
    tick: int
    group: tuple[Any, ...]
    value: int


def _aggregate_records(aggregates: tuple[Aggregate, ...], samples: list[_Sample]) -> list[dict[str, Any]]:
    """Per aggregate, tick and group of the same values: the metrics of the sampled values."""
    records = []
    for aggregate in aggregates:
        by_tick: dict[int, list[_Sample]] = defaultdict(list)
        for sample in samples:
            if sample.aggregate == aggregate.name:
                by_tick[sample.tick].append(sample)
        for tick, at_tick in by_tick.items():
            for group, values in _same_groups(at_tick):
                shown = {column: canonical(value) for column, value in zip(aggregate.group_by, group)}
                metrics = _metrics(values)
                reported = {metric: metrics[metric] for metric in aggregate.reported}
                records.append({"metric": aggregate.name, "group": shown, "time": tick, **reported})
    records.sort(key=aggregate_order)
    return records


def _same_groups(samples: list[_Sample]) -> list[tuple[tuple[Any, ...], list[int]]]:
    """The samples' values split by group; groups whose values are all the same values are one."""
    groups: list[tuple[tuple[Any, ...], list[int]]] = []
    for sample in samples:
        for group, values in groups:
            if all(same_value(a, b) for a, b in zip(group, sample.group)):
                values.append(sample.value)
                break
        else:
            groups.append((sample.group, [sample.value]))
    return groups


def _metrics(values: list[int]) -> dict[str, int | float]:
    total = sum(values)
    count = len(values)
    return {"count": count, "sum": total, "avg": total / count, "min": min(values), "max": max(values)}
