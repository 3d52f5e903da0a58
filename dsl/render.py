"""Rendering expressions back to the DSL's infix spelling: ``parse_expression(render(node)) == node``."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from dsl import nodes
from dsl.units import DURATION_UNITS_MS, LARGEST_FIRST

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = ("true", "false")
_ESCAPED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_BINARY = (nodes.PredAnd, nodes.PredOr, nodes.And, nodes.Or, nodes.Compare, nodes.FieldCompare,
           nodes.CompareTimelines, nodes.Arithmetic)
_UNARY = (nodes.PredNot, nodes.Not, nodes.Negate)


def render_duration(ms: int) -> str:
    """``5000`` -> ``5s``; the largest unit that divides the value exactly."""
    for unit in LARGEST_FIRST:
        size = DURATION_UNITS_MS[unit]
        if ms and ms % size == 0 or unit == "ms":
            return f"{ms // size}{unit}"


def render_literal(value: nodes.Literal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    return repr(value)


def render_column(column: str) -> str:
    """A bare name where the tokenizer reads one back, else ``col("...")``."""
    if _IDENTIFIER.fullmatch(column) and column not in _KEYWORDS:
        return column
    return f"col({_string(column)})"
def render_value(value: object) -> str:
    """A setting's or record's value as YAML and JSON spell it: ``"twice"``, ``true``, ``null``, ``[1, 2]``."""
    return json.dumps(value, ensure_ascii=False, default=str)


def plain_value(value: object) -> str:
    """A value for a label: strings as they are, anything else as :func:`render_value` spells it."""
    return value if isinstance(value, str) else render_value(value)


def render(node: nodes.Node) -> str:
    """The expression as a user would write it (fully parenthesised where nested)."""
    return RENDERERS[type(node)](node)


def _tight(node: nodes.Node) -> str:
    """An operand of a comparison, arithmetic or minus: parenthesised unless it is a call, name or literal.

    ('!' binds looser than a comparison: (!x) == false is not !(x == false).)
    """
    text = render(node)
    return f"({text})" if isinstance(node, _BINARY + _UNARY) else text


def _windowed(function: str, operand: nodes.Node, window_ms: int) -> str:
    return f"{function}({render(operand)}, {render_duration(window_ms)})"


RENDERERS: dict[type[nodes.Node], Callable[[Any], str]] = {
    nodes.FieldCompare: lambda node: f"{render_column(node.column)} {node.op} {render_literal(node.literal)}",
    nodes.PredNot: lambda node: f"!{_operand(node.operand)}",
    nodes.PredAnd: lambda node: f"{_operand(node.left)} && {_operand(node.right)}",
    nodes.PredOr: lambda node: f"{_operand(node.left)} || {_operand(node.right)}",
    nodes.LatestEventToState: lambda node: f"latest_event_to_state({render_column(node.column)})",
    nodes.HasExisted: lambda node: f"has_existed({render(node.predicate)})",
    nodes.HasExistedWithin: lambda node: _windowed("has_existed_within", node.predicate, node.window_ms),
    nodes.DurationWhere: lambda node: f"duration_where({render(node.operand)})",
    nodes.DurationInCurState: lambda node: f"duration_in_cur_state({render(node.operand)})",
    nodes.Not: lambda node: f"!{_operand(node.operand)}",
    nodes.And: lambda node: f"{_operand(node.left)} && {_operand(node.right)}",
    nodes.Or: lambda node: f"{_operand(node.left)} || {_operand(node.right)}",
    nodes.Compare: lambda node: f"{_tight(node.operand)} {node.op} {render_literal(node.literal)}",
    nodes.CompareTimelines: lambda node: f"{_tight(node.left)} {node.op} {_tight(node.right)}",
    nodes.Constant: lambda node: render_literal(node.literal),
    nodes.Arithmetic: lambda node: f"{_tight(node.left)} {node.op} {_tight(node.right)}",
    nodes.Negate: lambda node: f"-{_tight(node.operand)}",
    nodes.Count: lambda node: f"count({render(node.predicate)})",
    nodes.CountWithin: lambda node: _windowed("count", node.predicate, node.window_ms),
    nodes.CountChanges: lambda node: f"count_changes({render(node.operand)})",
    nodes.CountChangesWithin: lambda node: _windowed("count_changes", node.operand, node.window_ms),
    nodes.DurationWhereWithin: lambda node: _windowed("duration_where", node.operand, node.window_ms),
    nodes.TimeSince: lambda node: f"time_since({render(node.predicate)})",
    nodes.FirstEventToState: lambda node: f"first_event_to_state({render_column(node.column)})",
    nodes.Previous: lambda node: f"previous({render(node.operand)})",
    nodes.If: lambda node: f"if({render(node.condition)}, {render(node.then)}, {render(node.otherwise)})",
    nodes.Integral: lambda node: f"integral({render(node.operand)})",
    nodes.Ref: lambda node: node.name,
}
"""The spelling of each node type."""


def _operand(node: nodes.Node) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, _BINARY) else text


def _string(text: str) -> str:
    """A double-quoted string literal; control characters as ``\\uXXXX``."""
    escaped = "".join(
        _ESCAPED.get(char) or (f"\\u{ord(char):04x}" if ord(char) < 0x20 or ord(char) == 0x7F else char)
        for char in text
    )
    return f'"{escaped}"'
