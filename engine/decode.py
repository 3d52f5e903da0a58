"""Turning raw payloads into events, or into dead letters that say why not.

The JVM decoder (``jvm/``, ``timeline.flink.decode``) follows these rules
exactly; ``tests/integration/test_jvm_decode.py`` holds both to it.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import orjson

from engine.events import BadEvent, described, event_key, event_time, future_reason

MAX_EVENT_BYTES = 1 << 20
PAYLOAD_PREFIX_CHARS = 2048
REPLACEMENT = "\ufffd"


class Event(NamedTuple):
    key: str
    time: int
    fields: dict[str, Any]


def text_of(raw: bytes) -> str:
    """UTF-8 bytes as text, each malformed sequence replaced by U+FFFD as Java's ``new String(raw, UTF_8)`` does.

    Java replaces some sequences as one character where Python's ``"replace"``
    gives several (a UTF-8-encoded surrogate ``ED A0 80`` is one), so the
    replacement follows Java's decoder (JDK 17).
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _java_replaced(raw)


def _continues(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _java_replaced(raw: bytes) -> str:
    chars, at, end = [], 0, len(raw)
    while at < end:
        lead = raw[at]
        at += 1
        if lead < 0x80:
            chars.append(chr(lead))
        elif 0xC2 <= lead <= 0xDF:
            if at < end and _continues(raw[at]):
                chars.append(chr((lead & 0x1F) << 6 | raw[at] & 0x3F))
                at += 1
            else:
                chars.append(REPLACEMENT)
        elif 0xE0 <= lead <= 0xEF:
            overlong = at < end and lead == 0xE0 and raw[at] & 0xE0 == 0x80
            if at + 1 < end:
                second, third = raw[at], raw[at + 1]
                if overlong or not _continues(second):
                    chars.append(REPLACEMENT)
                elif not _continues(third):
                    chars.append(REPLACEMENT)
                    at += 1
                else:
                    char = (lead & 0x0F) << 12 | (second & 0x3F) << 6 | third & 0x3F
                    chars.append(REPLACEMENT if 0xD800 <= char <= 0xDFFF else chr(char))
                    at += 2
            elif at < end and (overlong or not _continues(raw[at])):
                chars.append(REPLACEMENT)
            else:  # a sequence cut by the end: one replacement for the rest
                chars.append(REPLACEMENT)
                break
        elif 0xF0 <= lead <= 0xF7:
            second_bad = at < end and (
                lead == 0xF0 and not 0x90 <= raw[at] <= 0xBF or lead == 0xF4 and raw[at] & 0xF0 != 0x80
                or not _continues(raw[at]))
            if at + 2 < end:
                second, third, fourth = raw[at:at + 3]
                code = (lead & 0x07) << 18 | (second & 0x3F) << 12 | (third & 0x3F) << 6 | fourth & 0x3F
                if _continues(second) and _continues(third) and _continues(fourth) and 0x10000 <= code <= 0x10FFFF:
                    chars.append(chr(code))
                    at += 3
                else:
                    chars.append(REPLACEMENT)
                    at += 0 if lead > 0xF4 or second_bad else 1 if not _continues(third) else 2
            elif lead > 0xF4 or second_bad:
                chars.append(REPLACEMENT)
            else:  # a sequence cut by the end: one replacement for it, and a trailing non-continuation byte on its own
                chars.append(REPLACEMENT)
                at += 1
                if not (at < end and not _continues(raw[at])):
                    break
        else:
            chars.append(REPLACEMENT)
    return "".join(chars)


def is_blank(text: str) -> bool:
    """A line with nothing but Python's whitespace (``str.isspace``), skipped rather than decoded."""
    return not text.strip()


def utf8_length(text: str) -> int:
    """The length of ``text`` in UTF-8 (a lone surrogate counts 3 bytes)."""
    return len(text.encode("utf-8", "surrogatepass"))


def decode_event(raw: bytes | str, key_field: str, time_field: str,
                 max_bytes: int = MAX_EVENT_BYTES) -> Event:
    """Parse one JSON object (bytes: as :func:`text_of`) and read its key and time; raises :class:`BadEvent`."""
    text = text_of(raw) if isinstance(raw, bytes) else raw
    if len(text) * 4 > max_bytes and (size := utf8_length(text)) > max_bytes:  # 4: the most bytes of a code point
        raise BadEvent(f"event too large: {size} bytes (limit {max_bytes})")
    try:
        fields = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise BadEvent("malformed JSON") from None
    if not isinstance(fields, dict):
        raise BadEvent(f"not a JSON object: {described(fields)}")
    return Event(event_key(fields, key_field), event_time(fields, time_field), fields)


def decode_payload(text: str, key_field: str, time_field: str, max_future_ms: int | None, now_ms: int) -> Event | None:
    """The job's decode step for one payload: None if it is blank, else its event; raises :class:`BadEvent`.

    An event more than ``max_future_ms`` ahead of the clock ``now_ms`` is bad too (None: no bound).
    """
    if is_blank(text):
        return None
    event = decode_event(text, key_field, time_field)
    reason = None if max_future_ms is None else future_reason(event.time, now_ms, max_future_ms)
    if reason:
        raise BadEvent(reason)
    return event


def reason_class(reason: str) -> str:
    """A dead letter's reason without its details, a metric label: ``time field "ts" is not ISO-8601: "soon"``
    -> ``time field is not ISO-8601``."""
    general = re.sub(r'\s*"(?:[^"\\]|\\.)*"(?:\.\.\.)?', "", reason).partition(":")[0]
    return " ".join(general.split()) or "unknown"


def dead_letter(raw: bytes | str, reason: str) -> dict[str, Any]:
    """The dead-letter record: the reason and the payload (a bounded prefix of it)."""
    text = text_of(raw) if isinstance(raw, bytes) else raw
    letter = {"reason": reason, "payload": text[:PAYLOAD_PREFIX_CHARS]}
    if len(text) > PAYLOAD_PREFIX_CHARS:
        letter["truncated"] = True
    return letter
