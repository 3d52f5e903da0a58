"""Rendering expressions back to the DSL's infix spelling."""
from __future__ import annotations

import json

from dsl import nodes

_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def render_duration(ms: int) -> str:
    """``5000`` -> ``5s``; the largest unit that divides the value exactly."""
    for unit, size in _UNITS:
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def render_literal(value: nodes.Literal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def render(node: nodes.Node) -> str:
    """The expression as a user would write it (fully parenthesised where nested)."""
    if isinstance(node, nodes.FieldCompare):
        return f"{node.column} {node.op} {render_literal(node.literal)}"
    if isinstance(node, (nodes.PredNot, nodes.Not)):
        return f"!{_operand(node.operand)}"
    if isinstance(node, (nodes.PredAnd, nodes.And)):
        return f"{_operand(node.left)} && {_operand(node.right)}"
    if isinstance(node, (nodes.PredOr, nodes.Or)):
        return f"{_operand(node.left)} || {_operand(node.right)}"
    if isinstance(node, nodes.LatestEventToState):
        return f"latest_event_to_state({node.column})"
    if isinstance(node, nodes.HasExisted):
        return f"has_existed({render(node.predicate)})"
    if isinstance(node, nodes.HasExistedWithin):
        return f"has_existed_within({render(node.predicate)}, {render_duration(node.window_ms)})"
    if isinstance(node, nodes.DurationWhere):
        return f"duration_where({render(node.operand)})"
    if isinstance(node, nodes.DurationInCurState):
        return f"duration_in_cur_state({render(node.operand)})"
    if isinstance(node, nodes.Compare):
        return f"{_operand(node.operand)} {node.op} {render_literal(node.literal)}"
    if isinstance(node, nodes.Ref):
        return node.name
    raise TypeError(f"not an expression node: {node!r}")


def _operand(node: nodes.Node) -> str:
    text = render(node)
    binary = (nodes.PredAnd, nodes.PredOr, nodes.And, nodes.Or, nodes.Compare, nodes.FieldCompare)
    return f"({text})" if isinstance(node, binary) else text
