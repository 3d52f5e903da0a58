"""The timeline job on a ``scripts/cluster.sh`` session cluster of two TaskManagers: parallelism 2 against 1.

    .venv/bin/python scripts/bench_job.py --cluster [--pin] [--events 300000 --keys 15000 --repeat 3]

Starts the cluster (two TaskManagers of one slot, so two embedded interpreters) in a folder of its own
(``TIMELINE_FLINK_DIR``), submits the timeline job on CIRR and on ten timelines, file source to file sink on
the benchmark's input, at parallelism 1 and 2 in turn, ``--repeat`` times each (``scripts/cluster.sh submit
-p N``), follows each job over the REST API until it finishes, takes its duration from there
(``/jobs/<id>``: from its creation to its end, as ``get_net_runtime`` on the mini-cluster) and the CPU time
the cluster's processes used meanwhile (from ``/proc``: cores busy = CPU seconds / wall seconds, both
from the job's creation until it is seen finished), prints the medians and the ratio of events/s, and
stops the cluster. ``--pin`` puts each TaskManager's threads on a core of its own (``taskset``), as if
each ran on a one-core machine of its own.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"
TASKMANAGERS = 2
TIMEOUT_S = 900  # an upper bound for a stuck job, not an expectation
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Cluster:
    """A running ``scripts/cluster.sh`` cluster whose folder is ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "TIMELINE_FLINK_DIR": str(folder)}

    def script(self, *args: str) -> str:
        done = subprocess.run([str(CLUSTER_SH), *args], env=self.env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"cluster.sh {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-5000:]}")
        return done.stdout

    def rest(self, path: str) -> dict:
        port = (self.folder / "rest.port").read_text().strip()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return json.load(response)

    def submit(self, spec: Path, parallelism: int) -> str:
        """Submit the job of ``spec`` at ``parallelism``; its id."""
        return re.search(r"JobID ([0-9a-f]{32})", self.script("submit", "-p", str(parallelism), str(spec))).group(1)

    def finished(self, job: str) -> dict:
        """``/jobs/<job>`` once the job has finished."""
        deadline = time.monotonic() + TIMEOUT_S
        while (details := self.rest(f"/jobs/{job}"))["state"] != "FINISHED":
            if details["state"] in ("FAILED", "CANCELED") or time.monotonic() > deadline:
                raise RuntimeError(f"job {job} is {details['state']}: {self.rest(f'/jobs/{job}/exceptions')}")
            time.sleep(0.5)
        return details

    def cpu_seconds(self) -> float:
        """CPU time the JobManager and TaskManager processes have used so far (all their threads)."""
        ticks = 0
        for pidfile in self.folder.glob("*.pid"):
            fields = Path(f"/proc/{pidfile.read_text().strip()}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / CLOCK_TICKS

    def pin_taskmanagers(self) -> None:
        """Each TaskManager's threads, and those they start, on a core of its own."""
        for n, pidfile in enumerate(sorted(self.folder.glob("taskmanager-*.pid"))):
            subprocess.run(["taskset", "--all-tasks", "--pid", "--cpu-list", str(n % os.cpu_count()),
                            pidfile.read_text().strip()], check=True, capture_output=True)


@contextmanager
def session_cluster(folder: Path, pin: bool) -> Iterator[Cluster]:
    cluster = Cluster(folder)
    cluster.script("start", "--taskmanagers", str(TASKMANAGERS))
    try:
        if pin:
            cluster.pin_taskmanagers()
        yield cluster
    finally:
        cluster.script("stop")


def job_seconds(details: dict) -> float:
    """A finished job's duration from ``/jobs/<id>``."""
    milliseconds = details.get("duration") or details["end-time"] - details["start-time"]
    return milliseconds / 1000


@dataclass(frozen=True)
class Run:
    job_s: float
    cores: float  # cores busy: the cluster's CPU seconds over the wall seconds from the job's creation to its end


def compare_parallelism(spec_texts: dict[str, Callable[[Path], str]], records_of: Callable[[Path], int],
                        count: int, repeat: int, folder: Path, pin: bool) -> None:
    """Run the job of each ``spec_texts[label](out)`` at parallelism 1 and 2 alternately; print runs, medians, ratios.

    ``records_of(out)`` counts the change records a run wrote under ``out``.
    """
    pinned = ", each pinned to a core of its own" if pin else ""
    print(f"cluster: {TASKMANAGERS} TaskManagers of one slot{pinned}; {count:,} events, {repeat} runs at each"
          " parallelism", flush=True)
    runs: dict[str, dict[int, list[Run]]] = {label: {1: [], 2: []} for label in spec_texts}
    with session_cluster(folder / "flink", pin) as cluster:
        for run in range(repeat):
            for label, spec_text_of in spec_texts.items():
                for parallelism, done in runs[label].items():
                    out = folder / f"cluster-{len(done)}-p{parallelism}-{label.replace(' ', '-')}"
                    spec = out.with_suffix(".yaml")
                    out.mkdir()
                    spec.write_text(spec_text_of(out))
                    job = cluster.submit(spec, parallelism)  # returns once the job is created (flink run -d)
                    cpu_before, wall_before = cluster.cpu_seconds(), time.monotonic()
                    job_s = job_seconds(cluster.finished(job))
                    cores = (cluster.cpu_seconds() - cpu_before) / (time.monotonic() - wall_before)
                    done.append(Run(job_s, cores))
                    print(f"{label}, p={parallelism} run {run + 1}: {job_s:.1f} s, {count / job_s:,.0f} events/s,"
                          f" {done[-1].cores:.2f} cores busy, {records_of(out / 'changes'):,} records", flush=True)
    for label, by_parallelism in runs.items():
        medians = {parallelism: statistics.median(run.job_s for run in done)
                   for parallelism, done in by_parallelism.items()}
        for parallelism, median in medians.items():
            cores = statistics.median(run.cores for run in by_parallelism[parallelism])
            print(f"{label}, p={parallelism} median: {median:.1f} s, {count / median:,.0f} events/s,"
                  f" {cores:.2f} cores busy")
        print(f"{label}: p=2 / p=1 {medians[1] / medians[2]:.2f}x (events/s)")
