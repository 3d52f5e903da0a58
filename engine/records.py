"""The order in which bounded evaluations list their output records (``timeline eval``, tests)."""
from __future__ import annotations

from typing import Any

import orjson


def change_order(record: dict[str, Any]) -> tuple[str, str, int]:
    """Change records sort by key, timeline and time."""
    return record["key"], record["timeline"], record["time"]


def aggregate_order(record: dict[str, Any]) -> tuple[str, bytes, int]:
    """Aggregate records sort by aggregate name, group as JSON, and time."""
    return record["metric"], orjson.dumps(record["group"]), record["time"]
