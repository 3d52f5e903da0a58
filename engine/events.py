"""Reading the entity key and the event time out of a decoded event.

Event times are integer epoch milliseconds in ``[MIN_TIME, MAX_TIME]``:
1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. Every instant the
engine derives from an event time (a window's end, a session end, a tick, a
threshold crossing) adds at most ``dsl.parser.MAX_DURATION_MS`` to one, or is
cut at :data:`END_OF_TIME`, so all of them fit a Java long, as Flink's
timestamps, watermarks and timers do.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

MIN_TIME = 0  # 1970-01-01T00:00:00.000Z
MAX_TIME = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant ISO-8601 years of four digits reach
END_OF_TIME = 2**63 - 1  # Java's Long.MAX_VALUE: nothing happens at or after it

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
    """Event time in epoch milliseconds, within ``[MIN_TIME, MAX_TIME]``.

    An integer (or a float with a whole value), or an ISO-8601 string (UTC if
    it has no offset).
    """
    value = event.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return _in_range(value, field, value)
    if isinstance(value, float) and value.is_integer():
        return _in_range(int(value), field, value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadEvent(f"time field {field!r} is not ISO-8601: {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return _in_range((parsed - _EPOCH) // _ONE_MS, field, value)
    if value is None:
        raise BadEvent(f"missing time field {field!r}")
    raise BadEvent(f"time field {field!r} is not epoch milliseconds or ISO-8601: {value!r}")


def _in_range(time: int, field: str, written: Any) -> int:
    if MIN_TIME <= time <= MAX_TIME:
        return time
    raise BadEvent(f"time field {field!r} is out of range: {written!r}"
                   f" (accepted: {MIN_TIME} to {MAX_TIME} ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)")


def future_reason(time: int, now_ms: int, max_future_ms: int) -> str | None:
    """Why an event at ``time`` is too far ahead of the clock ``now_ms`` (None: it is not)."""
    if time - now_ms <= max_future_ms:
        return None
    return f"too far in the future: {time - now_ms} ms ahead of the clock (watermark.max_future {max_future_ms} ms)"
