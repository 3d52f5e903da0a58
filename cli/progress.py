"""What ``timeline run`` prints while a job runs: its progress, read from the Flink REST API."""
from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from urllib.error import URLError

from dsl.units import DURATION_UNITS_MS

# the operators' metrics (docs/job.md) that the progress line sums over all subtasks
_SUMMED = ("deadLetters", "changeRecords", "aggregateRecords")
_LAG = "eventTimeLag"
_READ = "eventsRead"  # what the sources passed on: each payload read is an event or a dead letter


@dataclass(frozen=True)
class Progress:
    read: int  # events read: decoded ones and those that could not be decoded
    written: int  # change and aggregate records
    dead_letters: int
    lag_ms: int | None  # how far the timelines' watermark trails the wall clock; None before the first one


def progress_of(totals: dict[str, float]) -> Progress:
    """Progress from the job's metric totals by name (``eventTimeLag``: the largest of the subtasks)."""
    count = lambda name: int(totals.get(name, 0))  # noqa: E731
    lag = totals.get(_LAG)
    return Progress(read=count(_READ),
                    written=count("changeRecords") + count("aggregateRecords"),
                    dead_letters=count("deadLetters"), lag_ms=int(lag) if lag else None)


def progress_line(progress: Progress) -> str:
    """``read 4,023 events, wrote 1,517 records, 5 dead letters, event time 2.1 s behind``."""
    line = f"read {progress.read:,} events, wrote {progress.written:,} records, {progress.dead_letters:,} dead letters"
    if progress.lag_ms is not None:
        line += f", event time {_duration(progress.lag_ms)} behind"
    return line


def _duration(ms: int) -> str:
    for unit in ("d", "h", "min"):
        size = DURATION_UNITS_MS[unit]
        if ms >= 2 * size:
            return f"{ms / size:.0f} {unit}"
    return f"{ms / DURATION_UNITS_MS['s']:.1f} s"


def job_totals(rest_url: str, job_id: str, timeout_s: float = 5.0) -> dict[str, float] | None:
    """The job's own metrics summed over subtasks (``eventTimeLag``: the maximum) and ``eventsRead``, or None
    if the REST API does not answer (the job is starting or has ended).

    ``eventsRead`` is what the source vertices (decode is chained to the source) sent on, events and dead
    letters: Flink's own record count of each source subtask, final once the subtask has finished, where an
    operator's metric keeps the value last fetched before it finished (a bounded source finishes early).
    """
    try:
        job = _get(f"{rest_url}/jobs/{job_id}", timeout_s)
        vertices = job["vertices"]
        sources = {node["id"] for node in job["plan"]["nodes"] if not node.get("inputs")}
        totals: dict[str, float] = {_READ: sum(vertex["metrics"]["write-records"] for vertex in vertices
                                               if vertex["id"] in sources)}
        for vertex in vertices:
            base = f"{rest_url}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics"
            ids = [metric["id"] for metric in _get(base, timeout_s)
                   if metric["id"].rsplit(".", 1)[-1] in (*_SUMMED, _LAG)]
            if not ids:
                continue
            for metric in _get(f"{base}?get={','.join(ids)}&agg=sum,max", timeout_s):
                name = metric["id"].rsplit(".", 1)[-1]
                if name == _LAG:
                    totals[name] = max(totals.get(name, 0), metric["max"])
                else:
                    totals[name] = totals.get(name, 0) + metric["sum"]
        return totals
    except (URLError, OSError, ValueError, KeyError):
        return None


def _get(url: str, timeout_s: float):
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.load(response)
