"""What the generated code of windowed operators keeps: the spans of a boolean timeline within a window.

``duration_where(b, d)`` keeps the true spans of ``b`` that end after ``t - d``,
as one flat list ``[start, end, start, end, ...]`` (the last ``end`` None while
``b`` is true): at most one span per change of ``b`` within the window.
"""
from __future__ import annotations

from engine.events import END_OF_TIME


def covered(spans: list, t: int, t0: int, window_ms: int) -> tuple[int, int, int]:
    """The time in ``[max(t0, t - window), t)`` covered by ``spans``, its rate at ``t`` (``[b(t)] - [b(t - window)]``),
    and the next instant after ``t`` at which the rate changes (END_OF_TIME if none)."""
    low, then = max(t0, t - window_ms), t - window_ms
    value, rate, due = 0, 0, END_OF_TIME
    for index in range(0, len(spans), 2):
        start, end = spans[index], spans[index + 1]
        value += max(0, min(t if end is None else end, t) - max(start, low))
        if end is None:
            rate += 1
        if then >= t0 and start <= then and (end is None or then < end):
            rate -= 1
        for edge in (start, end):
            if edge is not None and t < edge + window_ms < due:
                due = edge + window_ms
    return value, rate, due


def forget_before(spans: list, instant: int) -> None:
    """Drop the spans that end at or before ``instant``."""
    kept = 0
    while kept < len(spans) and spans[kept + 1] is not None and spans[kept + 1] <= instant:
        kept += 2
    del spans[:kept]
