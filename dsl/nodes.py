"""Syntax tree of timeline expressions.

Nodes are frozen dataclasses compared by structure, so equal sub-expressions
are equal values and the compiler can share them. Source positions ride along
outside of equality (``compare=False``) for error messages.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Union

Literal = Union[str, int, float, bool]

COMPARISON_OPS = ("==", "!=", "<", "<=", ">", ">=")
ARITHMETIC_OPS = ("+", "-", "*", "/")


class Kind(enum.Enum):
    """What an expression denotes."""

    PREDICATE = "event predicate"
    STATE = "state timeline"
    BOOL = "boolean timeline"
    NUMBER = "numeric timeline"


@dataclass(frozen=True)
class Node:
    """Base of all nodes; ``pos`` is the character offset in the expression text."""

    pos: int = field(default=0, compare=False, kw_only=True, repr=False)


# --- event predicates (over one event) -------------------------------------


@dataclass(frozen=True)
class _LiteralTyped(Node):
    """Mixin: equality also compares the literal's type, since ``1 == True`` in Python."""

    literal_type: type = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "literal_type", type(self.literal))


@dataclass(frozen=True)
class FieldCompare(_LiteralTyped):
    column: str
    op: str
    literal: Literal


@dataclass(frozen=True)
class PredNot(Node):
    operand: Node


@dataclass(frozen=True)
class PredAnd(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class PredOr(Node):
    left: Node
    right: Node


# --- timelines ---------------------------------------------------------------


@dataclass(frozen=True)
class LatestEventToState(Node):
    column: str


@dataclass(frozen=True)
class HasExisted(Node):
    """True from the first matching event, or the first instant the boolean timeline ``predicate`` is true."""

    predicate: Node  # an event predicate or a boolean timeline


@dataclass(frozen=True)
class HasExistedWithin(Node):
    """True within ``window_ms`` of a matching event, or of an instant the boolean timeline ``predicate`` is true."""

    predicate: Node  # an event predicate or a boolean timeline
    window_ms: int


@dataclass(frozen=True)
class DurationWhere(Node):
    operand: Node


@dataclass(frozen=True)
class DurationInCurState(Node):
    operand: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(_LiteralTyped):
    """``operand OP literal`` on a state, boolean or numeric timeline."""

    operand: Node
    op: str
    literal: Literal


@dataclass(frozen=True)
class CompareTimelines(Node):
    """``left OP right`` on two timelines, at every instant."""

    left: Node
    op: str
    right: Node


@dataclass(frozen=True)
class Constant(_LiteralTyped):
    """A literal where a timeline operand stands (in arithmetic): the same value at every instant."""

    literal: Literal


@dataclass(frozen=True)
class Arithmetic(Node):
    """``left OP right`` on numeric timelines, ``OP`` one of :data:`ARITHMETIC_OPS`."""

    left: Node
    op: str
    right: Node


@dataclass(frozen=True)
class Negate(Node):
    """``-operand`` of a numeric timeline."""

    operand: Node


@dataclass(frozen=True)
class Count(Node):
    """The number of matching events so far."""

    predicate: Node


@dataclass(frozen=True)
class CountWithin(Node):
    """The number of matching events in the last ``window_ms``."""

    predicate: Node
    window_ms: int


@dataclass(frozen=True)
class CountChanges(Node):
    """The number of instants after t0 at which the state or boolean timeline ``operand`` changed."""

    operand: Node


@dataclass(frozen=True)
class CountChangesWithin(Node):
    """The number of instants in the last ``window_ms`` at which ``operand`` changed."""

    operand: Node
    window_ms: int


@dataclass(frozen=True)
class DurationWhereWithin(Node):
    """The time within the last ``window_ms`` during which the boolean timeline ``operand`` was true."""

    operand: Node
    window_ms: int


@dataclass(frozen=True)
class TimeSince(Node):
    """The time since the latest matching event, or since the boolean timeline ``predicate`` was last true."""

    predicate: Node  # an event predicate or a boolean timeline


@dataclass(frozen=True)
class FirstEventToState(Node):
    column: str


@dataclass(frozen=True)
class Previous(Node):
    """The value the state or boolean timeline ``operand`` had during its run before the current one."""

    operand: Node


@dataclass(frozen=True)
class If(Node):
    """``then`` where the boolean timeline ``condition`` is true, ``otherwise`` where it is false."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Integral(Node):
    """The integral of a flat numeric timeline since t0, in value x milliseconds."""

    operand: Node


@dataclass(frozen=True)
class Ref(Node):
    """A bare identifier naming another timeline of the same spec."""

    name: str


PREDICATE_NODES = (FieldCompare, PredNot, PredAnd, PredOr)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node`` (predicates included), in field order."""
    return tuple(getattr(node, name) for name in child_fields(type(node)))


@cache
def child_fields(node_type: type[Node]) -> tuple[str, ...]:
    """The fields of a node class that hold sub-expressions (annotated ``Node``)."""
    return tuple(f.name for f in fields(node_type) if f.type == "Node")


def depth(node: Node) -> int:
    """Nodes on the longest path from ``node`` down to a leaf (computed without recursion)."""
    known: dict[int, int] = {}
    stack = [node]
    while stack:
        top = stack[-1]
        pending = [child for child in children(top) if id(child) not in known]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        known[id(top)] = 1 + max((known[id(child)] for child in children(top)), default=0)
    return known[id(node)]
