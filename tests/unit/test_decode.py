"""Raw payloads to events, or to dead letters with a reason."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from engine.decode import PAYLOAD_PREFIX_CHARS, Event, dead_letter, decode_event, reason_class, text_of
from engine.events import MAX_TIME, MIN_TIME, BadEvent, future_reason, iso_time


def reason_of(raw, max_bytes: int = 1 << 20) -> str:
    with pytest.raises(BadEvent) as error:
        decode_event(raw, "id", "ts", max_bytes)
    return error.value.reason


def test_a_good_event_with_iso_time_and_integer_key():
    assert decode_event(b'{"id": 7, "ts": "1970-01-01T00:00:01.5+00:00", "x": 1}', "id", "ts") == \
        Event("7", 1500, {"id": 7, "ts": "1970-01-01T00:00:01.5+00:00", "x": 1})


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "not a JSON object: an array"),
    (b'"x"', 'not a JSON object: "x"'),
    (b'{"ts": 1}', 'missing key field "id"'),
    (b'{"id": null, "ts": 1}', 'missing key field "id"'),
    (b'{"id": true, "ts": 1}', 'key field "id" is not a string or integer: true'),
    (b'{"id": "", "ts": 1}', 'key field "id" is not a string or integer: ""'),
    (b'{"id": 7.0, "ts": 1}', 'key field "id" is not a string or integer: a floating-point number'),
    (b'{"id": "a"}', 'missing time field "ts"'),
    (b'{"id": "a", "ts": "soon"}', 'time field "ts" is not ISO-8601: "soon"'),
    (b'{"id": "a", "ts": 1.5}', 'time field "ts" is not epoch milliseconds or ISO-8601: a floating-point number'),
    (b'{"id": 1, "id": "a", "ts": {}}', 'time field "ts" is not epoch milliseconds or ISO-8601: an object'),
    (b'\xef\xbb\xbf{"id": "a", "ts": 1}', "malformed JSON"),
])
def test_bad_events_say_why(raw, reason):
    assert reason_of(raw) == reason


def test_a_long_string_in_a_reason_is_cut():
    assert reason_of(b'{"id": "a", "ts": "' + "\u00e9".encode() * 70 + b'"}') == (
        'time field "ts" is not ISO-8601: "' + "\u00e9" * 64 + '"...')


@pytest.mark.parametrize("reason, general", [
    ('time field "ts" is not ISO-8601: "so\\"on"', "time field is not ISO-8601"),
    ('key field "a:\\"b" is not a string or integer: true', "key field is not a string or integer"),
    ('time field "ts" is not ISO-8601: "' + "x" * 64 + '"...', "time field is not ISO-8601"),
    ("event too large: 9 bytes (limit 8)", "event too large"), ("late", "late"),
])
def test_a_reason_class_leaves_the_details_out(reason, general):
    assert reason_class(reason) == general


@pytest.mark.parametrize("raw, text", [
    (b"a\xed\xa0\x80b", "a\ufffdb"), (b"\xed\xbf", "\ufffd"), (b"\xf0\x9f\x98", "\ufffd"),
    (b"\xf0\x9f\x98x", "\ufffdx"), (b"\xe0\x80\x80", "\ufffd\ufffd\ufffd"), (b"\xc3\xa9\xff", "\u00e9\ufffd"),
])
def test_invalid_utf8_is_replaced_as_java_does(raw, text):
    assert text_of(raw) == text


def test_the_size_limit_counts_utf8_bytes():
    assert reason_of('{"id": "a", "ts": 1, "p": "\U0001F600"}', max_bytes=32) == "event too large: 33 bytes (limit 32)"


def test_an_event_over_the_size_limit_is_refused_before_parsing():
    assert reason_of(b'{"id": "a", "ts": 1, "pad": "' + b"x" * 100 + b'"}', max_bytes=64) == (
        "event too large: 131 bytes (limit 64)")


def test_a_dead_letter_keeps_a_bounded_prefix_of_the_payload():
    letter = dead_letter(b"y" * (PAYLOAD_PREFIX_CHARS + 10), "event too large")
    assert letter == {"reason": "event too large", "payload": "y" * PAYLOAD_PREFIX_CHARS, "truncated": True}
    assert dead_letter("short", "late") == {"reason": "late", "payload": "short"}


RANGE = " (accepted: 0 to 253402300799999 ms, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z)"
POISONED_TIMES = {  # the payload's time, and the reason it is refused
    b"1e30": 'time field "ts" is out of range: 1000000000000000019884624838656' + RANGE,
    b"9223372036854775807": 'time field "ts" is out of range: 9223372036854775807' + RANGE,
    b"99999999999999999999": 'time field "ts" is out of range: 100000000000000000000' + RANGE,  # past 64 bits: a float
    b"-1": 'time field "ts" is out of range: -1' + RANGE,
    b"253402300800000": 'time field "ts" is out of range: 253402300800000' + RANGE,  # MAX_TIME + 1
    b'"9999-12-31T23:59:59.999-01:00"': 'time field "ts" is out of range: 253402304399999' + RANGE,
    b'"0001-01-01T00:00:00Z"': 'time field "ts" is out of range: -62135596800000' + RANGE,
    b'"+275760-09-13T00:00:00Z"': 'time field "ts" is not ISO-8601: "+275760-09-13T00:00:00Z"',
    b'"99999-01-01"': 'time field "ts" is not ISO-8601: "99999-01-01"',
    b'"2023-02-29"': 'time field "ts" is not ISO-8601: "2023-02-29"',
    b'"2024-01-01T24:00"': 'time field "ts" is not ISO-8601: "2024-01-01T24:00"',
    b'"2024-01-01T12:00+0100"': 'time field "ts" is not ISO-8601: "2024-01-01T12:00+0100"',
    b'"2024-01-01T12"': 'time field "ts" is not ISO-8601: "2024-01-01T12"',
    b'"20240101"': 'time field "ts" is not ISO-8601: "20240101"',
    b"1e400": "malformed JSON",
    b"NaN": "malformed JSON",
    b"Infinity": "malformed JSON",
    b"-Infinity": "malformed JSON",
    b"01": "malformed JSON",
    b'"\\ud800"': "malformed JSON",
    b'"NaN"': 'time field "ts" is not ISO-8601: "NaN"',
    b"1.5": 'time field "ts" is not epoch milliseconds or ISO-8601: a floating-point number',
    b"true": 'time field "ts" is not epoch milliseconds or ISO-8601: true',
    b"[1000]": 'time field "ts" is not epoch milliseconds or ISO-8601: an array',
}


@pytest.mark.parametrize("time, reason", POISONED_TIMES.items())
def test_times_outside_the_accepted_range_are_refused(time, reason):
    assert reason_of(b'{"id": "a", "ts": ' + time + b"}") == reason


@pytest.mark.parametrize("time, expected", [
    (b"0", MIN_TIME), (b"253402300799999", MAX_TIME), (b'"9999-12-31T23:59:59.999Z"', MAX_TIME),
    (b'"1970-01-01T00:00:00Z"', MIN_TIME), (b"1.767225600e12", 1_767_225_600_000), (b"-0.0", MIN_TIME),
    (b'"1970-01-01"', MIN_TIME), (b'"1970-01-01 00:00:01.9999+00:00"', 1999), (b'"1970-01-02T00:00+23:59"', 60_000),
])
def test_the_bounds_of_the_accepted_range_are_included(time, expected):
    assert decode_event(b'{"id": "a", "ts": ' + time + b"}", "id", "ts").time == expected


def test_an_event_far_ahead_of_the_clock_has_a_reason():
    assert future_reason(1000 + 86_400_000, now_ms=1000, max_future_ms=86_400_000) is None
    assert future_reason(1001 + 86_400_000, now_ms=1000, max_future_ms=86_400_000) == (
        "too far in the future: 86400001 ms ahead of the clock (watermark.max_future 86400000 ms)")


def test_iso_times_agree_with_python_datetime_where_both_read_them():
    rng = random.Random(5)
    for _ in range(2000):
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=rng.randrange(MAX_TIME))
        zone = timezone(timedelta(minutes=rng.randrange(-1439, 1440)))
        text = moment.astimezone(zone).isoformat(sep=rng.choice("T "), timespec="milliseconds")
        assert iso_time(text, "ts") == (datetime.fromisoformat(text) - datetime(1970, 1, 1, tzinfo=timezone.utc)) // \
            timedelta(milliseconds=1)
