"""The backfill as a Flink job: a spec over bounded files in the BATCH runtime mode, at the job's parallelism.

    .venv/bin/python -m jobs.backfill --spec SPEC --source file:EVENTS --sink file:OUT [--parallelism N]
    flink run -py jobs/backfill.py --spec SPEC --source file:EVENTS --sink file:OUT --cluster

The graph is the streaming job's (the JVM front of :func:`jobs.pipeline.instants_of`, the batches and the
sinks of :func:`jobs.pipeline.sink_outputs`) with :class:`operators.backfill.BucketTimelines` as its
timelines operator: the JVM sorts the events by key,
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
from dsl.spec import load_spec
from jobs.config import FileSinkConfig, FileSourceConfig
from jobs.pipeline import RunOptions, batches_of, create_environment, instants_of, sink_outputs
from operators.keyed_records import TEXT
from operators.backfill import BucketTimelines

BATCH = (("execution.runtime-mode", "BATCH"),)


def run_backfill(spec_text: str, config, options: RunOptions):
    """Build and execute the batch job (in process mode, whatever ``options`` say); returns its
    JobExecutionResult."""
    if not isinstance(config.source, FileSourceConfig) or not isinstance(config.sink, FileSinkConfig):
        raise SystemExit("the backfill job reads and writes files: give --source file:PATH --sink file:FOLDER")
    env = create_environment(config, RunOptions(options.parallelism, "process", None, options.local,
                                                options.flink_conf + BATCH))
    spec = load_spec(spec_text)
    front = instants_of(env, spec.key, spec.time, config)
    timelines = batches_of(front.instants).process(BucketTimelines(spec_text), TEXT).uid("timelines").name("timelines")
    sink_outputs(spec, spec_text, config, timelines, front.dead_letters)
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
