"""Raw payloads to events, or to dead letters with a reason."""
from __future__ import annotations

import pytest

from engine.decode import PAYLOAD_PREFIX_CHARS, Event, dead_letter, decode_event
from engine.events import BadEvent
from engine.keyed import EVENT_SEPARATOR


def reason_of(raw, max_bytes: int = 1 << 20) -> str:
    with pytest.raises(BadEvent) as error:
        decode_event(raw, "id", "ts", max_bytes)
    return error.value.reason


def test_a_good_event_with_iso_time_and_integer_key():
    assert decode_event(b'{"id": 7, "ts": "1970-01-01T00:00:01.5+00:00", "x": 1}', "id", "ts") == \
        Event("7", 1500, {"id": 7, "ts": "1970-01-01T00:00:01.5+00:00", "x": 1})


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "not a JSON object: list"),
    (b'{"ts": 1}', "missing key field 'id'"),
    (b'{"id": true, "ts": 1}', "key field 'id' is not a string or integer"),
    (b'{"id": "a"}', "missing time field 'ts'"),
    (b'{"id": "a", "ts": "soon"}', "time field 'ts' is not ISO-8601"),
    (b'{"id": "a", "ts": 1.5}', "time field 'ts' is not epoch milliseconds or ISO-8601"),
])
def test_bad_events_say_why(raw, reason):
    assert reason_of(raw).startswith(reason)


def test_an_event_over_the_size_limit_is_refused_before_parsing():
    assert reason_of(b'{"id": "a", "ts": 1, "pad": "' + b"x" * 100 + b'"}', max_bytes=64).startswith(
        "event too large")


def test_a_dead_letter_keeps_a_bounded_prefix_of_the_payload():
    letter = dead_letter(b"y" * (PAYLOAD_PREFIX_CHARS + 10), "event too large")
    assert letter == {"reason": "event too large", "payload": "y" * PAYLOAD_PREFIX_CHARS, "truncated": True}
    assert dead_letter("short", "late") == {"reason": "late", "payload": "short"}


@pytest.mark.parametrize("raw", ['{"id": "a\x1e", "ts": 1}', '{"id": "a", "ts": 1}\x1e', '\x1e{"id": "a", "ts": 1}'])
def test_no_good_event_holds_the_instant_separator(raw):
    assert EVENT_SEPARATOR in raw
    assert reason_of(raw).startswith("malformed JSON")
