"""The watermark-driven reorder buffer."""
from __future__ import annotations

from operators.reorder import ReorderBuffer


def test_releases_in_time_order_grouped_by_instant_keeping_arrival_order_of_ties():
    buffer = ReorderBuffer()
    for time, item in [(30, "c"), (10, "a1"), (20, "b"), (10, "a2"), (40, "d")]:
        assert buffer.add(time, item)
    assert buffer.release(30) == [(10, ["a1", "a2"]), (20, ["b"]), (30, ["c"])]
    assert len(buffer) == 1 and buffer.earliest() == 40


def test_events_at_or_below_the_watermark_are_late_and_not_buffered():
    buffer = ReorderBuffer()
    buffer.release(25)
    assert not buffer.add(25, "at the watermark")
    assert not buffer.add(3, "below")
    assert buffer.add(26, "after")
    assert buffer.release(100) == [(26, ["after"])]


def test_the_watermark_never_goes_back():
    buffer = ReorderBuffer()
    buffer.release(50)
    assert buffer.release(10) == []
    assert buffer.is_late(50)


def test_rebuilt_from_its_state_it_continues_identically():
    buffer = ReorderBuffer()
    for time, item in [(5, "x"), (3, "y"), (5, "z")]:
        buffer.add(time, item)
    buffer.release(3)
    copy = ReorderBuffer(*buffer.state())
    copy.add(5, "w")
    assert copy.release(10) == [(5, ["x", "z", "w"])]
