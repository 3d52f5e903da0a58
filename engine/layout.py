"""A key's engine state: its slots, which plan it belongs to, and carrying it over to a changed plan.

A key's state is a list. Its header is ``[t0, last, due]``: the run's first
event time (None: no active run), the last instant applied, and the next instant
at which a value changes without new events (:data:`~engine.events.END_OF_TIME`:
none). Then come the plan's slot groups, the tick's first when the plan has
aggregates, and last, only in a state carried over from another plan, the list
of names *held back* (see below). :func:`new_state`, :func:`is_active`,
:func:`width` and :func:`held_back` read and write it; the generated code
(``engine/codegen.py``) addresses the slots by these indices.

A plan's *layout* is the list of its slot groups (see :class:`engine.codegen.Generated`),
each written as a short hash of its owner's text and its slot count, so that
every key's checkpointed state can say which plan wrote it in a few bytes.
Owners are equal exactly for equal expressions: a node's text with its
literals' types (``1``, ``1.0``, ``true``), an output's name and expression, an
aggregate's name, timeline, groups and interval.

A key's state written under another plan is carried over as follows:

- an owner of the new plan that the old one had keeps its slots; the tick is
  moved to the new plan's first tick at or after the old one;
- the other slots start from their initial values at the run's t0, and every
  output or aggregate the old plan did not have (by name and expression) is
  *held back* for the rest of the key's current run: its changes and
  contributions are dropped until the run ends, and the key's next run has it
  complete;
- a different key field, time field or session timeout cannot be carried
  over (the runs themselves would differ): :class:`PlanChanged`.
"""
from __future__ import annotations

import base64
import hashlib

from engine.events import END_OF_TIME

T0, LAST, DUE = 0, 1, 2
FIRST_SLOT = 3
TICK = FIRST_SLOT  # the next aggregate tick: the first slot of a plan with aggregates
TICK_OWNER = "tick"
HASH_CHARS = 4
GROUP_CHARS = HASH_CHARS + 1  # the hash and one digit of slot count


class PlanChanged(ValueError):
    """A key's state belongs to a plan whose runs differ from this one's."""


def owner_hash(owner: str) -> str:
    """Four URL-safe base64 characters (24 bits) of an owner's text."""
    return base64.urlsafe_b64encode(hashlib.blake2b(owner.encode(), digest_size=3).digest()).decode()


def encode(groups: tuple[tuple[str, int], ...]) -> str:
    """The layout string of a plan's slot groups."""
    return "".join(f"{owner_hash(owner)}{count}" for owner, count in groups)


def decode(layout: str) -> list[tuple[str, int]]:
    """``(owner hash, slot count)`` of each group of a layout string."""
    return [(layout[i:i + HASH_CHARS], int(layout[i + HASH_CHARS]))
            for i in range(0, len(layout), GROUP_CHARS)]


def slot_ranges(groups: list[tuple[str, int]], first_slot: int) -> dict[str, range]:
    """Each owner hash's slots in a state list whose first slot is ``first_slot``."""
    ranges, start = {}, first_slot
    for owner, count in groups:
        ranges[owner] = range(start, start + count)
        start += count
    return ranges


def new_state() -> list:
    """The state of a key with no active run."""
    return [None, None, END_OF_TIME]


def is_active(state: list) -> bool:
    return state[T0] is not None


def width(groups: list[tuple[str, int]]) -> int:
    """The length of an active state of these slot groups, without a held-back list."""
    return FIRST_SLOT + sum(count for _, count in groups)


def held_back(state: list, state_width: int) -> list[str] | None:
    """The names held back in ``state`` of an active run of that width (None: nothing is)."""
    return state[-1] if len(state) > state_width else None
