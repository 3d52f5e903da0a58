"""Turning raw payloads into events, or into dead letters that say why not."""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from engine.events import BadEvent, event_key, event_time

MAX_EVENT_BYTES = 1 << 20
PAYLOAD_PREFIX_CHARS = 2048


class Event(NamedTuple):
    key: str
    time: int
    fields: dict[str, Any]


def decode_event(raw: bytes | str, key_field: str, time_field: str,
                 max_bytes: int = MAX_EVENT_BYTES) -> Event:
    """Parse one JSON object and read its key and time; raises :class:`BadEvent`."""
    if len(raw) > max_bytes:
        raise BadEvent(f"event too large: {len(raw)} bytes (limit {max_bytes})")
    try:
        fields = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadEvent(f"malformed JSON: {error}") from None
    if not isinstance(fields, dict):
        raise BadEvent(f"not a JSON object: {type(fields).__name__}")
    return Event(event_key(fields, key_field), event_time(fields, time_field), fields)


def reason_class(reason: str) -> str:
    """A dead letter's reason without its details, a metric label: ``time field 'ts' is not ISO-8601: 'soon'``
    -> ``time field is not ISO-8601``."""
    general = re.sub(r"\s*'[^']*'", "", reason.partition(":")[0])
    return " ".join(general.split()) or "unknown"


def dead_letter(raw: bytes | str, reason: str) -> dict[str, Any]:
    """The dead-letter record: the reason and the payload (a bounded prefix of it)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    letter = {"reason": reason, "payload": text[:PAYLOAD_PREFIX_CHARS]}
    if len(text) > PAYLOAD_PREFIX_CHARS:
        letter["truncated"] = True
    return letter
