"""The backfill as a Flink job: a spec over bounded files in the BATCH runtime mode, at the job's parallelism.

    .venv/bin/python -m jobs.backfill --spec SPEC --source file:EVENTS --sink file:OUT [--parallelism N]
    flink run -py jobs/backfill.py --spec SPEC --source file:EVENTS --sink file:OUT --cluster

The graph is the streaming job's (:func:`jobs.pipeline.build_graph`) with
:class:`operators.backfill.BucketTimelines` as its timelines operator: the JVM sorts the events by key,
groups them into instants and hands each bucket of keys to Python as one batch. Its files are the
streaming job's: the same change records, aggregate records and dead letters (not in the same order
within a file; each key's records are in time order). Events of one key at one instant keep no defined
order in BATCH mode (Flink's sort is not stable), as those of one key in two Pulsar partitions.

Its Python runs in PyFlink's process mode: NumPy and Arrow do not load in the interpreter that thread
mode embeds in the JVM (the job stalls there).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobs.arguments import add_job_arguments, job_from_arguments
from jobs.config import FileSourceConfig
from jobs.pipeline import RunOptions, build_graph, create_environment
from operators.backfill import BucketTimelines

BATCH = (("execution.runtime-mode", "BATCH"),)


def run_backfill(spec_text: str, config, options: RunOptions):
    """Build and execute the batch job (in process mode, whatever ``options`` say); returns its
    JobExecutionResult."""
    if not isinstance(config.source, FileSourceConfig):
        raise SystemExit("the backfill job reads files: give --source file:PATH")
    env = create_environment(config, RunOptions(options.parallelism, "process", None, options.local,
                                                options.flink_conf + BATCH))
    build_graph(env, spec_text, config, timelines_function=BucketTimelines)
    return env.execute("timeline backfill")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a timeline spec over bounded files as a Flink batch job.")
    parser.add_argument("--spec", type=Path, required=True)
    add_job_arguments(parser)
    parser.add_argument("--parallelism", type=int, default=1, help="on the local mini-cluster")
    parser.add_argument("--cluster", action="store_true", help="submitted by flink run: the cluster's parallelism")
    args = parser.parse_args(argv)
    job = job_from_arguments(args.spec, args)
    options = RunOptions(None if args.cluster else args.parallelism, local=not args.cluster)
    result = run_backfill(job.text, job.config, options)
    print(f"backfill job finished: {result.get_net_runtime() / 1000:.1f}s in Flink", file=sys.stderr)


if __name__ == "__main__":
    main()
