"""Comparing event values: the one rule used by predicates and state timelines.

Numbers compare by value (``5 == 5.0``); strings compare with strings; booleans
with booleans (only ``==`` and ``!=``). Anything else -- a missing value, null,
or a mix of types -- makes every comparison false, ``!=`` included.
"""
from __future__ import annotations

import operator
from typing import Any

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERING = frozenset(("<", "<=", ">", ">="))


def value_class(value: Any) -> str | None:
    """The comparison class of a value: 'number', 'string', 'bool', or None."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def compare(value: Any, op: str, literal: Any) -> bool:
    """``value OP literal`` under the rules above."""
    cls = value_class(value)
    if cls is None or cls != value_class(literal):
        return False
    if cls == "bool" and op in _ORDERING:
        return False
    return _OPS[op](value, literal)


def same_value(a: Any, b: Any) -> bool:
    """Whether two timeline values are equal (null equals null; ``True`` is not ``1``)."""
    if a is None or b is None:
        return a is None and b is None
    return value_class(a) == value_class(b) and a == b


def canonical(value: Any) -> Any:
    """One spelling for equal values: a whole float as the integer it equals (``2.0`` -> ``2``)."""
    if type(value) is float and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value
