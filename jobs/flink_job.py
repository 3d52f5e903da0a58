"""Entry point for a Flink cluster: ``flink run -py jobs/flink_job.py --spec SPEC [--resume-from PATH]``.

``--source``, ``--sink`` and ``--set`` change the spec's job sections as for ``timeline run``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from dsl.spec import load_spec
from jobs.config import job_config, with_overrides
from jobs.pipeline import RunOptions, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a timeline spec as a Flink job.")
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--source", help="file:PATH or pulsar[:TOPIC] (default: the spec's source)")
    parser.add_argument("--sink", help="file:PATH or pulsar[:TOPIC] (default: the spec's sink)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--resume-from", help="a retained checkpoint or savepoint to start from")
    parser.add_argument("--execution-mode", choices=("thread", "process"), default="thread")
    args = parser.parse_args(argv)
    text = args.spec.read_text(encoding="utf-8")
    config = job_config(with_overrides(load_spec(text, filename=str(args.spec)), args.source, args.sink,
                                       tuple(args.set)))
    options = RunOptions(parallelism=None, execution_mode=args.execution_mode,
                         resume_from=args.resume_from, local=False)
    run(text, config, options)


if __name__ == "__main__":
    main()
