"""Exact numbers of numeric timelines, shared by the reference evaluator and the generated code.

A numeric timeline is piecewise linear: at each instant a value and a rate
(per millisecond), or null (rate 0). Values and rates are exact: Python
integers, or :class:`~fractions.Fraction` where they are not whole (a float
literal or event value stands for its exact binary value). Records show them
as integers where they are whole (within 64 bits), else as the nearest float (:func:`shown`);
a key's stored state holds fractions as ``["numerator", "denominator"]``
(:func:`packed`), as it is JSON of 64-bit integers.

Comparisons look at right limits: ``v + r·ε`` for an infinitely small ``ε``,
so equal values compare by their rates (:func:`sign`), and a comparison's
result changes only at integer milliseconds: at the first one at which the
new result holds (:func:`crossing`).
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any, Union

from engine.events import END_OF_TIME

Exact = Union[int, Fraction]


def exact(value: Any) -> Exact | None:
    """The numeric value of an event or state value: numbers exactly, anything else (a string, a boolean) null."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return int(value) if value.is_integer() else Fraction(value)
    return None


def whole(value: Exact) -> Exact:
    """``value`` as an int when it is one (a Fraction with denominator 1)."""
    return value.numerator if type(value) is Fraction and value.denominator == 1 else value


def divided(value: Exact, divisor: int) -> Exact:
    """``value / divisor`` exactly, an int where whole (cheaper than a Fraction's arithmetic for ints)."""
    if type(value) is int:
        return value // divisor if value % divisor == 0 else Fraction(value, divisor)
    return whole(value / divisor)


def shown(value: Exact | None) -> int | float | None:
    """A value or rate in a record: an integer where whole (and a 64-bit one), else the nearest float."""
    if type(value) is Fraction:
        value = value.numerator if value.denominator == 1 else _nearest_float(value)
    if type(value) is int and not -2**63 <= value < 2**63:
        return _nearest_float(value)
    return value


def _nearest_float(value: Exact) -> float:
    """The nearest float; beyond the largest finite one, that one with the value's sign (JSON has no infinity)."""
    try:
        return float(value)
    except OverflowError:
        return sys.float_info.max if value > 0 else -sys.float_info.max


def packed(value: Exact | None) -> Any:
    """A value as a key's stored state holds it (JSON, 64-bit integers): a fraction, or an integer
    beyond 64 bits, as ``[numerator, denominator]``; the numbers in the list as decimal strings."""
    if type(value) is Fraction or (type(value) is int and not -2**63 <= value < 2**63):
        return [str(value.numerator), str(value.denominator)]
    return value


def unpacked(value: Any) -> Exact | None:
    """The value :func:`packed` stored."""
    return whole(Fraction(int(value[0]), int(value[1]))) if type(value) is list else value


def at(value: Exact | None, rate: Exact, elapsed: int) -> Exact | None:
    """The value ``elapsed`` milliseconds later (null stays null)."""
    return None if value is None else whole(value + rate * elapsed)


def sign(value: Exact, rate: Exact) -> int:
    """The sign of ``value + rate·ε``: of the value, or of the rate where the value is 0."""
    if value:
        return 1 if value > 0 else -1
    return (rate > 0) - (rate < 0)


def crossing(t: int, value: Exact, rate: Exact) -> int:
    """The first integer instant after ``t`` at which :func:`sign` of ``value + rate·(τ - t)`` is not what
    it is at ``t``: ``ceil`` of the exact zero crossing (END_OF_TIME if there is none before the end of time)."""
    if value == 0 or rate == 0 or (value > 0) == (rate > 0):
        return END_OF_TIME
    if type(value) is int and type(rate) is int:
        when = t - value // rate  # ceil(-value / rate) in integers
    else:
        when = t + math.ceil(Fraction(-value) / rate)
    return when if when < END_OF_TIME else END_OF_TIME


def continues(previous: tuple[int, Exact | None, Exact], t: int, value: Exact | None, rate: Exact) -> bool:
    """Whether ``(value, rate)`` at ``t`` is the linear piece that began at ``previous`` ``(time, value, rate)``."""
    start, previous_value, previous_rate = previous
    return rate == previous_rate and value == at(previous_value, previous_rate, t - start)


def continues_record(start: int, value: Any, rate: Any, t: int, now: Exact | None, now_rate: Exact) -> bool:
    """:func:`continues` for a record stored :func:`packed`: its value and rate unpacked only where they
    are lists (a rate not even then where it packs to the same list), the value only where the rates are equal."""
    if type(rate) is list:
        if packed(now_rate) != rate and now_rate != unpacked(rate):
            return False
    elif now_rate != rate:
        return False
    if type(value) is list:
        value = unpacked(value)
    if value is None:
        return now is None
    return now == value + now_rate * (t - start)
