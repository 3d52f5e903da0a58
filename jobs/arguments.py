"""The command-line options of running a spec as a Flink job: one definition for ``timeline run``
and for ``jobs/flink_job.py`` (``flink run -py``), and the syntax of the settings they change."""
from __future__ import annotations

import argparse
import copy
import dataclasses
from pathlib import Path
from typing import Any, Callable

import yaml

from dsl.errors import SpecError
from dsl.spec import Spec, load_spec_file
from jobs.config import Job, job_of

SECTIONS = ("source", "sink", "watermark", "checkpoint")  # the job sections that --set changes


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    """``--source``, ``--sink``, ``--set``, ``--resume-from`` and ``--execution-mode``."""
    parser.add_argument("--source", help="file:PATH or pulsar[:TOPIC] (default: the spec's source)")
    parser.add_argument("--sink", help="file:PATH or pulsar[:TOPIC] (default: the spec's sink)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="change one job setting, e.g. source.pulsar.bounded=true")
    parser.add_argument("--resume-from", metavar="CHECKPOINT", help="a retained checkpoint or savepoint")
    parser.add_argument("--execution-mode", choices=("thread", "process"), default="thread")


def job_from_arguments(spec_path: Path, args: argparse.Namespace) -> Job:
    """The spec and its job configuration with the options of :func:`add_job_arguments` applied, validated."""
    return load_job(spec_path, args.source, args.sink, tuple(args.set))


def load_job(path: Path, source: str | None = None, sink: str | None = None,
             assignments: tuple[str, ...] = (), base_dir: Path | None = None) -> Job:
    """Read the spec at ``path``, change it as :func:`with_overrides` does and validate all of it; errors
    have the file, line, column and a caret, and one about a setting given on the command line says so."""
    overridden = [("source",)] * bool(source) + [("sink",)] * bool(sink) + [
        tuple(assignment.partition("=")[0].strip().split(".")) for assignment in assignments]
    spec = with_overrides(load_spec_file(path), source, sink, assignments)
    return job_of(spec, base_dir, tuple(overridden))


def with_overrides(spec: Spec, source: str | None = None, sink: str | None = None,
                   assignments: tuple[str, ...] = ()) -> Spec:
    """``spec`` with its job sections changed from the command line.

    ``source`` and ``sink`` are ``file:PATH`` or ``pulsar[:TOPIC]`` (keeping the
    spec's other Pulsar settings); each assignment is ``SECTION.KEY.SUB=VALUE``
    with a YAML value, e.g. ``source.pulsar.bounded=true``.
    """
    sections = copy.deepcopy({name: getattr(spec, name) for name in SECTIONS})
    if source:
        sections["source"] = _endpoint(sections["source"], source, "--source", "topics", lambda topic: [topic])
    if sink:
        sections["sink"] = _endpoint(sections["sink"], sink, "--sink", "topic", lambda topic: topic)
    for assignment in assignments:
        _assign(sections, assignment)
    return dataclasses.replace(spec, **sections)


def _endpoint(section: dict[str, Any], text: str, option: str, topic_key: str,
              topic_value: Callable[[str], Any]) -> dict[str, Any]:
    kind, _, argument = text.partition(":")
    if kind == "file" and argument:
        return {"file": {"path": argument}}
    if kind == "pulsar":
        pulsar = dict(section.get("pulsar") or {})
        if argument:
            pulsar[topic_key] = topic_value(argument)
        return {"pulsar": pulsar}
    raise SpecError(f"{option} wants file:PATH or pulsar[:TOPIC], got {text!r}")


def _assign(sections: dict[str, Any], assignment: str) -> None:
    path, separator, text = assignment.partition("=")
    keys = path.strip().split(".")
    if not separator or len(keys) < 2 or keys[0] not in SECTIONS:
        raise SpecError(f"--set wants SECTION.KEY=VALUE with SECTION one of {', '.join(SECTIONS)}, got {assignment!r}")
    target = sections[keys[0]]
    for key in keys[1:-1]:
        target = target.setdefault(key, {})
        if not isinstance(target, dict):
            raise SpecError(f"--set {path}: '{key}' is not a mapping")
    target[keys[-1]] = yaml.safe_load(text)


def add_flink_option(parser: argparse.ArgumentParser) -> None:
    """``-D KEY=VALUE``, repeatable: read by :func:`flink_options`."""
    parser.add_argument("-D", dest="flink_conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Flink configuration option, e.g. metrics.reporter.prom.port=9249")


def flink_options(options: list[str]) -> tuple[tuple[str, str], ...]:
    """``-D KEY=VALUE`` options as (key, value) pairs, in order; raises :class:`SpecError` for one without ``=``."""
    pairs = []
    for option in options:
        key, separator, value = option.partition("=")
        if not separator or not key.strip():
            raise SpecError(f"-D wants KEY=VALUE, got {option!r}")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)
