"""Reading the entity key and the event time out of a decoded event.

Event times are integer epoch milliseconds in ``[MIN_TIME, MAX_TIME]``:
1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. Every instant the
engine derives from an event time (a window's end, a session end, a tick, a
threshold crossing) adds at most ``dsl.parser.MAX_DURATION_MS`` to one, or is
cut at :data:`END_OF_TIME`, so all of them fit a Java long, as Flink's
timestamps, watermarks and timers do.

The reasons of bad events are texts the JVM decoder (``jvm/``,
``timeline.flink.decode``) writes identically: field names and string values
appear JSON-quoted (:func:`quoted`), other values as :func:`described`.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

MIN_TIME = 0  # 1970-01-01T00:00:00.000Z
MAX_TIME = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant ISO-8601 years of four digits reach
END_OF_TIME = 2**63 - 1  # Java's Long.MAX_VALUE: nothing happens at or after it (a due time: "none")

QUOTED_CHARS = 64  # a string value in a reason: its first 64 code points, then "..."
ISO_8601 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
                      r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?")
_DAY_MS = 86_400_000


class BadEvent(ValueError):
    """An event that cannot be evaluated; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def quoted(text: str) -> str:
    """``text`` as a JSON string, as orjson writes it, cut after :data:`QUOTED_CHARS` code points (then ``...``)."""
    if len(text) > QUOTED_CHARS:
        return orjson.dumps(text[:QUOTED_CHARS]).decode() + "..."
    return orjson.dumps(text).decode()


def described(value: Any) -> str:
    """A JSON value in a reason: strings quoted, integers in decimal, ``true``, ``false``, ``null``,
    ``a floating-point number``, ``an array``, ``an object``."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "a floating-point number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def event_key(event: dict[str, Any], field: str) -> str:
    """The entity key as a string; non-empty strings and integers (in decimal) are usable keys."""
    value = event.get(field)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise BadEvent(f"missing key field {quoted(field)}")
    raise BadEvent(f"key field {quoted(field)} is not a string or integer: {described(value)}")


def event_time(event: dict[str, Any], field: str) -> int:
    """Event time in epoch milliseconds, within ``[MIN_TIME, MAX_TIME]``.

    An integer (or a float with a whole value), or an ISO-8601 string of
    :data:`ISO_8601` (UTC if it has no offset).
    """
    value = event.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return _in_range(value, field)
    if isinstance(value, float) and value.is_integer():
        return _in_range(int(value), field)
    if isinstance(value, str):
        return _in_range(iso_time(value, field), field)
    if value is None:
        raise BadEvent(f"missing time field {quoted(field)}")
    raise BadEvent(f"time field {quoted(field)} is not epoch milliseconds or ISO-8601: {described(value)}")


def iso_time(text: str, field: str) -> int:
    """Epoch milliseconds of ``YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]][Z|±HH:MM]]``, the fraction cut to milliseconds.

    Any instant of such a text, in range or not; a date that is not in the
    (proleptic Gregorian) calendar or a field out of bounds is not ISO-8601.
    """
    match = ISO_8601.fullmatch(text)
    millis = _iso_millis(match) if match else None
    if millis is None:
        raise BadEvent(f"time field {quoted(field)} is not ISO-8601: {quoted(text)}")
    return millis


def _iso_millis(match: re.Match) -> int | None:
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups()[:6])
    fraction, offset = match.group(7) or "", match.group(8) or "Z"
    offset_hours, offset_minutes = (0, 0) if offset == "Z" else (int(offset[1:3]), int(offset[4:6]))
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month) and hour <= 23 and minute <= 59
            and second <= 59 and offset_hours <= 23 and offset_minutes <= 59):
        return None
    east = -1 if offset[0] == "-" else 1
    minutes = hour * 60 + minute - east * (offset_hours * 60 + offset_minutes)
    return _days_since_epoch(year, month, day) * _DAY_MS + (minutes * 60 + second) * 1000 + int(fraction[:3].ljust(3, "0"))


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_since_epoch(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (years 0 to 9999)."""
    shifted = year - (month <= 2)  # years counted from March: the leap day ends them
    era_year = shifted + 400  # keeps every value positive: 400 years later, same calendar
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era_year * 365 + era_year // 4 - era_year // 100 + era_year // 400 + day_of_year
    return days - 719_468 - 146_097  # 1970-03-01 of that count, less the 400 years added


def _in_range(time: int, field: str) -> int:
    if MIN_TIME <= time <= MAX_TIME:
        return time
    raise BadEvent(f"time field {quoted(field)} is out of range: {time}"
                   f" (accepted: {MIN_TIME} to {MAX_TIME} ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)")


def future_reason(time: int, now_ms: int, max_future_ms: int) -> str | None:
    """Why an event at ``time`` is too far ahead of the clock ``now_ms`` (None: it is not)."""
    if time - now_ms <= max_future_ms:
        return None
    return f"too far in the future: {time - now_ms} ms ahead of the clock (watermark.max_future {max_future_ms} ms)"
