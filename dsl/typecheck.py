"""Type checking of a spec's timelines: resolve references, give each node a Kind."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterator, Mapping

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
    Literal,
    Negate,
    Node,
    Not,
    Or,
    PredAnd,
    PredNot,
    PredOr,
    Ref,
    child_fields,
    children,
    depth,
)
from dsl.errors import SpecError, did_you_mean
from dsl.parser import FUNCTION_OF, MAX_DEPTH
from dsl.render import render

MAX_EXPANDED_NODES = 2_000
"""Largest expression accepted once references are expanded (sharing makes it cheap to evaluate, but
references that repeat each other grow exponentially)."""


@dataclass(frozen=True)
class CheckedTimelines:
    """Timelines with references replaced by the referenced tree, and their kinds."""

    timelines: dict[str, Node]
    kinds: dict[str, Kind]


@dataclass(frozen=True)
class _Rule:
    """The kind a node has, the kinds it accepts for its sub-expressions, and what else it requires.

    ``problem(node, operand_kinds)`` says what is wrong with a node whose operands have the right
    kinds (the operand kinds by field name), or None.
    """

    result: Kind | Callable[[Any], Kind]  # a callable: the kind depends on the node (its literal)
    operands: tuple[Kind, ...] = ()
    expectation: str = ""
    problem: Callable[[Any, dict[str, Kind]], str | None] = lambda node, kinds: None

    def mismatch(self, found: Kind) -> str:
        expected = self.expectation or f"expected {_a(self.operands[0])}"
        return f"{expected}, got {_a(found)}"


def _window_problem(node: Any, _: dict[str, Kind]) -> str | None:
    """The problem of a window (``window_ms``) that is not a positive whole number of milliseconds."""
    window = node.window_ms
    if type(window) is not int or window <= 0:
        return f"{FUNCTION_OF[type(node)]} needs a positive window in milliseconds, got {window!r}"
    return None


_CONDITION = (Kind.PREDICATE, Kind.BOOL)
_NUMERIC_OPERAND = (Kind.NUMBER, Kind.STATE)  # a state timeline is its numeric values (others null)
_EXPECTED_NUMERIC = "arithmetic needs numeric or state timelines and numbers"
_STATE_OR_BOOL = (Kind.STATE, Kind.BOOL)
_EXPECTED_STATE_OR_BOOL = "expected a state or boolean timeline"
_LITERAL_KINDS = {int: Kind.NUMBER, float: Kind.NUMBER, str: Kind.STATE, bool: Kind.BOOL}

FLAT_NUMERIC = (Count, CountWithin, CountChanges, CountChangesWithin)
"""The numeric operators whose rate is always 0."""

WHOLE_NUMERIC = (DurationWhere, DurationInCurState, DurationWhereWithin, *FLAT_NUMERIC)
"""The numeric operators whose values are always whole numbers, never null: those an aggregate sums."""
DURATIONS = (DurationWhere, DurationInCurState, DurationWhereWithin, TimeSince)
"""The numeric operators whose values are durations in milliseconds (shown as such)."""
_EXPECTED_CONDITION = "expected an event predicate or a boolean timeline"

RULES: dict[type[Node], _Rule] = {
    FieldCompare: _Rule(Kind.PREDICATE),
    PredNot: _Rule(Kind.PREDICATE, (Kind.PREDICATE,)),
    PredAnd: _Rule(Kind.PREDICATE, (Kind.PREDICATE,)),
    PredOr: _Rule(Kind.PREDICATE, (Kind.PREDICATE,)),
    LatestEventToState: _Rule(Kind.STATE),
    HasExisted: _Rule(Kind.BOOL, _CONDITION, _EXPECTED_CONDITION),
    HasExistedWithin: _Rule(Kind.BOOL, _CONDITION, _EXPECTED_CONDITION, _window_problem),
    DurationWhere: _Rule(Kind.NUMBER, (Kind.BOOL,)),
    DurationInCurState: _Rule(
        Kind.NUMBER, (Kind.STATE, Kind.BOOL), "duration_in_cur_state needs a state or boolean timeline"
    ),
    Not: _Rule(Kind.BOOL, (Kind.BOOL,)),
    And: _Rule(Kind.BOOL, (Kind.BOOL,)),
    Or: _Rule(Kind.BOOL, (Kind.BOOL,)),
    Compare: _Rule(
        Kind.BOOL, (Kind.STATE, Kind.BOOL, Kind.NUMBER), "a comparison needs a timeline on its left",
        lambda node, kinds: _comparison_problem(kinds["operand"], node.op, node.literal),
    ),
    CompareTimelines: _Rule(
        Kind.BOOL, (Kind.STATE, Kind.BOOL, Kind.NUMBER), "a comparison needs timelines on both sides",
        lambda node, kinds: _timelines_comparison_problem(kinds["left"], node.op, kinds["right"]),
    ),
    Constant: _Rule(lambda node: _LITERAL_KINDS[type(node.literal)]),
    Arithmetic: _Rule(Kind.NUMBER, _NUMERIC_OPERAND, _EXPECTED_NUMERIC, lambda node, _: _arithmetic_problem(node)),
    Negate: _Rule(Kind.NUMBER, _NUMERIC_OPERAND, _EXPECTED_NUMERIC, lambda node, _: _non_numbers(node)),
    Count: _Rule(Kind.NUMBER, (Kind.PREDICATE,)),
    CountWithin: _Rule(Kind.NUMBER, (Kind.PREDICATE,), problem=_window_problem),
    CountChanges: _Rule(Kind.NUMBER, _STATE_OR_BOOL, _EXPECTED_STATE_OR_BOOL),
    CountChangesWithin: _Rule(Kind.NUMBER, _STATE_OR_BOOL, _EXPECTED_STATE_OR_BOOL, _window_problem),
    DurationWhereWithin: _Rule(Kind.NUMBER, (Kind.BOOL,), problem=_window_problem),
    TimeSince: _Rule(Kind.NUMBER, _CONDITION, _EXPECTED_CONDITION),
    FirstEventToState: _Rule(Kind.STATE),
    Previous: _Rule(Kind.STATE, _STATE_OR_BOOL, _EXPECTED_STATE_OR_BOOL),
    If: _Rule(lambda node: kind_of(node.otherwise if isinstance(node.then, Constant) else node.then),
              (Kind.BOOL, Kind.STATE, Kind.NUMBER), "if needs a boolean timeline, then two timelines or literals",
              lambda node, kinds: _if_problem(node, kinds)),
    Integral: _Rule(Kind.NUMBER, _NUMERIC_OPERAND, _EXPECTED_NUMERIC, lambda node, _: _integral_problem(node)),
}
"""The kind rule of each node type but ``Ref`` (references are resolved first)."""


def kind_of(node: Node) -> Kind:
    """The kind of an expression node (references resolved): the one table of the algebra's kind rules."""
    result = RULES[type(node)].result
    return result if isinstance(result, Kind) else result(node)


def check_timelines(timelines: Mapping[str, Node], aggregates: Collection[str] = ()) -> CheckedTimelines:
    """Resolve references between ``timelines`` and compute each one's Kind.

    Raises SpecError naming the timeline, with ``offset`` at the offending node;
    a reference to one of the ``aggregates``' names is such an error too.
    """
    checked: dict[str, tuple[Node, Kind]] = {}
    sizes: dict[str, int] = {}
    for name in _dependency_order(timelines, aggregates):
        sizes[name] = _expanded_size(timelines[name], sizes)
        if sizes[name] > MAX_EXPANDED_NODES:
            raise _error(name, timelines[name], f"expression has {sizes[name]:,} nodes once references are"
                         f" expanded (limit {MAX_EXPANDED_NODES:,})")
        node, kind = _TimelineChecker(name, checked).check(timelines[name])
        if kind is Kind.PREDICATE:
            raise _error(name, timelines[name], f"expected a timeline, got {_a(kind)}")
        _check_depth(name, node)
        checked[name] = node, kind
    return CheckedTimelines(
        timelines={name: checked[name][0] for name in timelines},
        kinds={name: checked[name][1] for name in timelines},
    )


def check_aggregate(aggregate: Aggregate, checked: CheckedTimelines) -> Aggregate:
    """``aggregate`` with the references in its timeline resolved against ``checked``.

    Only numeric and boolean timelines aggregate. Raises SpecError naming the
    aggregate in its message, with ``offset`` at the offending node.
    """
    known = {name: (checked.timelines[name], checked.kinds[name]) for name in checked.timelines}
    try:
        for ref in _references(aggregate.timeline):
            if ref.name not in known:
                raise _error(aggregate.name, ref, _unknown_reference(ref.name, known))
        node, kind = _TimelineChecker(aggregate.name, known).check(aggregate.timeline)
        if kind not in (Kind.NUMBER, Kind.BOOL):
            message = f"only numeric and boolean timelines aggregate, got {_a(kind)}"
            raise _error(aggregate.name, aggregate.timeline, message)
        if kind is Kind.NUMBER and not isinstance(node, WHOLE_NUMERIC):
            names = ", ".join(FUNCTION_OF[node_type] for node_type in WHOLE_NUMERIC)
            message = f"a numeric timeline aggregates when it is one of {names} (whole numbers, never null)"
            raise _error(aggregate.name, aggregate.timeline, message)
        _check_depth(aggregate.name, node)
    except SpecError as error:
        raise SpecError(f"aggregate '{aggregate.name}': {error.message}", offset=error.offset) from None
    return dataclasses.replace(aggregate, timeline=node)


def _check_depth(name: str, node: Node) -> None:
    if depth(node) > MAX_DEPTH:
        raise SpecError(
            f"expression is nested too deeply once references are expanded (limit {MAX_DEPTH} levels)",
            timeline=name,
            offset=0,
        )


def _dependency_order(timelines: Mapping[str, Node], aggregates: Collection[str] = ()) -> list[str]:
    """Timeline names, each after the timelines it references; rejects cycles and unknown names."""
    order: list[str] = []
    finished: set[str] = set()
    for root in timelines:
        if root in finished:
            continue
        path = [root]
        pending = [_references(timelines[root])]
        while pending:
            ref = next(pending[-1], None)
            if ref is None:
                finished.add(path[-1])
                order.append(path.pop())
                pending.pop()
            elif ref.name in path:
                cycle = " -> ".join(path[path.index(ref.name) :] + [ref.name])
                raise _error(path[-1], ref, f"circular reference: {cycle}")
            elif ref.name in aggregates:
                raise _error(path[-1], ref, aggregate_reference(ref.name))
            elif ref.name not in timelines:
                raise _error(path[-1], ref, _unknown_reference(ref.name, timelines))
            elif ref.name not in finished:
                path.append(ref.name)
                pending.append(_references(timelines[ref.name]))
    return order


def _expanded_size(node: Node, sizes: Mapping[str, int]) -> int:
    """How many nodes ``node`` has with every reference replaced by its (already sized) tree."""
    total, stack = 0, [node]
    while stack:
        top = stack.pop()
        if isinstance(top, Ref):
            total += sizes[top.name]
        else:
            total += 1
            stack.extend(children(top))
    return total


def _references(node: Node) -> Iterator[Ref]:
    """The references in ``node``, in source order."""
    stack = [node]
    while stack:
        top = stack.pop()
        if isinstance(top, Ref):
            yield top
        stack.extend(reversed(children(top)))


def aggregate_reference(name: str) -> str:
    """The error of an aggregate's name where a timeline is expected."""
    return f"'{name}' is an aggregate, not a timeline: its records are per group and tick, not per key"


def _unknown_reference(name: str, timelines: Mapping[str, Node]) -> str:
    hint = did_you_mean(name, timelines) or f"; an event field is read with latest_event_to_state({name})"
    return f"unknown timeline '{name}'{hint}"


class _TimelineChecker:
    """Checks one timeline whose references are already checked."""

    def __init__(self, name: str, checked: Mapping[str, tuple[Node, Kind]]) -> None:
        self.name = name
        self.checked = checked

    def check(self, node: Node) -> tuple[Node, Kind]:
        """``node`` with references replaced, and its Kind."""
        if isinstance(node, Ref):
            return self.checked[node.name]
        rule = RULES.get(type(node))
        if rule is None:
            raise _error(self.name, node, f"expected a timeline expression, got {type(node).__name__}")
        resolved, kinds = {}, {}
        for field_name, child in zip(child_fields(type(node)), children(node)):
            resolved[field_name], kinds[field_name] = self.check(child)
            if kinds[field_name] not in rule.operands:
                raise _error(self.name, child, rule.mismatch(kinds[field_name]))
        problem = rule.problem(node, kinds)
        if problem:
            raise _error(self.name, node, problem)
        checked = dataclasses.replace(node, **resolved)
        return checked, kind_of(checked)



def _comparison_problem(kind: Kind, op: str, literal: Literal) -> str | None:
    """Why ``<kind> op literal`` is invalid, or None."""
    if kind is Kind.BOOL:
        if type(literal) is not bool:
            return f"a boolean timeline compares with true or false, got {literal!r}"
        if op not in ("==", "!="):
            return f"a boolean timeline compares with == or !=, got '{op}'"
    if kind is Kind.NUMBER:
        numbers = "numeric timelines compare with numbers such as 10s, 10000 or 2.5"
        if isinstance(literal, bool):
            return f"cannot compare a numeric timeline with a boolean; {numbers}"
        if isinstance(literal, str):
            return f"cannot compare a numeric timeline with a string; {numbers}"
    return None


def _timelines_comparison_problem(left: Kind, op: str, right: Kind) -> str | None:
    """Why ``<left> op <right>`` is invalid, or None."""
    if Kind.BOOL in (left, right) and Kind.NUMBER in (left, right):
        return "cannot compare a boolean timeline with a numeric timeline"
    if Kind.BOOL in (left, right) and op not in ("==", "!="):
        return f"a boolean timeline compares with == or !=, got '{op}'"
    return None


def _if_problem(node: If, kinds: dict[str, Kind]) -> str | None:
    """The branches of ``if`` have one kind; a literal also stands for a value of a state timeline."""
    if kinds["condition"] is not Kind.BOOL:
        return f"if needs a boolean timeline first, got {_a(kinds['condition'])}"
    then, otherwise = kinds["then"], kinds["otherwise"]
    literal_state = (isinstance(node.then, Constant) and otherwise is Kind.STATE
                     or isinstance(node.otherwise, Constant) and then is Kind.STATE)
    if then is not otherwise and not literal_state:
        return f"if needs two timelines of one kind, got {_a(then)} and {_a(otherwise)}"
    for branch in (node.then, node.otherwise):  # a literal value of a state timeline is written as it is
        if (Kind.STATE in (then, otherwise) and isinstance(branch, Constant) and type(branch.literal) is int
                and not -2**63 <= branch.literal < 2**63):
            return f"an integer value of a state timeline fits 64 bits, got {branch.literal}"
    return None


def is_flat(node: Node) -> bool:
    """Whether a numeric (or state) timeline's rate is always 0: states, numbers, counts, and arithmetic
    and ``if`` over flat timelines."""
    if isinstance(node, (Constant, *FLAT_NUMERIC)) or kind_of(node) is Kind.STATE:
        return True
    if isinstance(node, (Arithmetic, Negate)):
        return all(is_flat(operand) for operand in children(node))
    if isinstance(node, If):
        return is_flat(node.then) and is_flat(node.otherwise)
    return False


def _integral_problem(node: Integral) -> str | None:
    if not is_flat(node.operand):
        return ("integral needs a timeline whose rate is always 0 (a state timeline, a count, or arithmetic over"
                f" them and numbers), got {render(node.operand)}")
    return None


def _non_numbers(node: Node) -> str | None:
    """The problem of a literal operand of arithmetic that is not a number."""
    for operand in children(node):
        if isinstance(operand, Constant) and _LITERAL_KINDS[type(operand.literal)] is not Kind.NUMBER:
            return f"arithmetic needs numbers, got {operand.literal!r}"
    return None


def _arithmetic_problem(node: Arithmetic) -> str | None:
    numbers = [isinstance(side, Constant) for side in (node.left, node.right)]
    if node.op == "*" and not any(numbers):
        return "a product needs a number on one side, such as x * 2"
    if node.op == "/" and not numbers[1]:
        return "a quotient divides by a number, such as x / 2"
    if node.op == "/" and not _non_numbers(node) and node.right.literal == 0:
        return "division by zero"
    return _non_numbers(node)


def _a(kind: Kind) -> str:
    article = "an" if kind.value[0] in "aeiou" else "a"
    return f"{article} {kind.value}"


def _error(timeline: str, node: Node, message: str) -> SpecError:
    return SpecError(message, timeline=timeline, offset=node.pos)
