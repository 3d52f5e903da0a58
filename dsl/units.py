"""Units of durations: the one table that expressions are parsed with, rendered in, and progress is shown in."""

DURATION_UNITS_MS = {
    "ms": 1,
    "s": 1_000,
    "sec": 1_000,
    "m": 60_000,
    "min": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
}
"""Milliseconds of each unit; ``sec`` and ``min`` are other spellings of ``s`` and ``m``."""

LARGEST_FIRST = ("d", "h", "m", "s", "ms")
"""The units a duration is rendered in, largest first (each spelled once)."""
