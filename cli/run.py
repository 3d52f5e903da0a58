"""``timeline run``: checks before the job starts, the job's id and progress while it runs, a clear failure."""
from __future__ import annotations

import sys
import tempfile
import time

from cli.progress import job_totals, progress_line, progress_of
from jobs.config import Job, PulsarSourceConfig
from jobs.java_errors import root_cause
from jobs.ports import free_port
from jobs.preflight import PreflightError, preflight, unkeyed_partitions

PREFLIGHT_FAILED = 2  # the exit status when the job cannot start


def run_job(job: Job, parallelism: int, execution_mode: str, resume_from: str | None,
            flink_conf: tuple[tuple[str, str], ...], progress_every_s: float) -> None:
    """Run ``job`` on the local mini-cluster and report on stderr; returns when a bounded job has finished."""
    try:
        preflight(job.config, resume_from)
    except PreflightError as error:
        print(f"timeline run: {error}", file=sys.stderr)
        raise SystemExit(PREFLIGHT_FAILED) from None
    if isinstance(job.config.source, PulsarSourceConfig) and (warning := unkeyed_partitions(job.config.source)):
        print(f"timeline run: warning: {warning}", file=sys.stderr)
    from jobs.pipeline import RunOptions, submit  # imports PyFlink, slow

    conf = dict(flink_conf)
    conf.setdefault("rest.port", str(free_port()))
    conf.setdefault("rest.bind-address", "127.0.0.1")  # PyFlink's own config.yaml leaves it to all interfaces
    options = RunOptions(parallelism, execution_mode, resume_from, flink_conf=tuple(conf.items()))
    started = time.monotonic()
    try:
        client = submit(job.text, job.config, options)
    except PreflightError as error:  # a Pulsar endpoint refused the job's settings
        print(f"timeline run: {error}", file=sys.stderr)
        raise SystemExit(PREFLIGHT_FAILED) from None
    except Exception as error:  # Py4JJavaError: the job could not be submitted
        _failed(error, job.spec.name)
    job_id = str(client.get_job_id())
    rest = f"http://127.0.0.1:{conf['rest.port']}"
    print(f"job {job_id} running; watch it at {rest}/jobs/{job_id} (Flink REST API)", file=sys.stderr)
    if "metrics.reporter.prom.port" in conf:
        print(f"metrics for Prometheus at http://127.0.0.1:{conf['metrics.reporter.prom.port']}/metrics",
              file=sys.stderr)
    result = client.get_job_execution_result()
    next_report = time.monotonic() + progress_every_s
    while not result.done():
        time.sleep(0.2)
        if time.monotonic() >= next_report:
            totals = job_totals(rest, job_id)
            if totals is not None and not result.done():
                print(f"{time.strftime('%H:%M:%S')} {progress_line(progress_of(totals))}",
                      file=sys.stderr, flush=True)
            next_report = time.monotonic() + progress_every_s
    try:
        execution = result.result()
    except Exception as error:  # Py4JJavaError: the job failed
        _failed(error, job.spec.name)
    print(f"job {job_id} finished: {execution.get_net_runtime() / 1000:.1f}s in Flink, "
          f"{time.monotonic() - started:.1f}s in all", file=sys.stderr)


def _failed(error: BaseException, spec_name: str) -> None:
    with tempfile.NamedTemporaryFile("w", prefix=f"timeline-{spec_name}-", suffix=".log", delete=False) as log:
        log.write(str(error))
    print(f"timeline run: the job failed: {root_cause(error)}\n(the whole stack trace: {log.name})",
          file=sys.stderr)
    raise SystemExit(1) from None

