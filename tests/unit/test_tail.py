"""The screen of `timeline tail`: current values, numeric ones advancing, ended runs, aggregate tables."""
from __future__ import annotations

from cli.tail import TailView


class Clock:
    def __init__(self):
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def test_values_advance_with_the_stream_clock_and_ended_runs_show():
    clock = Clock()
    view = TailView(clock=clock)
    view.add([
        {"key": "s1", "timeline": "cirr", "time": 1000, "value": 0, "rate": 0},
        {"key": "s1", "timeline": "cirr", "time": 7000, "value": 0, "rate": 1},
        {"key": "s1", "timeline": "state", "time": 7000, "value": "buffer"},
        {"key": "s2", "timeline": "cirr", "time": 2000, "value": None, "rate": 0},
        {"metric": "by_cdn", "group": {"cdn": None}, "time": 6000, "count": 2, "sum": 30, "avg": 15.0},
    ])
    rows = {line.split()[0]: line.split() for line in view.screen().splitlines()[2:4]}
    assert rows["s1"][1:] == ["0.0", "s", "+", "buffer"]
    assert rows["s2"][1:3] == ["ended", "2.0"]
    clock.seconds += 1.5  # the stream's clock moves on with the wall clock
    screen = view.screen()
    assert "1.5 s +" in screen
    assert "by_cdn (latest tick per group)" in screen
    assert "cdn=null" in screen and "15.0" in screen


def test_key_and_timeline_filters():
    view = TailView(keys={"s1"}, timelines={"cirr"})
    view.add([{"key": "s1", "timeline": "cirr", "time": 1, "value": 0, "rate": 0},
              {"key": "s1", "timeline": "stuck", "time": 1, "value": False},
              {"key": "s2", "timeline": "cirr", "time": 1, "value": 0, "rate": 0}])
    assert view.changes.keys() == ["s1"] and view.changes.timelines() == ["cirr"]
