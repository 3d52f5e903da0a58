"""Events as columns: the input of the columnar evaluator (:mod:`engine.columnar`).

An :class:`EventTable` holds a set of events sorted by key, time and input
order: the key of each event (an index into the sorted distinct keys), its
time, and one :class:`ValueColumn` per event field the spec reads. A column
gives each event the index of its value among the column's distinct values
(-1: the field is absent or null), and each distinct value its *same-value
class* (docs/semantics.md: ``2`` and ``2.0`` are the same value, ``true`` and
``1`` are not), so that operators compare small integers, and read a Python
value only once per distinct value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from dsl import nodes
from dsl.spec import Spec
from engine.decode import Event

NULL = -1  # the value index of an absent or null field


@dataclass(frozen=True)
class ValueColumn:
    """One event field: per event the index of its value in ``values`` (:data:`NULL`: none)."""

    codes: np.ndarray  # int64, one per event
    values: list[Any]  # the distinct values: distinct also when the same value (2 and 2.0)
    same: np.ndarray  # int64, one per distinct value: its same-value class


@dataclass(frozen=True)
class EventTable:
    """Events sorted by key, time and input order."""

    keys: list[str]  # the distinct keys in code-point order
    key: np.ndarray  # int64 per event: its index in ``keys``
    time: np.ndarray  # int64 per event
    columns: dict[str, ValueColumn]

    def __len__(self) -> int:
        return len(self.time)

    def events(self) -> Iterable[Event]:
        """The events again, as the incremental engine takes them: only the columns read, key and time."""
        values = {name: [column.values[code] if code != NULL else None for code in column.codes.tolist()]
                  for name, column in self.columns.items()}
        names = list(values)
        for index, (key, time) in enumerate(zip(self.key.tolist(), self.time.tolist())):
            fields = {name: values[name][index] for name in names if values[name][index] is not None}
            yield Event(self.keys[key], time, fields)


def spec_columns(spec: Spec) -> tuple[str, ...]:
    """The event fields that the spec's timelines and aggregates read, in a fixed order."""
    found: dict[str, None] = {}

    def visit(node: nodes.Node) -> None:
        if isinstance(node, (nodes.FieldCompare, nodes.LatestEventToState)):
            found[node.column] = None
        for child in nodes.children(node):
            visit(child)

    for name in spec.outputs:
        visit(spec.timelines[name])
    for aggregate in spec.aggregates:
        visit(aggregate.timeline)
        found.update(dict.fromkeys(aggregate.group_by))
    return tuple(found)


def same_classes(values: Sequence[Any]) -> np.ndarray:
    """The same-value class of each value (values that are the same value share one)."""
    classes: dict[Any, int] = {}
    unhashable: list[tuple[Any, int]] = []
    result = np.empty(len(values), dtype=np.int64)
    for index, value in enumerate(values):
        kind = type(value)
        if kind in (list, dict):
            found = next((cls for other, cls in unhashable if type(other) is kind and other == value), None)
            if found is None:
                found = len(classes) + len(unhashable)
                unhashable.append((value, found))
            result[index] = found
            continue
        slot = ("number" if kind in (int, float) else kind.__name__, value)  # 2 and 2.0 share a slot
        result[index] = classes.setdefault(slot, len(classes) + len(unhashable))
    return result


class ColumnBuilder:
    """Collects one field's values, event by event, as value indices."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []
        self.codes: list[int] = []

    def add(self, value: Any) -> None:
        if value is None:
            self.codes.append(NULL)
            return
        kind = type(value)
        slot = (kind, orjson.dumps(value)) if kind in (list, dict) else (kind, value)  # 2 and 2.0 apart
        code = self.index.get(slot)
        if code is None:
            code = self.index[slot] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def column(self, order: np.ndarray) -> ValueColumn:
        codes = np.asarray(self.codes, dtype=np.int64)[order]
        return ValueColumn(codes, self.values, same_classes(self.values))


def sorted_order(keys: pa.Array, times: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The sorted distinct keys, each event's index among them, and the order that sorts the events
    by key, time and input order."""
    encoded = pc.dictionary_encode(keys).combine_chunks() if isinstance(keys, pa.ChunkedArray) \
        else pc.dictionary_encode(keys)
    distinct = encoded.dictionary
    by_text = pc.array_sort_indices(distinct).to_numpy()  # UTF-8 byte order is code-point order
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[by_text] = np.arange(len(distinct))
    key = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    order = np.lexsort((times, key))  # stable: equal times keep input order
    return distinct.take(pa.array(by_text)).to_pylist(), key[order], order


def table_of_events(events: Iterable[Event], columns: Sequence[str]) -> EventTable:
    """An :class:`EventTable` of decoded events (in input order) and the fields ``columns``."""
    keys: list[str] = []
    times: list[int] = []
    builders = {name: ColumnBuilder() for name in columns}
    for event in events:
        keys.append(event.key)
        times.append(event.time)
        fields = event.fields
        for name, builder in builders.items():
            builder.add(fields.get(name))
    return table_of_columns(pa.array(keys, pa.string()), np.asarray(times, dtype=np.int64), builders)


def table_of_columns(keys: pa.Array, times: np.ndarray, builders: dict[str, ColumnBuilder]) -> EventTable:
    distinct, key, order = sorted_order(keys, times)
    return EventTable(distinct, key, times[order], {name: b.column(order) for name, b in builders.items()})
