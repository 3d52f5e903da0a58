"""Realistic video-player sessions, reproducible from a seed.

A session starts with ``init``, buffers before the first ``play``, then wanders
between playing, rebuffering, pauses and seeks (a seek is followed by a short
buffer), switches CDN and bitrate now and then, may hit an error, and either
ends or just goes silent. Field names match ``examples/cirr.yaml``.
"""
from __future__ import annotations

import random
from typing import Any, Iterator

CDNS = ("akamai", "fastly", "cloudfront", "edgio")
BITRATES = (800, 1500, 3000, 4500, 6000)
BASE_TIME = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _session(rng: random.Random, session_id: str, start: int, steps: int) -> list[dict[str, Any]]:
    t = start
    events = [{"sessionId": session_id, "ts": t, "playerStateChange": "init",
               "cdn": rng.choice(CDNS), "bitrate": rng.choice(BITRATES)}]

    def emit(**fields: Any) -> None:
        events.append({"sessionId": session_id, "ts": t, **fields})

    t += rng.randint(50, 400)
    emit(playerStateChange="buffer")
    t += rng.randint(200, 3000)
    emit(playerStateChange="play")
    for _ in range(steps):
        t += rng.randint(500, 20_000)
        roll = rng.random()
        if roll < 0.30:
            emit(playerStateChange="buffer")
            t += rng.randint(200, 8000)
            emit(playerStateChange="play")
        elif roll < 0.45:
            emit(userAction="seek")
            t += rng.randint(0, 300)
            emit(playerStateChange="buffer")
            t += rng.randint(100, 2000)
            emit(playerStateChange="play")
        elif roll < 0.55:
            emit(userAction="pause", playerStateChange="pause")
            t += rng.randint(1000, 60_000)
            emit(userAction="resume", playerStateChange="play")
        elif roll < 0.70:
            emit(bitrate=rng.choice(BITRATES))
        elif roll < 0.78:
            emit(cdn=rng.choice(CDNS))
        elif roll < 0.785:
            emit(error=rng.choice(("network", "decode", "drm")), playerStateChange="error")
            break
        else:
            emit(heartbeat=True)
    if rng.random() < 0.7:
        t += rng.randint(100, 5000)
        emit(playerStateChange="ended")
    return events


def generate_sessions(sessions: int, seed: int = 0, span_ms: int = 3_600_000,
                      steps: int = 10, disorder_ms: int = 0) -> Iterator[dict[str, Any]]:
    """All events of ``sessions`` sessions starting within ``span_ms``, in time order.

    With ``disorder_ms`` each event is delayed by up to that much in arrival
    order, as a real network would (its ``ts`` stays the same).
    """
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for number in range(sessions):
        start = BASE_TIME + rng.randrange(span_ms)
        events.extend(_session(rng, f"s{number:07d}", start, rng.randint(1, 2 * steps)))
    if disorder_ms:
        arrival = {id(event): event["ts"] + rng.randrange(disorder_ms) for event in events}
        events.sort(key=lambda event: arrival[id(event)])
    else:
        events.sort(key=lambda event: event["ts"])
    yield from events
