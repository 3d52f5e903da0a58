"""The backfill as a Flink job: a spec over bounded files in the BATCH runtime mode, at the job's parallelism.

    .venv/bin/python -m jobs.backfill --spec SPEC --source file:EVENTS --sink file:OUT [--parallelism N]
    flink run -py jobs/backfill.py --spec SPEC --source file:EVENTS --sink file:OUT --cluster

    source (decode) -> partition by bucket of key -> bucket-files -> timelines -> sinks

The JVM decodes the events as the streaming job does (:func:`jobs.pipeline.decoded_events`; bad ones are
dead letters) and, in the same pass, writes each as a record of its key, time and the JSON text of the
fields the spec reads (``FieldRecords``), and sends it to the subtask of its key's bucket (``KeyBuckets``:
about ``--batch-bytes`` of input per bucket). ``BucketFiles`` appends each record to its bucket's file
and, at the end of the input, hands Python each bucket's records in input order, the way ``timeline
backfill`` partitions its input: no keyed stream, so Flink sorts nothing.
:class:`operators.backfill.BatchTimelines` reads a batch as columns, without parsing any event again, and
evaluates it with the columnar evaluator. No state, no
timers: nothing depends on the timers that BATCH mode drops (those registered in ``on_timer``). The
aggregate stage and the sinks are the streaming job's (:func:`jobs.pipeline.sink_outputs`). Its files are
the streaming job's: the same change records, aggregate records and dead letters (not in the same order
within a file; each key's records are in time order).

Its Python runs in PyFlink's process mode: NumPy and Arrow do not load in the interpreter that thread
mode embeds in the JVM (the job stalls there).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pyflink.datastream import DataStream

from dsl.errors import SpecError
from dsl.spec import load_spec
from engine.columnar_events import spec_columns
from jobs.arguments import add_flink_option, add_job_arguments, flink_options, job_from_arguments
from jobs.config import FileSinkConfig, FileSourceConfig
from jobs.pipeline import RunOptions, create_environment, decoded_events, jvm, sink_outputs
from operators.backfill import BatchTimelines
from operators.keyed_records import TEXT

BATCH = (("execution.runtime-mode", "BATCH"),
         ("pipeline.object-reuse", "true"))  # no copy between chained operators: none of them keeps a record
# On the local mini-cluster every task runs at once anyway: pipelined exchanges let the second stage (and its
# Python worker) start while the input is read; a failure restarts the whole job. On a cluster, Flink's
# defaults: blocking exchanges, each stage restarted alone. -D overrides either.
ON_ONE_MACHINE = (("execution.batch-shuffle-mode", "ALL_EXCHANGES_PIPELINED"), ("jobmanager.scheduler", "default"))
BATCH_BYTES = 16 << 20  # input bytes per bucket of keys, handed to Python as one batch


def run_backfill(spec_text: str, config, options: RunOptions, batch_bytes: int = BATCH_BYTES):
    """Build and execute the batch job (in process mode, whatever ``options`` say); returns its
    JobExecutionResult."""
    if not isinstance(config.source, FileSourceConfig) or not isinstance(config.sink, FileSinkConfig):
        raise SystemExit("the backfill job reads and writes files: give --source file:PATH --sink file:FOLDER")
    env = create_environment(config, RunOptions(options.parallelism, "process", None, options.local,
                                                ON_ONE_MACHINE * options.local + options.flink_conf + BATCH))
    spec = load_spec(spec_text)
    decoded = decoded_events(env, spec.key, spec.time, config, spec_columns(spec))
    buckets = bucket_count(config.source.path, batch_bytes, env.get_parallelism())
    timelines = bucket_batches(decoded.events, buckets).process(BatchTimelines(spec_text), TEXT) \
        .uid("timelines").name("timelines")
    sink_outputs(spec, spec_text, config, timelines, decoded.dead_letters)
    return env.execute("timeline backfill")


UNSEEN_BUCKETS = 256  # buckets per subtask for an input this process cannot see (on a cluster's storage)


def bucket_count(path: Path, batch_bytes: int, parallelism: int) -> int:
    """Buckets of keys for about ``batch_bytes`` of the input each, at least one per subtask."""
    if not path.exists():
        return UNSEEN_BUCKETS * parallelism
    files = [path] if path.is_file() else [Path(folder, name) for folder, _, names in os.walk(path) for name in names]
    return max(parallelism, -(-sum(file.stat().st_size for file in files) // batch_bytes))


def bucket_batches(events, buckets: int) -> DataStream:
    """The decoded events (their payloads their records) in batches of whole buckets of keys, in input order,
    UTF-8, each in the subtask of its bucket."""
    backfill = jvm().timeline.flink.backfill
    bucketing = backfill.KeyBuckets(buckets)
    bucketed = events.map(bucketing, backfill.KeyBuckets.outputType()).uid("buckets").name("buckets")
    batches = bucketed.partitionCustom(bucketing, 0) \
        .transform("bucket-files", backfill.BucketFiles.outputType(), backfill.BucketFiles())
    return DataStream(batches.uid("bucket-files"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a timeline spec over bounded files as a Flink batch job.")
    parser.add_argument("--spec", type=Path, required=True)
    add_job_arguments(parser)
    parser.add_argument("--parallelism", type=int, default=1, help="on the local mini-cluster")
    parser.add_argument("--cluster", action="store_true", help="submitted by flink run: the cluster's parallelism")
    add_flink_option(parser)
    parser.add_argument("--batch-bytes", type=int, default=BATCH_BYTES,
                        help="bytes of input per bucket of keys, each bucket one batch for Python")
    args = parser.parse_args(argv)
    try:
        job = job_from_arguments(args.spec, args)
        flink_conf = flink_options(args.flink_conf)
    except SpecError as error:
        raise SystemExit(str(error)) from None
    options = RunOptions(None if args.cluster else args.parallelism, local=not args.cluster, flink_conf=flink_conf)
    result = run_backfill(job.text, job.config, options, args.batch_bytes)
    print(f"backfill job finished: {result.get_net_runtime() / 1000:.1f}s in Flink", file=sys.stderr)


if __name__ == "__main__":
    main()
