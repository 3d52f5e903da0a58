"""When a key contributes to its plan's aggregates, and what it contributes.

A key with an active run contributes at every tick -- every multiple of an
aggregate's ``every_ms`` in event time -- its group (the values of the
group_by columns' states, see :func:`engine.values.canonical`) and its
timeline's value at the tick, booleans as 0 or 1.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from dsl.plan import Plan
from engine.values import canonical


class Contribution(NamedTuple):
    """One key's share of aggregate ``aggregate`` at tick ``time``."""

    aggregate: str
    time: int
    group: tuple[Any, ...]
    value: int


class Ticks:
    """The tick instants of a plan's aggregates and the contributions at each."""

    def __init__(self, plan: Plan):
        self.aggregates = plan.aggregates
        self.intervals = sorted({aggregate.aggregate.every_ms for aggregate in plan.aggregates})

    def first_from(self, time: int) -> int:
        """The first tick at or after ``time``."""
        return min(-(-time // every) * every for every in self.intervals)

    def contribute(self, values: list, time: int, out: list) -> None:
        """Append the contributions at tick ``time`` of a key whose plan nodes have ``values`` then."""
        for aggregate in self.aggregates:
            if time % aggregate.aggregate.every_ms == 0:
                group = tuple(canonical(values[index]) for index in aggregate.groups)
                out.append(Contribution(aggregate.aggregate.name, time, group, int(values[aggregate.value])))
