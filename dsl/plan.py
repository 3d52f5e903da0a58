"""The compiled plan: the spec's output timelines as one DAG of shared nodes."""
from __future__ import annotations

from dataclasses import dataclass

from dsl import nodes
from dsl.aggregates import Aggregate
from dsl.render import render, render_duration
from dsl.spec import Spec
from dsl.typecheck import kind_of


@dataclass(frozen=True)
class PlanNode:
    """One node of the DAG; ``inputs`` are indices of earlier nodes."""

    index: int
    expr: nodes.Node
    kind: nodes.Kind
    inputs: tuple[int, ...]


@dataclass(frozen=True)
class PlanAggregate:
    """An aggregate over plan nodes: ``value`` is its timeline, ``groups`` its group_by columns' states."""

    aggregate: Aggregate
    value: int
    groups: tuple[int, ...]

    def describe(self) -> str:
        groups = ", ".join(f"#{i}" for i in self.groups) or "nothing"
        every = render_duration(self.aggregate.every_ms)
        metrics = ", ".join(self.aggregate.reported)
        return f"  aggregate {self.aggregate.name}: #{self.value} by {groups} every {every}: {metrics}"


@dataclass(frozen=True)
class Plan:
    """Nodes in topological order (inputs first), each distinct sub-expression once."""

    spec: Spec
    nodes: tuple[PlanNode, ...]
    outputs: dict[str, int]
    aggregates: tuple[PlanAggregate, ...] = ()

    def users(self, index: int) -> list[int]:
        """The nodes that read node ``index``."""
        return [node.index for node in self.nodes if index in node.inputs]

    def describe(self) -> str:
        """A readable listing of the DAG, marking shared nodes and named outputs."""
        index_of = {node.expr: node.index for node in self.nodes}
        names: dict[int, list[str]] = {}
        for name, expr in self.spec.timelines.items():
            if expr in index_of:
                names.setdefault(index_of[expr], []).append(name)
        lines = [f"plan {self.spec.name!r}: key={self.spec.key} time={self.spec.time}"
                 f" nodes={len(self.nodes)} outputs={len(self.outputs)}"]
        for node in self.nodes:
            inputs = ", ".join(f"#{i}" for i in node.inputs) or "event"
            marks = []
            if len(self.users(node.index)) > 1:
                marks.append("shared")
            for name in names.get(node.index, ()):
                marks.append(f"output {name}" if name in self.outputs else f"= {name}")
            suffix = f"  [{'; '.join(marks)}]" if marks else ""
            lines.append(f"  #{node.index} {node.kind.value:<17} {render(node.expr)}  <- {inputs}{suffix}")
        lines.extend(aggregate.describe() for aggregate in self.aggregates)
        return "\n".join(lines)


def compile_plan(spec: Spec) -> Plan:
    """Build the DAG of the spec's outputs and aggregates, sharing structurally equal sub-expressions."""
    index_of: dict[nodes.Node, int] = {}
    plan_nodes: list[PlanNode] = []

    def visit(expr: nodes.Node) -> int:
        if expr in index_of:
            return index_of[expr]
        inputs = tuple(visit(child) for child in nodes.children(expr))
        index_of[expr] = len(plan_nodes)
        plan_nodes.append(PlanNode(len(plan_nodes), expr, kind_of(expr), inputs))
        return index_of[expr]

    outputs = {name: visit(spec.timelines[name]) for name in spec.outputs}
    aggregates = tuple(
        PlanAggregate(
            aggregate,
            visit(aggregate.timeline),
            tuple(visit(nodes.LatestEventToState(column)) for column in aggregate.group_by),
        )
        for aggregate in spec.aggregates
    )
    return Plan(spec, tuple(plan_nodes), outputs, aggregates)
