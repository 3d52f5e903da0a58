"""The timeline job on a ``scripts/cluster.sh`` session cluster of two TaskManagers: parallelism 2 against 1.

    .venv/bin/python scripts/bench_job.py --cluster [--events 300000 --keys 15000 --repeat 3]

Starts the cluster (two TaskManagers of one slot, so two embedded interpreters) in a folder of its own
(``TIMELINE_FLINK_DIR``), submits the timeline job on CIRR, file source to file sink on the benchmark's
input, at parallelism 1 and 2 in turn, ``--repeat`` times each (``scripts/cluster.sh submit -p N``), follows
each job over the REST API until it finishes, takes its duration from there (``/jobs/<id>``: from its
creation to its end, as ``get_net_runtime`` on the mini-cluster), prints the medians and the ratio of
events/s, and stops the cluster.
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
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"
TASKMANAGERS = 2
TIMEOUT_S = 900  # an upper bound for a stuck job, not an expectation


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


@contextmanager
def session_cluster(folder: Path) -> Iterator[Cluster]:
    cluster = Cluster(folder)
    cluster.script("start", "--taskmanagers", str(TASKMANAGERS))
    try:
        yield cluster
    finally:
        cluster.script("stop")


def job_seconds(details: dict) -> float:
    """A finished job's duration from ``/jobs/<id>``."""
    milliseconds = details.get("duration") or details["end-time"] - details["start-time"]
    return milliseconds / 1000


def compare_parallelism(spec_text_of: Callable[[Path], str], records_of: Callable[[Path], int], count: int,
                        repeat: int, folder: Path) -> None:
    """Run the job of ``spec_text_of(out)`` at parallelism 1 and 2 alternately; print runs, medians, ratio.

    ``records_of(out)`` counts the change records a run wrote under ``out``.
    """
    seconds: dict[int, list[float]] = {1: [], 2: []}
    print(f"cluster: {TASKMANAGERS} TaskManagers of one slot; {count:,} events, {repeat} runs at each parallelism",
          flush=True)
    with session_cluster(folder / "flink") as cluster:
        for run in range(repeat):
            for parallelism in seconds:
                out = folder / f"cluster-p{parallelism}-{run}"
                spec = out.with_suffix(".yaml")
                out.mkdir()
                spec.write_text(spec_text_of(out))
                job_s = job_seconds(cluster.finished(cluster.submit(spec, parallelism)))
                seconds[parallelism].append(job_s)
                print(f"p={parallelism} run {run + 1}: {job_s:.1f} s, {count / job_s:,.0f} events/s,"
                      f" {records_of(out / 'changes'):,} records", flush=True)
    medians = {parallelism: statistics.median(runs) for parallelism, runs in seconds.items()}
    for parallelism, median in medians.items():
        print(f"p={parallelism} median: {median:.1f} s, {count / median:,.0f} events/s")
    print(f"p=2 / p=1 {medians[1] / medians[2]:.2f}x (events/s)")
