"""Throughput of the Flink job beside its floors and the naive translation, on the same events.

    .venv/bin/python scripts/bench_job.py [--events 1000000 --keys 50000 --repeat 3]
    .venv/bin/python scripts/bench_job.py --events 20000 --keys 1000 --repeat 1   # a quick run
    .venv/bin/python scripts/bench_job.py --cluster [--pin]   # parallelism 2 against 1 on a session cluster
    .venv/bin/python scripts/bench_job.py --profile [4]   # where the timelines function's time goes (cProfile; 4: ten timelines)

Generates video sessions once into a JSON-lines file, checks on a small input
that the naive translation gives the timeline job's cirr records, then runs
every variant ``--repeat`` times, each run in a fresh process (its own local
mini-cluster, parallelism 1, file source to file sink), and prints medians:
events/s of job time, wall time of the process, job time inside Flink, and the
peak RSS of the process tree (the Python client, the JVM and any Python workers).
``--cluster`` runs the timeline job on a session cluster instead (:mod:`benchmarks.on_cluster`);
``--profile [N]`` runs timeline variant N (CIRR by default) once with the timelines function under cProfile
and prints its top functions.
"""
from __future__ import annotations

import argparse
import json
import math
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import orjson
import yaml
from pyflink.common import Configuration

from dsl.plan import compile_plan
from dsl.spec import load_spec
from jobs.config import job_config
from sessions.generate import generate_sessions
from jobs.pipeline import RunOptions, create_environment
from engine import batch
from engine.decode import decode_event
from engine.incremental import Engine
from benchmarks.engine_alone import state_bytes_per_key, timed
from benchmarks.graphs import GRAPHS, PROFILE_FILE
from benchmarks.on_cluster import compare_parallelism

ROOT = Path(__file__).resolve().parents[1]
CIRR = ROOT / "examples" / "cirr.yaml"
TEN = ROOT / "examples" / "ten-timelines.yaml"
# a generated session of ``steps`` has about 3.7 + 1.64 * (steps + 0.5) events (steps vary from 1 to 2 * steps)
SESSION_EVENTS, EVENTS_PER_STEP = 3.7, 1.64


@dataclass(frozen=True)
class Variant:
    label: str
    graph: str  # a key of benchmarks.graphs.GRAPHS, or "engine"
    spec: str
    outputs: tuple[str, ...] | None = None  # None: the spec's own
    mode: str = "thread"
    settings: tuple[tuple[str, str], ...] = ()  # Flink configuration on top of the job's


JAVA = Variant("Java floor (source -> sink)", "java", str(CIRR), ("cirr",))
PYTHON = Variant("Python floor (identity keyed op)", "python", str(CIRR), ("cirr",))
TIMELINE = Variant("timeline, cirr", "timeline", str(CIRR), ("cirr",))
TEN_TIMELINES = Variant("timeline, 10 timelines", "timeline", str(TEN))
PROCESS_MODE = Variant("timeline, cirr, process mode", "timeline", str(CIRR), ("cirr",), "process")
NAIVE = Variant("naive per-node operators, cirr", "naive", str(CIRR), ("cirr",))
ENGINE = Variant("engine alone, no Flink, cirr", "engine", str(CIRR), ("cirr",))
UNCHAINED = Variant("timeline, cirr, no operator chaining", "timeline", str(CIRR), ("cirr",),
                    settings=(("pipeline.operator-chaining.enabled", "false"),))
BIG_BUNDLES = Variant("timeline, cirr, process, 10x bundles", "timeline", str(CIRR), ("cirr",), "process",
                      (("python.fn-execution.bundle.size", "10000"), ("python.fn-execution.bundle.time", "10000")))
PYTHON_BATCHED = Variant("Python floor, batched (identity per batch)", "python-batched", str(CIRR), ("cirr",))
VARIANTS = (JAVA, PYTHON, TIMELINE, TEN_TIMELINES, PROCESS_MODE, NAIVE, ENGINE, UNCHAINED, BIG_BUNDLES, PYTHON_BATCHED)
DEFAULT_VARIANTS = VARIANTS[:7]  # the others are levers, run with --only
RATIOS = (("timeline / Python floor", TIMELINE, PYTHON), ("timeline / naive", TIMELINE, NAIVE),
          ("Java floor / timeline", JAVA, TIMELINE), ("Java floor / 10 timelines", JAVA, TEN_TIMELINES),
          ("timeline / batched floor", TIMELINE, PYTHON_BATCHED), ("batched / per-call floor", PYTHON_BATCHED, PYTHON),
          ("thread / process mode", TIMELINE, PROCESS_MODE),
          ("10 timelines / cirr", TEN_TIMELINES, TIMELINE), ("engine alone / timeline", ENGINE, TIMELINE),
          ("chained / unchained", TIMELINE, UNCHAINED), ("10x bundles / default, process", BIG_BUNDLES, PROCESS_MODE))


def variant_spec(variant: Variant) -> dict:
    """The variant's spec file as a mapping, with its outputs."""
    spec = yaml.safe_load(Path(variant.spec).read_text())
    if variant.outputs:
        spec["outputs"] = list(variant.outputs)
    return spec


def job_spec_text(variant: Variant, source: dict, sink: dict, checkpoints: Path) -> str:
    """The variant's spec as YAML with the given ``source`` and ``sink`` sections."""
    spec = variant_spec(variant)
    spec["source"] = source
    spec["sink"] = sink
    spec["checkpoint"] = {"dir": checkpoints.as_uri()}
    return yaml.safe_dump(spec, sort_keys=False)


def file_spec_text(variant: Variant, events: Path, out: Path) -> str:
    """The variant's spec reading ``events`` and writing under ``out``."""
    return job_spec_text(variant, {"file": {"path": str(events)}}, {"file": {"path": str(out)}}, out / "checkpoints")


def write_events(path: Path, events: int, keys: int) -> int:
    """Write about ``events`` events (rather more than less) of ``keys`` sessions to ``path``; returns the count."""
    steps = max(1, math.ceil((events / keys - SESSION_EVENTS) / EVENTS_PER_STEP - 0.5))
    count = 0
    with path.open("wb") as file:
        for event in generate_sessions(keys, seed=1, steps=steps):
            file.write(orjson.dumps(event) + b"\n")
            count += 1
    return count


# --- one run, in its own process ------------------------------------------------------------


def run_child(variant: Variant, spec_text: str) -> dict:
    """Run the variant once; returns its job seconds and the change records it wrote (None: not to files)."""
    config = job_config(load_spec(spec_text))
    if variant.graph == "engine":
        return {"job_s": timed(lambda: run_engine(spec_text, config.source.path), 1), "records": None}
    env = create_environment(config, RunOptions(execution_mode=variant.mode))
    settings = Configuration()
    for key, value in variant.settings:
        settings.set_string(key, value)
    env.configure(settings)
    GRAPHS[variant.graph](env, spec_text, config)
    result = env.execute(variant.label)
    changes = getattr(config.sink, "changes", None)
    return {"job_s": result.get_net_runtime() / 1000, "records": changes and len(read_records(changes))}


def run_engine(spec_text: str, events: Path) -> None:
    """Decode every event, then run the engine over each key's events, as the operator would."""
    spec = load_spec(spec_text)
    engine = Engine(compile_plan(spec))
    with events.open("rb") as lines:
        decoded = [decode_event(line, spec.key, spec.time) for line in lines]
    for key_events in batch.group_by_key(decoded).values():
        batch.run_key(engine, key_events)


def read_records(folder: Path) -> list[str]:
    """The committed records of a file sink's ``folder``."""
    return [line for part in sorted(folder.rglob("part-*")) for line in part.read_text().splitlines()]


# --- the parent: runs, samples memory, prints the table -------------------------------------


def tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, ()))
        try:
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue
        total += pages * 4096
    return total


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    job_s: float
    peak_rss: int
    records: int | None


def child_command(variant: Variant, spec_text: str) -> list[str]:
    """The command that runs ``variant`` once on the spec ``spec_text`` and prints its figures as JSON."""
    return [sys.executable, "-m", __name__, "--child", json.dumps(asdict(variant)), "--spec", spec_text]


def run_sampled(command: list[str], label: str) -> tuple[str, str, float, int]:
    """Run ``command`` to its end, sampling the RSS of its process tree every 0.2 s: its stdout, stderr, wall
    seconds and peak RSS in bytes; raises, with ``label`` and the end of its stderr, if it fails."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    peak = 0

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, tree_rss_bytes(child.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if child.returncode:
        raise RuntimeError(f"{label} failed:\n{stderr[-4000:]}")
    return stdout, stderr, wall, peak


def measure(variant: Variant, spec_text: str) -> Measurement:
    """Run the variant in a child process, sampling the RSS of its process tree."""
    stdout, _, wall, peak = run_sampled(child_command(variant, spec_text), variant.label)
    result = json.loads(stdout.strip().splitlines()[-1])
    return Measurement(wall, result["job_s"], peak, result["records"])


def median_of(runs: list[Measurement]) -> Measurement:
    return Measurement(statistics.median(r.wall_s for r in runs), statistics.median(r.job_s for r in runs),
                       int(statistics.median(r.peak_rss for r in runs)), runs[0].records)


def check_naive(folder: Path) -> str:
    """Compare the naive translation's cirr records with the timeline job's on a small input."""
    events = folder / "small.jsonl"
    count = write_events(events, 5_000, 300)
    timeline, naive = (Variant(graph, graph, str(CIRR), ("cirr",)) for graph in ("timeline", "naive"))
    measure(timeline, file_spec_text(timeline, events, folder / "small-timeline"))
    measure(naive, file_spec_text(naive, events, folder / "small-naive"))
    expected = sorted(map(orjson.loads, read_records(folder / "small-timeline" / "changes")), key=orjson.dumps)
    actual = sorted(map(orjson.loads, read_records(folder / "small-naive" / "changes")), key=orjson.dumps)
    if actual == expected:
        return f"naive translation: the same {len(actual):,} cirr records as the timeline job ({count:,} events)"
    missing = sum(1 for record in expected if record not in actual)
    extra = sum(1 for record in actual if record not in expected)
    return (f"naive translation: MISMATCH on {count:,} events: {len(actual):,} records against"
            f" {len(expected):,}; {missing} missing, {extra} extra")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many (whole sessions)")
    parser.add_argument("--keys", type=int, default=50_000, help="sessions, one key each")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="comma-separated variant numbers (1-based) to run, e.g. 1,2,3")
    parser.add_argument("--cluster", action="store_true",
                        help="the timeline job at parallelism 1 and 2 on a scripts/cluster.sh cluster")
    parser.add_argument("--pin", action="store_true",
                        help="with --cluster: each TaskManager on a core of its own, as on a machine of its own")
    parser.add_argument("--profile", type=int, nargs="?", const=VARIANTS.index(TIMELINE) + 1, metavar="N",
                        help="timeline job variant N (default: on cirr) once, its timelines function under cProfile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(variant_from_json(args.child), args.spec)))
        return

    variants = [VARIANTS[int(n) - 1] for n in args.only.split(",")] if args.only else list(DEFAULT_VARIANTS)
    with tempfile.TemporaryDirectory(prefix="bench-job-") as temp:
        folder = Path(temp)
        events = folder / "events.jsonl"
        if args.cluster:
            count = write_events(events, args.events, args.keys)
            spec_texts = {variant.label: partial(file_spec_text, variant, events) for variant in (TIMELINE, TEN_TIMELINES)}
            compare_parallelism(spec_texts, lambda changes: len(read_records(changes)), count, args.repeat, folder,
                                args.pin)
            return
        if args.profile:
            count = write_events(events, args.events, args.keys)
            profile(VARIANTS[args.profile - 1], count, events, folder / "out-profiled")
            return
        print(check_naive(folder), flush=True)
        count = write_events(events, args.events, args.keys)
        print(f"{count:,} events over {args.keys:,} keys, parallelism 1, median of {args.repeat}", flush=True)
        results = {}
        for variant in variants:
            runs = [measure(variant, file_spec_text(variant, events, folder / f"out-{len(results)}-{n}"))
                    for n in range(args.repeat)]
            results[variant.label] = median_of(runs)
            print(row(variant.label, count, results[variant.label]), flush=True)
        print_summary(results, count, events)


def profile(variant: Variant, count: int, events: Path, out: Path) -> None:
    """Run the timeline job of ``variant`` once with its timelines function under cProfile; print its top functions."""
    if variant.graph != "timeline":
        raise SystemExit(f"--profile takes a timeline job's number, not {variant.label!r}")
    profiled = replace(variant, label=f"{variant.label}, under cProfile", graph="timeline-profiled")
    measurement = measure(profiled, file_spec_text(profiled, events, out))
    print(row(profiled.label, count, measurement))
    pstats.Stats(str(out / PROFILE_FILE)).sort_stats("tottime").print_stats(20)


def variant_from_json(text: str) -> Variant:
    variant = json.loads(text)
    return Variant(**{**variant, "outputs": variant["outputs"] and tuple(variant["outputs"]),
                      "settings": tuple(map(tuple, variant["settings"]))})


def row(label: str, count: int, m: Measurement) -> str:
    records = "" if m.records is None else f"{m.records:>12,}"
    return (f"{label:<36}{count / m.job_s:>12,.0f}{m.wall_s:>10.1f}{m.job_s:>10.1f}"
            f"{m.peak_rss / 2**20:>10,.0f}{records}")


def print_summary(results: dict[str, Measurement], count: int, events: Path) -> None:
    print()
    print(f"{'variant':<36}{'events/s':>12}{'wall s':>10}{'job s':>10}{'RSS MiB':>10}{'records':>12}")
    for label, measurement in results.items():
        print(row(label, count, measurement))
    for name, numerator, denominator in RATIOS:
        if numerator.label in results and denominator.label in results:
            ratio = results[denominator.label].job_s / results[numerator.label].job_s
            print(f"{name:<28}{ratio:>8.2f}x (events/s)")
    spec = load_spec(yaml.safe_dump(variant_spec(TIMELINE)))
    with events.open("rb") as lines:
        per_key = batch.group_by_key(decode_event(line, spec.key, spec.time) for line in lines)
    mean_bytes, max_bytes = state_bytes_per_key(Engine(compile_plan(spec)), per_key)
    print(f"timeline cirr state per active key (KeyedTimelines.to_json, as bench_engine.py): mean {mean_bytes:.0f} bytes,"
          f" max {max_bytes} bytes, plus the key's name in its map entry and in its bucket's due list")


if __name__ == "__main__":
    main()
