"""Decoded events as an :class:`~engine.columnar_events.EventTable`, one event at a time: the plain
conversion the tests hold the columnar input readers to."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import orjson

from engine.columnar_events import EventTable, decoded_table, table_of_decoded
from engine.decode import Event


def field_texts(fields: dict[str, Any], columns: Sequence[str]) -> list[bytes | None]:
    """Each of ``columns`` of an event as JSON text (None: absent or null)."""
    return [None if (value := fields.get(name)) is None else orjson.dumps(value) for name in columns]


def table_of_events(events: Iterable[Event], columns: Sequence[str]) -> EventTable:
    """An :class:`EventTable` of decoded events (in input order) and the fields ``columns``."""
    keys: list[str] = []
    times: list[int] = []
    texts: list[list[bytes | None]] = []
    for event in events:
        keys.append(event.key)
        times.append(event.time)
        texts.append(field_texts(event.fields, columns))
    by_column = {name: [row[index] for row in texts] for index, name in enumerate(columns)}
    return table_of_decoded(decoded_table(keys, times, by_column), columns)
