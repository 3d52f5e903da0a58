"""The ``timeline`` command line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Iterator

import orjson

from dsl.errors import SpecError
from dsl.plan import compile_plan
from dsl.spec import Spec, load_spec_file
from jobs.arguments import add_flink_option, add_job_arguments, flink_options, job_from_arguments, load_job
from cli.explain import explain_json, explain_text
from cli.run import PREFLIGHT_FAILED, run_job
from changestream.records import TOPIC_SCHEMES, read_records
from engine import batch, reference
from engine.decode import Event, decode_event, is_blank, text_of
from engine.incremental import Engine
from engine.events import BadEvent, event_time
from sessions.generate import generate_sessions


def read_events(path: Path, spec: Spec, strict: bool) -> Iterator[Event]:
    """Decode a JSON-lines file; bad lines are reported on stderr and skipped (or fatal with ``strict``).

    Lines end at each ``\n`` (nothing else ends one); blank lines (:func:`is_blank`) are skipped.
    """
    try:
        lines = path.open("rb")
    except OSError as error:
        raise SystemExit(f"cannot read the events file {path}: {error.strerror}") from None
    with lines:
        for number, line in enumerate(lines, start=1):
            text = text_of(line.removesuffix(b"\n"))
            if is_blank(text):
                continue
            try:
                yield decode_event(text, spec.key, spec.time)
            except BadEvent as error:
                print(f"{path}:{number}: {error.reason}", file=sys.stderr)
                if strict:
                    raise SystemExit(1) from None


def writable(path: Path) -> Path:
    """``path`` for ``--out``, if its folder exists."""
    if not path.parent.is_dir():
        raise SystemExit(f"--out {path}: the folder {path.parent} does not exist")
    return path


def cmd_check(args: argparse.Namespace) -> None:
    plan = compile_plan(load_job(args.spec).spec)  # the job sections are checked too
    print(plan.describe())
    from engine.columnar_records import coverage  # NumPy and Arrow are slow to import

    print(coverage(plan.spec))
    if args.show_code:
        engine = Engine(plan)
        print(f"\n# {engine.filename}: the engine's generated functions\n{engine.source}", end="")


def cmd_eval(args: argparse.Namespace) -> None:
    spec = load_spec_file(args.spec)
    out = sys.stdout.buffer
    if args.engine == "columnar":  # the same bytes as the other two (tests/unit/test_columnar*.py)
        from cli.backfill import evaluate_file  # NumPy and Arrow are slow to import; only these commands need them

        out.write(evaluate_file(spec, args.events, args.strict))
        return
    events = list(read_events(args.events, spec, args.strict))
    if args.engine == "reference":
        records = reference.evaluate(spec, (event.fields for event in events))
    else:
        records = batch.evaluate(Engine(compile_plan(spec)), events)
    for record in records:
        out.write(orjson.dumps(record) + b"\n")


def cmd_backfill(args: argparse.Namespace) -> None:
    from cli.backfill import run_backfill

    run_backfill(load_spec_file(args.spec), args.inputs, args.out, args.format, args.workers, args.partitions)


def cmd_explain(args: argparse.Namespace) -> None:
    spec = load_spec_file(args.spec)
    at = _parse_time(args.at)
    events = [event for event in read_events(args.events, spec, False) if event.key == args.key]
    if not events:
        raise SystemExit(f"no events for key {args.key!r} in {args.events}")
    render = explain_json if args.format == "json" else explain_text
    print(render(compile_plan(spec), events, at))


def cmd_generate(args: argparse.Namespace) -> None:
    out = writable(args.out).open("wb") if args.out else sys.stdout.buffer
    with out:
        for event in generate_sessions(args.sessions, args.seed, args.span_ms, args.steps, args.disorder_ms):
            out.write(orjson.dumps(event) + b"\n")


def cmd_run(args: argparse.Namespace) -> None:
    try:
        job = job_from_arguments(args.spec, args)
    except SpecError as error:  # the job cannot start: the same status as a failed preflight check
        print(error, file=sys.stderr)
        raise SystemExit(PREFLIGHT_FAILED) from None
    flink_conf = flink_options(args.flink_conf)
    run_job(job, args.parallelism, args.execution_mode, args.resume_from, flink_conf, args.progress_every)


def cmd_plot(args: argparse.Namespace) -> None:
    # matplotlib is slow to import; only this command needs it
    from cli.plot import plot_key, plot_key_records
    from cli.plot_metric import plot_metric, plot_metric_records

    spec = load_spec_file(args.spec)
    writable(args.out)
    try:
        if holds_records(args.source):
            records = list(read_records(args.source, "aggregates" if args.metric else "changes"))
            if args.metric:
                plot_metric_records(spec, records, args.metric, args.out)
            else:
                plot_key_records(spec, records, args.key, args.out, args.timeline)
        else:
            events = read_events(Path(args.source), spec, False)
            if args.metric:
                plot_metric(spec, list(events), args.metric, args.out)
            else:
                plot_key(spec, events, args.key, args.out, list(spec.timelines) if args.all else args.timeline)
    except (ValueError, OSError) as error:
        raise SystemExit(str(error)) from None
    print(f"wrote {args.out}")


def holds_records(source: str) -> bool:
    """Whether ``source`` has a job's records rather than events: a topic, a sink folder, or a JSON-lines
    file whose first object is a change or aggregate record."""
    path = Path(source)
    if source.startswith(TOPIC_SCHEMES) or path.is_dir():
        return True
    try:
        with path.open("rb") as lines:
            first = next((line for line in lines if line.strip()), b"{}")
        record = orjson.loads(first)
    except (OSError, orjson.JSONDecodeError):
        return False  # read_events reports it
    return isinstance(record, dict) and ({"timeline", "value"} <= record.keys() or {"metric", "group"} <= record.keys())


def cmd_tail(args: argparse.Namespace) -> None:
    from changestream.follow import batches, follower
    from cli.tail import TailView, watch

    try:
        sources = [follower(source) for source in args.sources]
    except (OSError, ValueError) as error:
        raise SystemExit(str(error)) from None
    view = TailView(set(args.key) if args.key else None, set(args.timeline) if args.timeline else None)
    try:
        watch(view, batches(sources), lambda text: (sys.stdout.write(text), sys.stdout.flush()), args.every)
    except KeyboardInterrupt:
        pass
    finally:
        for source in sources:
            source.close()


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
    evaluate.add_argument("--engine", choices=("columnar", "incremental", "reference"), default="columnar")
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
    plot.add_argument("source", help="events (JSON lines), or a job's records: a sink folder, a JSON-lines file"
                                     " of records, or pulsar://HOST:PORT/TOPIC")
    what = plot.add_mutually_exclusive_group(required=True)
    what.add_argument("--key", help="draw this key's timelines")
    what.add_argument("--metric", help="draw this aggregate per group over time")
    plot.add_argument("--out", type=Path, default=Path("timeline.png"), help="a .png or .svg file")
    plot.add_argument("--timeline", action="append", help="a timeline to draw (repeatable; default: the outputs)")
    plot.add_argument("--all", action="store_true", help="draw every named timeline")
    plot.set_defaults(run=cmd_plot)

    tail = commands.add_parser("tail", help="a live view of a job's output: every key's current values")
    tail.add_argument("sources", nargs="+", metavar="SOURCE",
                      help="a sink folder, or a change-record or aggregate-record topic as pulsar://HOST:PORT/TOPIC")
    tail.add_argument("--key", action="append", help="show this key (repeatable; default: all)")
    tail.add_argument("--timeline", action="append", help="show this timeline (repeatable; default: all)")
    tail.add_argument("--every", type=float, default=1.0, metavar="SECONDS", help="redraw this often")
    tail.set_defaults(run=cmd_tail)

    backfill = commands.add_parser(
        "backfill", help="evaluate bounded files of events (JSON lines or Parquet) into a folder of records")
    backfill.add_argument("spec", type=Path)
    backfill.add_argument("inputs", type=Path, nargs="+", metavar="INPUT",
                          help="a JSON-lines file, a Parquet file, or a folder of Parquet files")
    backfill.add_argument("--out", type=Path, required=True, help="an empty or new folder")
    backfill.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    backfill.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    backfill.add_argument("--partitions", type=int, help="key partitions (default: by the input's size)")
    backfill.set_defaults(run=cmd_backfill)

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
    add_flink_option(job)
    job.add_argument("--progress-every", type=float, default=5.0, metavar="SECONDS",
                     help="print a progress line this often (default 5)")
    job.set_defaults(run=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
        sys.stdout.flush()
    except SpecError as error:
        raise SystemExit(str(error)) from None
    except BrokenPipeError:  # the reader stopped early (``| head``): stop quietly, as a killed writer would
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        raise SystemExit(141) from None
