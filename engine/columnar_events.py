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
        column = getattr(node, "column", None)  # the nodes that read an event field name it so
        if column is not None:
            found[column] = None
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


def _single(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def value_column(texts: pa.ChunkedArray | pa.Array, order: np.ndarray) -> ValueColumn:
    """A field's column from its values as JSON texts (null: absent or null), in the event ``order``."""
    encoded = pc.dictionary_encode(_single(texts))
    codes = pc.fill_null(encoded.indices, NULL).to_numpy(zero_copy_only=False).astype(np.int64)[order]
    values = [orjson.loads(text) for text in encoded.dictionary.to_pylist()]
    return ValueColumn(codes, values, same_classes(values))


def sorted_order(keys: pa.ChunkedArray | pa.Array, times: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The sorted distinct keys, each event's index among them, and the order that sorts the events
    by key, time and input order."""
    encoded = pc.dictionary_encode(_single(keys))
    distinct = encoded.dictionary
    by_text = pc.array_sort_indices(distinct).to_numpy()  # UTF-8 byte order is code-point order
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[by_text] = np.arange(len(distinct))
    key = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    order = np.lexsort((times, key))  # stable: equal times keep input order
    return distinct.take(pa.array(by_text, pa.int64())).to_pylist(), key[order], order


def decoded_schema(columns: Sequence[str]) -> pa.Schema:
    """Decoded events in input order: key, time, and each field read as JSON text (null: absent or null)."""
    return pa.schema([("key", pa.string()), ("time", pa.int64()), *((name, pa.binary()) for name in columns)])


def decoded_table(keys: list[str], times: list[int], texts: dict[str, list[bytes | None] | pa.Array]) -> pa.Table:
    schema = decoded_schema(list(texts))
    return pa.table([pa.array(keys, pa.string()), pa.array(times, pa.int64()),
                     *(pa.array(values, pa.binary()) if isinstance(values, list) else values
                       for values in texts.values())], schema=schema)


def table_of_decoded(decoded: pa.Table, columns: Sequence[str]) -> EventTable:
    """An :class:`EventTable` of decoded events (:func:`decoded_schema`, in input order)."""
    times = decoded["time"].to_numpy()
    distinct, key, order = sorted_order(decoded["key"], times)
    return EventTable(distinct, key, times[order], {name: value_column(decoded[name], order) for name in columns})
