"""What one call from a Python keyed function into Flink costs, in thread mode.

    .venv/bin/python scripts/bench_calls.py [--events 200000 --keys 10000 --calls 5]

Runs the Python floor of ``bench_job.py`` (the job's JVM front and an identity keyed function with a
counter state) once as it is and once per probe, each probe making ``--calls`` more calls of one kind
per call of the function (one per instant: a key's events of one time), or registering one event-time
timer per instant at its time (whose firing does nothing). Prints each run's job time and the extra
microseconds per call (per instant for the timer), one run each.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
from pyflink.common import Types
from pyflink.datastream.state import ValueStateDescriptor

from dsl.spec import load_spec
from jobs.config import job_config
from jobs.pipeline import RunOptions, create_environment, sink_output
from benchmarks.graphs import IdentityFunction, instants
from benchmarks.job import PYTHON, file_spec_text, variant_spec, write_events

PROBES = ("none", "state value()", "state update(long)", "state update(pickled tuple)", "current_watermark()",
          "get_current_key()", "timer per instant")


class ProbeFunction(IdentityFunction):
    """The identity function, making ``calls`` extra calls of the ``probe`` kind per instant."""

    def __init__(self, probe: str, calls: int):
        super().__init__()
        self.probe, self.calls = probe, calls
        self.blob = None

    def open(self, runtime_context) -> None:
        super().open(runtime_context)
        self.blob = runtime_context.get_state(ValueStateDescriptor("blob", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx):
        probe, timers = self.probe, ctx.timer_service()
        for _ in range(self.calls):
            if probe == "state value()":
                self.count.value()
            elif probe == "state update(long)":
                self.count.update(1)
            elif probe == "state update(pickled tuple)":
                self.blob.update((1, b"x" * 120))
            elif probe == "current_watermark()":
                timers.current_watermark()
            elif probe == "get_current_key()":
                ctx.get_current_key()
        if probe == "timer per instant":
            timers.register_event_time_timer(value[1])
        yield from super().process_element(value, ctx)

    def on_timer(self, timestamp: int, ctx):
        return ()


def run_child(probe: str, calls: int, spec_text: str) -> float:
    config = job_config(load_spec(spec_text))
    env = create_environment(config, RunOptions())
    probed = instants(env, spec_text, config).process(ProbeFunction(probe, calls), output_type=Types.STRING())
    sink_output(probed, config, "changes", "sink", keyed=False)
    return env.execute(probe).get_net_runtime() / 1000


def instant_count(events: Path) -> int:
    """How many instants (distinct key and time) the events of ``events`` make."""
    spec = variant_spec(PYTHON)
    key, time = spec["key"], spec["time"]
    with events.open("rb") as lines:
        return len({(event[key], event[time]) for event in map(orjson.loads, lines)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        probe, spec_text = json.loads(args.child)
        print(json.dumps(run_child(probe, args.calls, spec_text)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as temp:
        folder = Path(temp)
        count = write_events(folder / "events.jsonl", args.events, args.keys)
        elements = instant_count(folder / "events.jsonl")
        print(f"{count:,} events over {args.keys:,} keys in {elements:,} instants, {args.calls} calls per instant,"
              " one run each")
        base = None
        for number, probe in enumerate(PROBES):
            spec_text = file_spec_text(PYTHON, folder / "events.jsonl", folder / f"out-{number}")
            done = subprocess.run([sys.executable, "-m", __name__, "--calls", str(args.calls), "--child",
                                   json.dumps([probe, spec_text])], capture_output=True, text=True, check=True)
            seconds = json.loads(done.stdout.strip().splitlines()[-1])
            base = seconds if base is None else base
            calls = elements * (1 if probe == "timer per instant" else args.calls)
            extra = "" if probe == "none" else f"{(seconds - base) / calls * 1e6:>+10.2f} us"
            print(f"{probe:<30}{seconds:>8.2f} s{extra}", flush=True)


if __name__ == "__main__":
    main()
