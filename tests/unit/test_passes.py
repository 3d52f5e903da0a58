"""Every node type of the algebra has its handler in every pass: a missing one fails here, not at run time."""
from __future__ import annotations

import inspect

import pytest

from dsl import nodes, render, typecheck
from engine import codegen, reference

NODE_TYPES = frozenset(
    cls for name, cls in vars(nodes).items()
    if inspect.isclass(cls) and issubclass(cls, nodes.Node) and not name.startswith("_") and cls is not nodes.Node
)
RESOLVED = NODE_TYPES - {nodes.Ref}  # references are replaced by their trees before type rules and evaluation
PREDICATES = frozenset(nodes.PREDICATE_NODES)

PASSES = {
    "render": (render.RENDERERS, NODE_TYPES),
    "typecheck": (typecheck.RULES, RESOLVED),
    "reference timelines": (reference.TIMELINES, RESOLVED - PREDICATES),
    "reference predicates": (reference.PREDICATES, PREDICATES),
    "codegen": (codegen.GENERATORS, RESOLVED),
    "codegen predicates": (codegen.PREDICATE_SOURCES, PREDICATES),
}


@pytest.mark.parametrize("name", sorted(PASSES))
def test_each_node_type_has_its_handler(name):
    table, expected = PASSES[name]
    assert set(table) == set(expected), f"{name}: missing {expected - set(table)}, unexpected {set(table) - expected}"


def test_the_predicate_nodes_are_those_of_the_predicate_kind():
    assert {cls for cls in RESOLVED if typecheck.RULES[cls].result is nodes.Kind.PREDICATE} == PREDICATES
