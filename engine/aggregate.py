"""Combining the contributions of all keys into aggregate records.

Pure and independent of where contributions come from: the batch evaluator
feeds it every key's engine output, a streaming job the contributions that
reach it, asking for the records of each tick once no more can come.
"""
from __future__ import annotations

from typing import Any, Iterable

import orjson

from dsl.aggregates import Aggregate
from engine.incremental import Change, to_record
from engine.records import aggregate_order
from engine.ticks import Contribution

_Fold = list  # [group, count, sum, min, max]


class AggregateCombiner:
    """Folds contributions per (aggregate, group, tick) into the records of docs/semantics.md."""

    def __init__(self, aggregates: tuple[Aggregate, ...]):
        self.columns = {aggregate.name: aggregate.group_by for aggregate in aggregates}
        self.reported = {aggregate.name: aggregate.reported for aggregate in aggregates}
        self.folds: dict[tuple[str, bytes, int], _Fold] = {}

    def add(self, contribution: Contribution) -> None:
        name, time, values, value = contribution
        group = self.group(name, values)
        slot = name, orjson.dumps(group), time
        self.folds[slot] = folded(self.folds.get(slot), group, value)

    def group(self, name: str, values: Iterable[Any]) -> dict[str, Any]:
        """The group of aggregate ``name`` with ``values``, by column in ``group_by`` order."""
        return dict(zip(self.columns[name], values))

    def take(self, key: str, outputs: Iterable[Change | Contribution]) -> list[dict[str, Any]]:
        """Add the contributions among one key's engine ``outputs``; the change records of the rest."""
        records = []
        for output in outputs:
            if type(output) is Contribution:
                self.add(output)
            else:
                records.append(to_record(key, output))
        return records

    def pop_final(self, until: int) -> list[dict[str, Any]]:
        """The records of every tick at or before ``until``, sorted by aggregate, group (JSON) and time.

        Call it once every contribution up to ``until`` is in (the watermark
        has passed it); those ticks are then forgotten.
        """
        final = [slot for slot in self.folds if slot[2] <= until]
        records = [self.record(slot[0], slot[2], self.folds.pop(slot)) for slot in final]
        return sorted(records, key=aggregate_order)

    def record(self, name: str, time: int, fold: _Fold) -> dict[str, Any]:
        group, count, total, low, high = fold
        metrics = {"count": count, "sum": total, "avg": total / count, "min": low, "max": high}
        return {"metric": name, "group": group, "time": time} | {
            metric: metrics[metric] for metric in self.reported[name]
        }


def folded(fold: _Fold | None, group: dict[str, Any], value: int) -> _Fold:
    """``fold`` with one more key's ``value`` added; a new fold of ``group`` when ``fold`` is None."""
    if fold is None:
        return [group, 1, value, value, value]
    fold[1] += 1
    fold[2] += value
    fold[3] = min(fold[3], value)
    fold[4] = max(fold[4], value)
    return fold
