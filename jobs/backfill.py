"""The backfill as a Flink job: a spec over bounded files in the BATCH runtime mode, at the job's parallelism.

    .venv/bin/python -m jobs.backfill --spec SPEC --source file:EVENTS --sink file:OUT [--parallelism N]
    flink run -py jobs/backfill.py --spec SPEC --source file:EVENTS --sink file:OUT --cluster

    source (decode) -> decode -> key_by(key) -> instants (in input order) -> key-batches -> timelines -> sinks

The front is the streaming job's (:func:`jobs.pipeline.instants_of`), its ``Instants`` ordering the events
of one instant by their positions in the input (file in reading order, byte offset): Flink sorts the events
by key and time with a sort that is not stable, and releases each key's instants when its key ends. ``KeyBatches`` (JVM) gathers complete
keys into batches of about ``--batch-chars`` characters of events, and
:class:`operators.backfill.BatchTimelines`, not keyed, evaluates each batch in the same subtask; the
aggregate stage and the sinks are the streaming job's (:func:`jobs.pipeline.sink_outputs`). Its files are
the streaming job's: the same change records, aggregate records and dead letters (not in the same order
within a file; each key's records are in time order).

Its Python runs in PyFlink's process mode: NumPy and Arrow do not load in the interpreter that thread
mode embeds in the JVM (the job stalls there).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyflink.datastream import DataStream, KeyedStream

from jobs.arguments import add_job_arguments, job_from_arguments
from dsl.spec import load_spec
from jobs.config import FileSinkConfig, FileSourceConfig
from jobs.pipeline import RunOptions, create_environment, instants_of, jvm, sink_outputs
from operators.keyed_records import TEXT
from operators.backfill import BatchTimelines

BATCH = (("execution.runtime-mode", "BATCH"),)
BATCH_CHARS = 8 << 20  # a batch closes at the first key after it holds this many characters of events


def run_backfill(spec_text: str, config, options: RunOptions, batch_chars: int = BATCH_CHARS):
    """Build and execute the batch job (in process mode, whatever ``options`` say); returns its
    JobExecutionResult."""
    if not isinstance(config.source, FileSourceConfig) or not isinstance(config.sink, FileSinkConfig):
        raise SystemExit("the backfill job reads and writes files: give --source file:PATH --sink file:FOLDER")
    env = create_environment(config, RunOptions(options.parallelism, "process", None, options.local,
                                                options.flink_conf + BATCH))
    spec = load_spec(spec_text)
    front = instants_of(env, spec.key, spec.time, config, in_input_order=True)
    timelines = key_batches(front.instants, batch_chars).process(BatchTimelines(spec_text), TEXT) \
        .uid("timelines").name("timelines")
    sink_outputs(spec, spec_text, config, timelines, front.dead_letters)
    return env.execute("timeline backfill")


def key_batches(instants: KeyedStream, max_chars: int) -> DataStream:
    """The instants of complete keys in batches (JSON text) of about ``max_chars`` characters, in the subtask
    of their keys."""
    batches = jvm().timeline.flink.instants.KeyBatches
    return DataStream(instants._j_data_stream.transform("key-batches", batches.outputType(), batches(max_chars))
                      .uid("key-batches"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a timeline spec over bounded files as a Flink batch job.")
    parser.add_argument("--spec", type=Path, required=True)
    add_job_arguments(parser)
    parser.add_argument("--parallelism", type=int, default=1, help="on the local mini-cluster")
    parser.add_argument("--cluster", action="store_true", help="submitted by flink run: the cluster's parallelism")
    parser.add_argument("--batch-chars", type=int, default=BATCH_CHARS,
                        help="characters of events' JSON after which a batch for Python closes at the next key")
    args = parser.parse_args(argv)
    job = job_from_arguments(args.spec, args)
    options = RunOptions(None if args.cluster else args.parallelism, local=not args.cluster)
    result = run_backfill(job.text, job.config, options, args.batch_chars)
    print(f"backfill job finished: {result.get_net_runtime() / 1000:.1f}s in Flink", file=sys.stderr)


if __name__ == "__main__":
    main()
