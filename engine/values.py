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


_CLASSES = {bool: "bool", int: "number", float: "number", str: "string"}  # values are JSON's or the engine's
_NUMBERS = (int, float)


def value_class(value: Any) -> str | None:
    """The comparison class of a value: 'number', 'string', 'bool', or None."""
    return _CLASSES.get(type(value))


def compare(value: Any, op: str, literal: Any) -> bool:
    """``value OP literal`` under the rules above."""
    cls = value_class(value)
    if cls is None or cls != value_class(literal):
        return False
    if cls == "bool" and op in _ORDERING:
        return False
    return _OPS[op](value, literal)


def compare_source(value: str, op: str, literal: Any) -> str:
    """A Python expression that is ``compare(value, op, literal)``, for generated code.

    ``value`` is a name or an expression; an expression is evaluated once, into ``_v``.
    """
    cls = value_class(literal)
    if cls is None or (cls == "bool" and op in _ORDERING):
        return "False"
    if cls == "string" and op == "==":
        return f"{value} == {literal!r}"  # only a string equals a string
    if value.isidentifier():
        first = name = value
    else:
        first, name = f"(_v := {value})", "_v"
    of_class = {"number": f"(type({first}) is int or type({name}) is float)",
                "string": f"type({first}) is str", "bool": f"type({first}) is bool"}[cls]
    return f"({of_class} and {name} {op} {literal!r})"


def same_value(a: Any, b: Any) -> bool:
    """Whether two timeline values are equal (null equals null; ``True`` is not ``1``)."""
    kind = type(a)
    if kind is type(b):
        return a == b
    return kind in _NUMBERS and type(b) in _NUMBERS and a == b


def canonical(value: Any) -> Any:
    """One spelling for equal values: a whole float as the integer it equals (``2.0`` -> ``2``)."""
    if type(value) is float and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value
