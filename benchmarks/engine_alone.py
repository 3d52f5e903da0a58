"""Benchmark of the incremental engine alone: events/s on one core and state bytes per key.

    .venv/bin/python scripts/bench_engine.py [--sessions 10000 --events 1000000 --repeat 3]

Generates video sessions, decodes them once, then times the engine (and the
reference evaluator) over all keys. Prints medians over ``--repeat`` runs.

Then the same for a spec of the newer operators (``--algebra-spec``, all its
outputs, windows included) over the same sessions, and the state per key of
5-minute windows fed one event per second (:data:`WINDOWS_SPEC`).
"""
from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import orjson

from dsl.plan import compile_plan
from dsl.spec import load_spec, load_spec_file
from sessions.generate import generate_sessions
from engine import batch, reference
from engine.decode import Event, decode_event
from engine.incremental import Engine
from engine.keyed import KeyedTimelines

ROOT = Path(__file__).resolve().parents[1]


def timed(function, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def state_bytes_per_key(engine: Engine, per_key: dict) -> tuple[float, int]:
    """Mean and max checkpointed bytes of a key mid-run (all its events applied, run still active, timer set)."""
    sizes = []
    keyed = KeyedTimelines(engine)
    for key_events in per_key.values():
        key_state = keyed.new_key()
        batch.apply_events(engine, key_state.engine_state, key_events, [])
        key_state.timer = engine.next_timer(key_state.engine_state)
        sizes.append(len(keyed.to_json(key_state)))
    return statistics.mean(sizes), max(sizes)


WINDOWS_SPEC = """\
name: windows_5m
key: k
time: t
timelines:
  events_5m: count(t >= 0, 5m)
  buffering_5m: duration_where(latest_event_to_state(s) == "buffer", 5m)
  changes_5m: count_changes(latest_event_to_state(s), 5m)
"""
"""5-minute windows of every kind: every event counts, and the state changes every 10 events."""


def windowed_keys(keys: int, seconds: int) -> dict[str, list[Event]]:
    """``keys`` keys with one event per second for ``seconds``, buffering 10 s out of every 20."""
    return {f"k{key}": [Event(f"k{key}", 1000 * second, {"k": f"k{key}", "t": 1000 * second,
                                                         "s": "buffer" if second // 10 % 2 else "play"})
                        for second in range(seconds)] for key in range(keys)}


def engine_row(label: str, engine: Engine, per_key: dict, repeat: int) -> None:
    """Events/s of ``engine`` over ``per_key`` and its checkpointed state per active key."""
    count = sum(len(key_events) for key_events in per_key.values())
    seconds = timed(lambda: [batch.run_key(engine, key_events) for key_events in per_key.values()], repeat)
    mean_bytes, max_bytes = state_bytes_per_key(engine, per_key)
    print(f"{label:<52}{count / seconds:>14,.0f}{mean_bytes:>12,.0f}{max_bytes:>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "examples" / "cirr.yaml")
    parser.add_argument("--outputs", default="cirr", help="comma-separated timelines to emit ('all' for the spec's)")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many (whole sessions)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--algebra-spec", type=Path, default=ROOT / "examples" / "qoe-windows.yaml")
    parser.add_argument("--window-keys", type=int, default=1000, help="keys fed one event per second for 10 min")
    args = parser.parse_args()

    spec = load_spec_file(args.spec)
    if args.outputs != "all":
        spec = replace(spec, outputs=tuple(args.outputs.split(",")))
    steps = max(1, round(0.8 * args.events / args.sessions))  # a session has ~1.25 events per step
    raw = [orjson.dumps(event) for event in generate_sessions(args.sessions, seed=1, steps=steps)]
    events = [decode_event(line, spec.key, spec.time) for line in raw]
    per_key = batch.group_by_key(events)
    engine = Engine(compile_plan(spec))

    def run_engine() -> None:
        for key_events in per_key.values():
            batch.run_key(engine, key_events)

    def decode_all() -> None:
        for line in raw:
            decode_event(line, spec.key, spec.time)

    engine_s = timed(run_engine, args.repeat)
    decode_s = timed(decode_all, args.repeat)
    reference_s = timed(lambda: reference.evaluate(spec, (event.fields for event in events)), 1)
    mean_bytes, max_bytes = state_bytes_per_key(engine, per_key)
    count = len(events)
    print(f"spec {spec.name} outputs={','.join(spec.outputs)}: {count:,} events over {len(per_key):,} keys,"
          f" median of {args.repeat}")
    print(f"{'what':<36}{'seconds':>10}{'events/s':>14}")
    for label, seconds in (("incremental engine", engine_s), ("JSON decode (orjson)", decode_s),
                           ("reference evaluator (1 run)", reference_s)):
        print(f"{label:<36}{seconds:>10.2f}{count / seconds:>14,.0f}")
    print(f"engine / reference speed: {reference_s / engine_s:.1f}x")
    print(f"checkpointed state per active key: mean {mean_bytes:.0f} bytes, max {max_bytes} bytes")

    algebra = load_spec_file(args.algebra_spec)
    algebra_keys = batch.group_by_key([decode_event(line, algebra.key, algebra.time) for line in raw])
    print(f"\n{'newer operators, median of ' + str(args.repeat):<52}{'events/s':>14}{'state mean':>12}{'max':>12}")
    engine_row(f"{algebra.name} (all outputs)", Engine(compile_plan(algebra)), algebra_keys, args.repeat)
    windows = Engine(compile_plan(load_spec(WINDOWS_SPEC)))
    engine_row("5-minute windows, 1 event/s per key, 10 min", windows, windowed_keys(args.window_keys, 600),
               args.repeat)


if __name__ == "__main__":
    main()
