"""The command-line options of running a spec as a Flink job: one definition for ``timeline run``
and for ``jobs/flink_job.py`` (``flink run -py``)."""
from __future__ import annotations

import argparse
from pathlib import Path

from jobs.config import Job, load_job


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    """``--source``, ``--sink``, ``--set``, ``--resume-from`` and ``--execution-mode``."""
    parser.add_argument("--source", help="file:PATH or pulsar[:TOPIC] (default: the spec's source)")
    parser.add_argument("--sink", help="file:PATH or pulsar[:TOPIC] (default: the spec's sink)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="change one job setting, e.g. source.pulsar.bounded=true")
    parser.add_argument("--resume-from", metavar="CHECKPOINT", help="a retained checkpoint or savepoint")
    parser.add_argument("--execution-mode", choices=("thread", "process"), default="thread")


def job_from_arguments(spec_path: Path, args: argparse.Namespace) -> Job:
    """The spec and its job configuration with the options of :func:`add_job_arguments` applied, validated;
    errors have the file, line, column and a caret (:func:`jobs.config.load_job`)."""
    return load_job(spec_path, args.source, args.sink, tuple(args.set))
