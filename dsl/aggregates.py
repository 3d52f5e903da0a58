"""Aggregates: a numeric or boolean timeline summed up over the active keys, per group."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, TypeVar

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


At = TypeVar("At")
"""Where a part of an aggregate is written: a character offset, a YAML node, ..."""


class AggregateError(ValueError):
    """A wrong part of an aggregate, and where it is written."""

    def __init__(self, message: str, at: object):
        super().__init__(message)
        self.message = message
        self.at = at


def build_aggregate(name: str, timeline: Node, group_by: Iterable[tuple[str, At]],
                    metrics: Iterable[tuple[str, At]], every_ms: int = DEFAULT_EVERY_MS) -> Aggregate:
    """The aggregate of these parts, as both spellings write them, each part with its place.

    The rules of both spellings: metrics are known ones, no metric or group_by column is listed
    twice. Raises :class:`AggregateError` at the offending part.
    """
    columns: list[str] = []
    for column, at in group_by:
        if column in columns:
            raise AggregateError(f"column '{column}' is listed twice in group_by", at)
        columns.append(column)
    chosen: list[str] = []
    for metric, at in metrics:
        if metric not in METRICS:
            hint = did_you_mean(metric, METRICS) or f" (expected one of {', '.join(METRICS)})"
            raise AggregateError(f"unknown metric '{metric}'{hint}", at)
        if metric in chosen:
            raise AggregateError(f"metric '{metric}' is listed twice", at)
        chosen.append(metric)
    return Aggregate(name, timeline, tuple(columns), tuple(chosen), every_ms)
