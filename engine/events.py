"""Reading the entity key and the event time out of a decoded event."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)


class BadEvent(ValueError):
    """An event that cannot be evaluated; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def event_key(event: dict[str, Any], field: str) -> str:
    """The entity key as a string; strings and integers are usable keys."""
    value = event.get(field)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise BadEvent(f"missing key field {field!r}")
    raise BadEvent(f"key field {field!r} is not a string or integer: {value!r}")


def event_time(event: dict[str, Any], field: str) -> int:
    """Event time in epoch milliseconds: an integer, or an ISO-8601 string (UTC if no offset)."""
    value = event.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadEvent(f"time field {field!r} is not ISO-8601: {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return (parsed - _EPOCH) // _ONE_MS
    if value is None:
        raise BadEvent(f"missing time field {field!r}")
    raise BadEvent(f"time field {field!r} is not epoch milliseconds or ISO-8601: {value!r}")
