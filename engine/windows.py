"""What the generated code of windowed operators keeps: the spans of a boolean timeline within a window.

``duration_where(b, d)`` keeps the true spans of ``b`` that end after ``t - d``,
as one flat list ``[start, end, start, end, ...]`` (the last ``end`` None while
``b`` is true): at most one span per change of ``b`` within the window. Every
span starts at or after the run's start ``t0``, and only the first one can
begin before ``t - d``: the work at an instant is a sum over the list in C and
a look at its first span.
"""
from __future__ import annotations

from engine.events import END_OF_TIME


def covered(spans: list, t: int, window_ms: int) -> tuple[int, int, int]:
    """The time in ``[max(t0, t - window), t)`` (``t0`` the run's start) covered by ``spans``, its rate at ``t``
    (``[b(t)] - [b(t - window)]``), and the next instant after ``t`` at which the rate changes (END_OF_TIME if none).

    ``spans`` holds no span that ends at or before ``t - window`` (:func:`forget_before`).
    """
    if not spans:
        return 0, 0, END_OF_TIME
    if spans[-1] is None:  # an open span, covered up to t
        value, rate = t - spans[-2] + sum(spans[1:-2:2]) - sum(spans[:-2:2]), 1
    else:
        value, rate = sum(spans[1::2]) - sum(spans[::2]), 0
    then, first = t - window_ms, spans[0]
    if first <= then:  # the first span began before the window: its earlier part is out
        value, rate, edge = value - (then - first), rate - 1, spans[1]
    else:
        edge = first
    due = END_OF_TIME if edge is None else edge + window_ms
    return value, rate, due if due < END_OF_TIME else END_OF_TIME


def forget_before(spans: list, instant: int) -> None:
    """Drop the spans that end at or before ``instant``."""
    kept = 0
    while kept < len(spans) and spans[kept + 1] is not None and spans[kept + 1] <= instant:
        kept += 2
    del spans[:kept]
