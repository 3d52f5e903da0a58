"""A ``scripts/cluster.sh`` session cluster for tests: submit jobs, watch them over REST, lose TaskManagers and
(high availability) the leading JobManager."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"
TIMEOUT_S = 300  # an upper bound for anything stuck, not an expectation
LEADERSHIP = re.compile(r"DispatcherRestEndpoint.* (was granted|revoked) leadership")


class FlinkCluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "TIMELINE_FLINK_DIR": str(folder)}

    def script(self, *args: str, timeout: float = TIMEOUT_S) -> str:
        done = subprocess.run([str(CLUSTER_SH), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"cluster.sh {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        return done.stdout

    def start(self, taskmanagers: int, ha: bool = False) -> None:
        """``cluster.sh start``; ``ha``: ZooKeeper and two JobManagers, a leader and a standby."""
        self.script("start", "--taskmanagers", str(taskmanagers), *(["--ha"] if ha else []))
        self.rest_url = self.leader_url()

    def stop(self) -> None:
        """``cluster.sh stop``, the logs kept beside the cluster's folder."""
        if (self.folder / "log").is_dir():
            shutil.copytree(self.folder / "log", self.folder.with_name(f"{self.folder.name}-logs"), dirs_exist_ok=True)
        self.script("stop")

    def submit(self, *args: str) -> str:
        """``cluster.sh submit ARGS``: the job id."""
        return re.search(r"JobID ([0-9a-f]{32})", self.script("submit", *args)).group(1)

    def stop_with_savepoint(self, job: str, folder: Path) -> str:
        """``flink stop --savepointPath``: the savepoint's path. A stop that a task failure interrupted (the job
        restarts from its latest checkpoint and runs on, as Flink does) is tried again once, the failure
        printed; a second failure fails with the job's task failures."""
        for attempt in (1, 2):
            failures = self.failures(job)
            try:
                output = self.script("flink", "stop", "--savepointPath", folder.as_uri(), job)
                return re.search(r"Savepoint completed\. Path: (\S+)", output).group(1)
            except AssertionError as failed:
                if attempt == 2 or self.failures(job) == failures:
                    raise AssertionError(f"{failed}\n{self.failure_causes(job)}") from None
                print(f"\nthe stop of job {job} was interrupted by a task failure; again once it runs:\n"
                      f"{self.failure_causes(job)}")
                self.wait_running(job)

    def rest(self, path: str) -> dict:
        """GET ``path`` from the leading JobManager (found again when the one asked before does not lead)."""
        try:
            return self._get(self.rest_url + path)
        except (urllib.error.URLError, ConnectionError):
            self.rest_url = self.leader_url()
            return self._get(self.rest_url + path)

    @staticmethod
    def _get(url: str) -> dict:
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.load(response)

    def jobmanager_pids(self) -> dict[str, int]:
        """The live JobManagers, by name (``jobmanager``, ``jobmanager-2``)."""
        return self._live("jobmanager*.pid")

    def leader_url(self) -> str:
        """The REST URL of the leading JobManager; the first one's while none leads."""
        leader = self.leading_jobmanager()
        port = (self.folder / (f"{leader}.rest" if leader else "rest.port")).read_text().strip()
        return f"http://127.0.0.1:{port}"

    def leading_jobmanager(self) -> str | None:
        """The live JobManager whose REST endpoint's last word on leadership in its log says granted."""
        for name in self.jobmanager_pids():
            said = [line for log in self.folder.glob(f"log/{name}/*.log")
                    for line in log.read_text(errors="replace").splitlines() if LEADERSHIP.search(line)]
            if said and "granted" in said[-1]:
                return name
        return None

    def kill_jobmanager(self, name: str) -> None:
        os.kill(self.jobmanager_pids()[name], signal.SIGKILL)

    def add_jobmanager(self) -> None:
        self.script("add-jobmanager")

    def job(self, job: str) -> dict:
        return self.rest(f"/jobs/{job}")

    def completed_checkpoints(self, job: str) -> int:
        return self.rest(f"/jobs/{job}/checkpoints")["counts"]["completed"]

    def wait(self, what: str, condition, timeout_s: float = TIMEOUT_S):
        deadline = time.monotonic() + timeout_s
        while not (value := condition()):
            if time.monotonic() > deadline:
                pytest.fail(f"not within {timeout_s}s: {what}")
            time.sleep(0.5)
        return value

    def wait_running(self, job: str) -> None:
        """Until every task of ``job`` runs."""
        def running() -> bool:
            details = self.job(job)
            assert details["state"] not in ("FAILED", "CANCELED"), f"job {job} is {details['state']}"
            return details["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in details["vertices"])
        self.wait(f"job {job} running", running)

    def wait_checkpoint_after(self, job: str, count: int) -> int:
        return self.wait(f"a checkpoint of {job} after the {count}th",
                         lambda: (n := self.completed_checkpoints(job)) > count and n)

    def restored_after(self, job: str, moment: float) -> float:
        """Until ``job`` has restored a checkpoint after the wall-clock ``moment``; when (monotonic clock)."""
        def restored() -> float | None:
            try:
                latest = self.rest(f"/jobs/{job}/checkpoints")["latest"]["restored"]
            except (urllib.error.URLError, ConnectionError):  # no leader yet, or it has not recovered the job
                return None
            return latest and latest["restore_timestamp"] / 1000 > moment and latest["restore_timestamp"] / 1000
        at = self.wait(f"job {job} restored", restored)
        return time.monotonic() - (time.time() - at)

    def wait_finished(self, job: str) -> None:
        def finished() -> bool:
            state = self.job(job)["state"]
            assert state not in ("FAILED", "CANCELED"), f"job {job} is {state}"
            return state == "FINISHED"
        self.wait(f"job {job} finished", finished)

    def taskmanager_pids(self) -> dict[str, int]:
        """The live TaskManagers, by name (``taskmanager-1``)."""
        return self._live("taskmanager-*.pid")

    def _live(self, pidfiles: str) -> dict[str, int]:
        pids = {path.stem: int(path.read_text()) for path in sorted(self.folder.glob(pidfiles))}
        return {name: pid for name, pid in pids.items() if Path(f"/proc/{pid}").exists()}

    def kill_taskmanager(self, name: str) -> None:
        os.kill(self.taskmanager_pids()[name], signal.SIGKILL)

    def add_taskmanager(self) -> None:
        self.script("add-taskmanager")

    def logged(self, text: str) -> bool:
        """True when a TaskManager's log has ``text``."""
        return any(text in log.read_text(errors="replace") for log in self.folder.glob("log/taskmanager-*/*.log"))

    def failures(self, job: str) -> int:
        """The task failures in ``job``'s exception history (each restarted the job, or a region of it)."""
        return len(self.rest(f"/jobs/{job}/exceptions")["exceptionHistory"]["entries"])

    def failure_causes(self, job: str) -> str:
        """The task failures in ``job``'s exception history: when, where and the stack trace of each."""
        entries = self.rest(f"/jobs/{job}/exceptions")["exceptionHistory"]["entries"]
        return "\n".join(f"task failure at {entry['timestamp']} in {entry.get('taskName')} on "
                         f"{entry.get('taskManagerId')}:\n{entry['stacktrace'][:4000]}" for entry in entries)

    def restarts(self, job: str) -> int:
        metric = self.rest(f"/jobs/{job}/metrics?get=numRestarts")
        return int(metric[0]["value"]) if metric else 0
