"""Entry point for a Flink cluster: ``flink run -py jobs/flink_job.py --spec SPEC [--resume-from PATH]``.

``--source``, ``--sink`` and ``--set`` change the spec's job sections as for ``timeline run``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from jobs.arguments import add_job_arguments, job_from_arguments
from jobs.pipeline import RunOptions, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a timeline spec as a Flink job.")
    parser.add_argument("--spec", type=Path, required=True)
    add_job_arguments(parser)
    args = parser.parse_args(argv)
    job = job_from_arguments(args.spec, args)
    options = RunOptions(parallelism=None, execution_mode=args.execution_mode,
                         resume_from=args.resume_from, local=False)
    run(job.text, job.config, options)


if __name__ == "__main__":
    main()
