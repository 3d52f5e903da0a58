"""Aggregates: a numeric or boolean timeline summed up over the active keys, per group."""
from __future__ import annotations

from dataclasses import dataclass

from dsl.nodes import Node
from dsl.errors import did_you_mean

METRICS = ("count", "sum", "avg", "min", "max")
"""Every metric an aggregate can ask for, in record order; ``count`` is always reported."""

DEFAULT_EVERY_MS = 60_000


@dataclass(frozen=True)
class Aggregate:
    """``timeline`` over the active keys, per group of ``group_by`` values, at multiples of ``every_ms``."""

    name: str
    timeline: Node
    group_by: tuple[str, ...]
    metrics: tuple[str, ...]
    every_ms: int = DEFAULT_EVERY_MS

    @property
    def reported(self) -> tuple[str, ...]:
        """The metrics of its records: count and the requested ones, in :data:`METRICS` order."""
        return tuple(metric for metric in METRICS if metric == "count" or metric in self.metrics)


def unknown_metric(name: str) -> str:
    hint = did_you_mean(name, METRICS) or f" (expected one of {', '.join(METRICS)})"
    return f"unknown metric '{name}'{hint}"
