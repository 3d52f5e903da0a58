"""The "why did this fire" view: every plan node's value for one key at one time."""
from __future__ import annotations

import json
from typing import Any

from dsl import nodes
from dsl.plan import Plan, PlanNode
from dsl.render import render, render_literal
from dsl.typecheck import DURATIONS
from engine import batch, numbers
from engine.decode import Event
from engine.incremental import Engine


def node_values(plan: Plan, events: list[Event], at: int) -> list[Any] | None:
    """Each node's value at ``at`` for one key's events (None if the key has no run then)."""
    engine = Engine(plan)
    state, changes = engine.new_state(), []
    ordered = sorted((event for event in events if event.time <= at), key=lambda event: event.time)
    batch.apply_events(engine, state, ordered, changes)
    engine.advance(state, at, changes)
    return engine.values_at(state, at) if engine.is_active(state) else None


def _shown(plan: Plan, index: int, value: Any) -> str:
    kind = plan.nodes[index].kind
    if kind is nodes.Kind.PREDICATE:
        return "(per event)"
    if value is None:
        return "null"
    if kind is nodes.Kind.NUMBER:
        unit = " ms" if isinstance(plan.nodes[index].expr, DURATIONS) else ""
        return f"{render_literal(numbers.shown(value))}{unit}"
    return render_literal(value)


def explain_text(plan: Plan, events: list[Event], at: int) -> str:
    values = node_values(plan, events, at)
    if values is None:
        return f"no active run at {at}"
    lines = [f"at {at}:"]

    def tree(index: int, depth: int, label: str) -> None:
        node = plan.nodes[index]
        head = f"{label} = " if label else ""
        lines.append(f"{'  ' * depth}{head}{_shown(plan, index, values[index])}    {render(node.expr)}")
        for child in node.inputs:
            tree(child, depth + 1, "")

    for name, index in plan.outputs.items():
        tree(index, 1, name)
    return "\n".join(lines)


def _json_value(node: PlanNode, value: Any) -> Any:
    return numbers.shown(value) if node.kind is nodes.Kind.NUMBER else value


def explain_json(plan: Plan, events: list[Event], at: int) -> str:
    values = node_values(plan, events, at)
    node_rows = [
        {"node": node.index, "kind": node.kind.name.lower(), "expression": render(node.expr),
         "inputs": list(node.inputs), "value": None if values is None else _json_value(node, values[node.index])}
        for node in plan.nodes
    ]
    return json.dumps({"at": at, "active": values is not None, "outputs": plan.outputs, "nodes": node_rows}, indent=2)
