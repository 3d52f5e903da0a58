"""The ``timeline`` command line."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Iterator

import orjson

from dsl.errors import SpecError
from dsl.plan import compile_plan
from dsl.spec import Spec, load_spec_file
from jobs.arguments import add_job_arguments, job_from_arguments
from cli.explain import explain_json, explain_text
from cli.generate import generate_sessions
from engine import batch, reference
from engine.decode import Event, decode_event
from engine.incremental import Engine
from engine.events import BadEvent, event_time


def read_events(path: Path, spec: Spec, strict: bool) -> Iterator[Event]:
    """Decode a JSON-lines file; bad lines are reported on stderr and skipped (or fatal with ``strict``)."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield decode_event(line, spec.key, spec.time)
            except BadEvent as error:
                print(f"{path}:{number}: {error.reason}", file=sys.stderr)
                if strict:
                    raise SystemExit(1) from None


def cmd_check(args: argparse.Namespace) -> None:
    plan = compile_plan(load_spec_file(args.spec))
    print(plan.describe())
    if args.show_code:
        engine = Engine(plan)
        print(f"\n# {engine.filename}: the engine's generated functions\n{engine.source}", end="")


def cmd_eval(args: argparse.Namespace) -> None:
    spec = load_spec_file(args.spec)
    events = list(read_events(args.events, spec, args.strict))
    if args.engine == "reference":
        records = reference.evaluate(spec, (event.fields for event in events))
    else:
        records = batch.evaluate(Engine(compile_plan(spec)), events)
    out = sys.stdout.buffer
    for record in records:
        out.write(orjson.dumps(record) + b"\n")


def cmd_explain(args: argparse.Namespace) -> None:
    spec = load_spec_file(args.spec)
    at = _parse_time(args.at)
    events = [event for event in read_events(args.events, spec, False) if event.key == args.key]
    if not events:
        raise SystemExit(f"no events for key {args.key!r} in {args.events}")
    render = explain_json if args.format == "json" else explain_text
    print(render(compile_plan(spec), events, at))


def cmd_generate(args: argparse.Namespace) -> None:
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    with out:
        for event in generate_sessions(args.sessions, args.seed, args.span_ms, args.steps, args.disorder_ms):
            out.write(orjson.dumps(event) + b"\n")


def cmd_run(args: argparse.Namespace) -> None:
    from jobs.pipeline import RunOptions, run  # imports PyFlink, slow: only for this command

    text, config = job_from_arguments(args.spec, args)
    started = time.monotonic()
    result = run(text, config, RunOptions(args.parallelism, args.execution_mode, args.resume_from))
    print(f"job {result.get_job_id()} finished: {result.get_net_runtime() / 1000:.1f}s in Flink, "
          f"{time.monotonic() - started:.1f}s in all", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> None:
    # matplotlib is slow to import; only this command needs it
    from cli.plot import plot_key
    from cli.plot_metric import plot_metric

    spec = load_spec_file(args.spec)
    events = read_events(args.events, spec, False)
    try:
        if args.metric:
            plot_metric(spec, list(events), args.metric, args.out)
        else:
            plot_key(spec, events, args.key, args.out, list(spec.timelines) if args.all else args.timeline)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    print(f"wrote {args.out}")


def _parse_time(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            return event_time({"at": text}, "at")
        except BadEvent as error:
            raise SystemExit(f"--at: {error.reason}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="timeline", description="Timeline analytics on Apache Flink.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a spec and print its compiled plan")
    check.add_argument("spec", type=Path)
    check.add_argument("--show-code", action="store_true", help="also print the engine's generated Python code")
    check.set_defaults(run=cmd_check)

    evaluate = commands.add_parser("eval", help="evaluate a JSON-lines file and print change records")
    evaluate.add_argument("spec", type=Path)
    evaluate.add_argument("events", type=Path)
    evaluate.add_argument("--engine", choices=("incremental", "reference"), default="incremental")
    evaluate.add_argument("--strict", action="store_true", help="fail on the first bad line")
    evaluate.set_defaults(run=cmd_eval)

    explain = commands.add_parser("explain", help="every plan node's value for one key at one time")
    explain.add_argument("spec", type=Path)
    explain.add_argument("events", type=Path)
    explain.add_argument("--key", required=True)
    explain.add_argument("--at", required=True, help="epoch milliseconds or ISO-8601")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.set_defaults(run=cmd_explain)

    plot = commands.add_parser("plot", help="draw one key's timelines, or an aggregate (PNG or SVG)")
    plot.add_argument("spec", type=Path)
    plot.add_argument("events", type=Path)
    what = plot.add_mutually_exclusive_group(required=True)
    what.add_argument("--key", help="draw this key's timelines")
    what.add_argument("--metric", help="draw this aggregate per group over time")
    plot.add_argument("--out", type=Path, default=Path("timeline.png"), help="a .png or .svg file")
    plot.add_argument("--timeline", action="append", help="a timeline to draw (repeatable; default: the outputs)")
    plot.add_argument("--all", action="store_true", help="draw every named timeline")
    plot.set_defaults(run=cmd_plot)

    generate = commands.add_parser("generate", help="write realistic video sessions as JSON lines")
    generate.add_argument("--sessions", type=int, default=100)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--span-ms", type=int, default=3_600_000, help="sessions start within this span")
    generate.add_argument("--steps", type=int, default=10, help="mean number of player episodes per session")
    generate.add_argument("--disorder-ms", type=int, default=0, help="delay arrival by up to this much")
    generate.add_argument("--out", type=Path, help="file to write (default: stdout)")
    generate.set_defaults(run=cmd_generate)

    job = commands.add_parser("run", help="run the spec as a Flink job on the local mini-cluster")
    job.add_argument("spec", type=Path)
    add_job_arguments(job)
    job.add_argument("--parallelism", type=int, default=1)
    job.set_defaults(run=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except SpecError as error:
        raise SystemExit(str(error)) from None
