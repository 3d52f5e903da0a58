"""Raw payloads to events, or to dead letters with a reason."""
from __future__ import annotations

import pytest

from engine.decode import PAYLOAD_PREFIX_CHARS, Event, dead_letter, decode_event
from engine.events import MAX_TIME, MIN_TIME, BadEvent, future_reason
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


POISONED_TIMES = {  # the payload's time, and the reason it is refused
    b"1e30": "time field 'ts' is out of range: 1e+30",
    b"9223372036854775807": "time field 'ts' is out of range: 9223372036854775807",
    b"99999999999999999999": "time field 'ts' is out of range: 1e+20",  # past 64 bits orjson reads a float
    b"-1": "time field 'ts' is out of range: -1",
    b"253402300800000": "time field 'ts' is out of range: 253402300800000",  # MAX_TIME + 1
    b'"9999-12-31T23:59:59.999-01:00"': "time field 'ts' is out of range: '9999-12-31T23:59:59.999-01:00'",
    b'"0001-01-01T00:00:00Z"': "time field 'ts' is out of range: '0001-01-01T00:00:00Z'",
    b'"+275760-09-13T00:00:00Z"': "time field 'ts' is not ISO-8601",
    b'"99999-01-01"': "time field 'ts' is not ISO-8601",
    b"1e400": "malformed JSON",
    b"NaN": "malformed JSON",
    b"Infinity": "malformed JSON",
    b"-Infinity": "malformed JSON",
    b'"NaN"': "time field 'ts' is not ISO-8601: 'NaN'",
    b"1.5": "time field 'ts' is not epoch milliseconds or ISO-8601: 1.5",
    b"true": "time field 'ts' is not epoch milliseconds or ISO-8601: True",
    b"[1000]": "time field 'ts' is not epoch milliseconds or ISO-8601: [1000]",
}


@pytest.mark.parametrize("time, reason", POISONED_TIMES.items())
def test_times_outside_the_accepted_range_are_refused(time, reason):
    assert reason_of(b'{"id": "a", "ts": ' + time + b"}").startswith(reason)


@pytest.mark.parametrize("time, expected", [
    (b"0", MIN_TIME), (b"253402300799999", MAX_TIME), (b'"9999-12-31T23:59:59.999Z"', MAX_TIME),
    (b'"1970-01-01T00:00:00Z"', MIN_TIME), (b"1.767225600e12", 1_767_225_600_000),
])
def test_the_bounds_of_the_accepted_range_are_included(time, expected):
    assert decode_event(b'{"id": "a", "ts": ' + time + b"}", "id", "ts").time == expected


def test_an_event_far_ahead_of_the_clock_has_a_reason():
    assert future_reason(1000 + 86_400_000, now_ms=1000, max_future_ms=86_400_000) is None
    assert future_reason(1001 + 86_400_000, now_ms=1000, max_future_ms=86_400_000) == (
        "too far in the future: 86400001 ms ahead of the clock (watermark.max_future 86400000 ms)")
