"""What one call from a Python keyed function into Flink costs, in thread mode.

    .venv/bin/python scripts/bench_calls.py [--events 200000 --keys 10000 --calls 5]

Runs the Python floor of ``bench_job.py`` (identity keyed function with a counter state) once as it
is and once per probe, each probe making ``--calls`` more calls of one kind per event, or registering
one event-time timer per event at the event's time (whose firing does nothing). Prints each run's job
time and the extra microseconds per call (per event for the timer), one run each.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pyflink.common import Types
from pyflink.datastream.state import ValueStateDescriptor

from dsl.spec import load_spec
from jobs.config import job_config
from jobs.pipeline import RunOptions, create_environment, decoded_events, keyed_by_first_field, sink_output
from benchmarks.graphs import IdentityFunction
from benchmarks.job import PYTHON, file_spec_text, write_events

PROBES = ("none", "state value()", "state update(long)", "state update(pickled tuple)", "current_watermark()",
          "get_current_key()", "timer per event")


class ProbeFunction(IdentityFunction):
    """The identity function, making ``calls`` extra calls of the ``probe`` kind per event."""

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
        if probe == "timer per event":
            timers.register_event_time_timer(value[1])
        yield from super().process_element(value, ctx)

    def on_timer(self, timestamp: int, ctx):
        return ()


def run_child(probe: str, calls: int, spec_text: str) -> float:
    config = job_config(load_spec(spec_text))
    env = create_environment(config, RunOptions())
    events = keyed_by_first_field(decoded_events(env, "sessionId", "ts", config)[1])
    sink_output(events.process(ProbeFunction(probe, calls), output_type=Types.STRING()), config, "changes", "sink")
    return env.execute(probe).get_net_runtime() / 1000


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
        print(f"{count:,} events over {args.keys:,} keys, {args.calls} calls per event, one run each")
        base = None
        for number, probe in enumerate(PROBES):
            spec_text = file_spec_text(PYTHON, folder / "events.jsonl", folder / f"out-{number}")
            done = subprocess.run([sys.executable, "-m", __name__, "--calls", str(args.calls), "--child",
                                   json.dumps([probe, spec_text])], capture_output=True, text=True, check=True)
            seconds = json.loads(done.stdout.strip().splitlines()[-1])
            base = seconds if base is None else base
            calls = count * (1 if probe == "timer per event" else args.calls)
            extra = "" if probe == "none" else f"{(seconds - base) / calls * 1e6:>+10.2f} us"
            print(f"{probe:<30}{seconds:>8.2f} s{extra}", flush=True)


if __name__ == "__main__":
    main()
