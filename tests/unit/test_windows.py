"""``engine.windows.covered`` against the time covered counted millisecond by millisecond, for every
small list of spans that ``forget_before`` leaves."""
from __future__ import annotations

from itertools import combinations

from engine.events import END_OF_TIME
from engine.windows import covered, forget_before

WINDOW = 4


def _true_at(spans: list, instant: int) -> bool:
    return any(spans[k] <= instant and (spans[k + 1] is None or instant < spans[k + 1])
               for k in range(0, len(spans), 2))


def _counted(spans: list, t: int, t0: int) -> tuple[int, int, int]:
    """Value, rate and next rate change of the definition, one millisecond at a time (spans held as they are)."""
    value = sum(_true_at(spans, instant) for instant in range(max(t0, t - WINDOW), t))
    rate = _true_at(spans, t) - _true_at(spans, t - WINDOW)
    due = next((later for later in range(t + 1, t + 3 * WINDOW)
                if _true_at(spans, later - WINDOW) != _true_at(spans, t - WINDOW)), END_OF_TIME)
    return value, rate, due


def _span_lists(t0: int, t: int):
    """Every list of spans starting at or after ``t0`` with edges up to ``t`` (the last one maybe open)."""
    for count in range(5):
        for edges in combinations(range(t0, t + 1), count):
            yield list(edges) + [None] * (count % 2)


def test_covered_is_the_time_counted_within_the_window():
    t0, checked = 2, 0
    for t in range(t0, t0 + 3 * WINDOW):
        for spans in _span_lists(t0, t):
            forget_before(spans, t - WINDOW)
            assert covered(spans, t, WINDOW) == _counted(spans, t, t0), (spans, t)
            checked += 1
    assert checked > 1000
