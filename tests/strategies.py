"""Hypothesis strategies: random specs drawn from the grammar (some with aggregates), and random events."""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

from hypothesis import strategies as st

from dsl import nodes
from dsl.aggregates import METRICS, Aggregate
from dsl.spec import Spec
from dsl.typecheck import WHOLE_NUMERIC, check_timelines, kind_of

COLUMNS = ("a", "b", "n", "f")
STRINGS = ("x", "y", "z")
OPS = nodes.COMPARISON_OPS

values = (st.sampled_from(STRINGS) | st.sampled_from((1, 2, 2.0, 3, -1, 1e30, 0.5, -2.5)) | st.booleans()
          | st.none())
literals = st.sampled_from(STRINGS) | st.sampled_from((1, 2, 2.5, -1, -2.0, 1e30, 10**20)) | st.booleans()
# whole numbers of milliseconds as ints and floats, negative ones, and ones far past any instant
numeric_literals = (st.integers(-5, 40) | st.integers(-5, 40).map(float)
                    | st.sampled_from((2**62, 2**63 - 1, 2**63, 10**30, 1e30, -1e30, 1e308)))
# numbers of arithmetic and comparisons: also fractions, exact binary ones and others
numbers = numeric_literals | st.sampled_from((0.5, -2.5, 0.1, 1 / 3, 7.25, -0.001))
factors = st.sampled_from((2, -1, 3, 0.5, -0.25, 0.1, 1 / 3, 1e-3, 2.0))  # of * and / (never 0)


class Trees(NamedTuple):
    booleans: st.SearchStrategy
    numerics: st.SearchStrategy
    states: st.SearchStrategy
    whole_numerics: st.SearchStrategy  # those an aggregate takes


def trees(columns: st.SearchStrategy[str], literal: st.SearchStrategy) -> Trees:
    """Strategies of boolean, numeric and state timelines over these columns and literals."""
    field_compares = st.builds(nodes.FieldCompare, columns, st.sampled_from(OPS), literal)
    predicates = st.recursive(
        field_compares,
        lambda inner: st.builds(nodes.PredNot, inner) | st.builds(nodes.PredAnd, inner, inner)
        | st.builds(nodes.PredOr, inner, inner),
        max_leaves=3,
    )
    leaf_states = st.builds(nodes.LatestEventToState, columns) | st.builds(nodes.FirstEventToState, columns)
    constants = st.builds(nodes.Constant, numbers)
    windows = st.integers(1, 20) | st.just(10**15)  # and the longest window

    def states_of(booleans: st.SearchStrategy) -> st.SearchStrategy:
        return (leaf_states | st.builds(nodes.Previous, leaf_states | booleans)
                | st.builds(nodes.If, booleans, leaf_states, leaf_states | st.builds(nodes.Constant, literal.filter(
                    lambda value: type(value) is not int or -2**63 <= value < 2**63))))

    def whole_numerics_of(booleans: st.SearchStrategy) -> st.SearchStrategy:
        states = leaf_states | st.builds(nodes.Previous, leaf_states | booleans)
        return (st.builds(nodes.DurationWhere, booleans) | st.builds(nodes.DurationInCurState, states | booleans)
                | st.builds(nodes.DurationWhereWithin, booleans, windows)
                | st.builds(nodes.Count, predicates) | st.builds(nodes.CountWithin, predicates, windows)
                | st.builds(nodes.CountChanges, states | booleans)
                | st.builds(nodes.CountChangesWithin, states | booleans, windows))

    def numerics_of(booleans: st.SearchStrategy) -> st.SearchStrategy:
        states = states_of(booleans)
        flat = (states | st.builds(nodes.Count, predicates)
                | st.builds(nodes.Arithmetic, states, st.sampled_from(("*", "/")), st.builds(nodes.Constant, factors)))

        def arithmetic(inner: st.SearchStrategy) -> st.SearchStrategy:
            operand = inner | states
            return (st.builds(nodes.Arithmetic, operand, st.sampled_from(("+", "-")), operand | constants)
                    | st.builds(nodes.Arithmetic, constants, st.sampled_from(("+", "-")), operand)
                    | st.builds(nodes.Arithmetic, operand, st.sampled_from(("*", "/")),
                                st.builds(nodes.Constant, factors))
                    | st.builds(nodes.Arithmetic, st.builds(nodes.Constant, factors), st.just("*"), operand)
                    | st.builds(nodes.Negate, operand)
                    | st.builds(nodes.If, booleans, inner, inner | constants))

        leaves = (whole_numerics_of(booleans) | st.builds(nodes.TimeSince, predicates | booleans)
                  | st.builds(nodes.Integral, flat))
        return st.recursive(leaves, arithmetic, max_leaves=3)

    def derived(booleans: st.SearchStrategy) -> st.SearchStrategy:
        numerics, states = numerics_of(booleans), states_of(booleans)
        return (
            st.builds(nodes.Not, booleans)
            | st.builds(nodes.And, booleans, booleans)
            | st.builds(nodes.Or, booleans, booleans)
            | st.builds(nodes.Compare, states, st.sampled_from(OPS), literal)
            | st.builds(nodes.Compare, booleans, st.sampled_from(("==", "!=")), st.booleans())
            | st.builds(nodes.Compare, whole_numerics_of(booleans), st.sampled_from(OPS), numeric_literals)
            | st.builds(nodes.Compare, numerics, st.sampled_from(OPS), numbers)
            | st.builds(nodes.CompareTimelines, numerics | states, st.sampled_from(OPS), numerics)
            | st.builds(nodes.CompareTimelines, numerics, st.sampled_from(OPS), states)
            | st.builds(nodes.CompareTimelines, states, st.sampled_from(OPS), states)
            | st.builds(nodes.CompareTimelines, booleans, st.sampled_from(("==", "!=")), booleans)
            | st.builds(nodes.HasExisted, booleans)
            | st.builds(nodes.HasExistedWithin, booleans, windows)
            | st.builds(nodes.If, booleans, booleans, booleans | st.builds(nodes.Constant, st.booleans()))
        )

    boolean_leaves = st.builds(nodes.HasExisted, predicates) | st.builds(
        nodes.HasExistedWithin, predicates, windows)
    booleans = st.recursive(boolean_leaves, derived, max_leaves=6)
    return Trees(booleans, numerics_of(booleans), states_of(booleans), whole_numerics_of(booleans))


booleans, numerics, states, whole_numerics = trees(st.sampled_from(COLUMNS), literals)
timelines = st.sampled_from((states, booleans, numerics)).flatmap(lambda kind: kind)  # a third of each kind


@st.composite
def specs(draw) -> Spec:
    trees = draw(st.lists(timelines, min_size=1, max_size=4))
    names = tuple(f"tl{i}" for i in range(len(trees)))
    aggregates = tuple(draw(st.lists(aggregates_over(trees), max_size=2)))
    aggregates = tuple(dataclasses.replace(a, name=f"ag{i}") for i, a in enumerate(aggregates))
    timeout = draw(st.integers(5, 40) if aggregates else st.none() | st.integers(5, 40))
    checked = check_timelines(dict(zip(names, trees)))  # the spec loader's checks: every drawn tree is valid
    return Spec(name="random", key="k", time="t", timelines=checked.timelines, kinds=checked.kinds,
                outputs=names, session_timeout_ms=timeout, aggregates=aggregates)


def aggregates_over(trees: list[nodes.Node]) -> st.SearchStrategy[Aggregate]:
    """An aggregate (to be named) of one of ``trees`` or a new tree, never of a state timeline."""
    shared = [tree for tree in trees if kind_of(tree) is nodes.Kind.BOOL or isinstance(tree, WHOLE_NUMERIC)]
    aggregated = booleans | whole_numerics
    return st.builds(
        Aggregate,
        name=st.just(""),
        timeline=st.sampled_from(shared) | aggregated if shared else aggregated,
        group_by=st.lists(st.sampled_from(COLUMNS), unique=True, max_size=2).map(tuple),
        metrics=st.lists(st.sampled_from(METRICS), unique=True).map(tuple),
        every_ms=st.integers(1, 30),
    )


@st.composite
def events(draw) -> list[dict]:
    """Events of up to three keys with small, often equal, times."""
    count = draw(st.integers(0, 25))
    result = []
    for _ in range(count):
        event = {"k": draw(st.sampled_from(("k1", "k2", "k3"))), "t": draw(st.integers(0, 80))}
        for column in COLUMNS:
            if draw(st.booleans()):
                event[column] = draw(values)
        result.append(event)
    return result
