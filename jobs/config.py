"""The job sections of a spec (source, sink, watermark, checkpoint), validated.

Each section becomes a small frozen dataclass; a missing section takes its
default (file source ``events.jsonl``, file sink ``out``). Errors are
:class:`SettingError`\\ s naming the offending key, e.g. ``'sink.pulsar.topic'``; :func:`job_of` places them
in the spec's file, with line, column and caret.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dsl.errors import SpecError, did_you_mean
from dsl.parser import duration_setting
from dsl.render import render_duration, render_value as shown
from dsl.spec import Spec
from jobs.pulsar_security import PulsarSecurity

DEFAULT_SERVICE_URL = "pulsar://127.0.0.1:6650"
DEFAULT_SOURCE = {"file": {"path": "events.jsonl"}}
DEFAULT_SINK = {"file": {"path": "out"}}


@dataclass(frozen=True)
class PulsarSourceConfig:
    service_url: str
    topics: tuple[str, ...]
    topic_pattern: str | None
    subscription: str
    start: str  # "earliest" or "latest"
    bounded: bool
    security: PulsarSecurity = PulsarSecurity()


@dataclass(frozen=True)
class FileSourceConfig:
    path: Path  # a JSON-lines file or a folder of them


@dataclass(frozen=True)
class PulsarSinkConfig:
    service_url: str
    topic: str
    dead_letter_topic: str
    aggregate_topic: str
    delivery: str  # "at-least-once" or "exactly-once"
    transaction_timeout_ms: int  # exactly-once: a transaction left open by a crash blocks readers this long
    batching: bool = True  # off: one record per entry, as Key_Shared consumers need
    security: PulsarSecurity = PulsarSecurity()

    def topic_of(self, output: str) -> str:
        """The topic of one output: ``changes``, ``aggregates`` or ``dead_letters``."""
        return {"changes": self.topic, "aggregates": self.aggregate_topic,
                "dead_letters": self.dead_letter_topic}[output]


@dataclass(frozen=True)
class FileSinkConfig:
    path: Path  # records go to path/changes/, path/aggregates/ and path/dead-letters/

    @property
    def changes(self) -> Path:
        return self.path / "changes"

    @property
    def aggregates(self) -> Path:
        return self.path / "aggregates"

    @property
    def dead_letters(self) -> Path:
        return self.path / "dead-letters"


@dataclass(frozen=True)
class WatermarkConfig:
    max_out_of_orderness_ms: int
    idle_timeout_ms: int | None
    max_future_ms: int | None  # events further ahead of the clock are dead letters; None: no bound
    advance_when_idle: bool = False  # event time follows the clock while every source split is idle


@dataclass(frozen=True)
class RestartConfig:
    strategy: str  # "exponential-delay", "fixed-delay" or "none"
    delay_ms: int  # the first delay (exponential-delay) or every delay (fixed-delay)
    max_delay_ms: int  # exponential-delay: the longest delay
    attempts: int | None  # fixed-delay: attempts before the job fails; None: unlimited


@dataclass(frozen=True)
class CheckpointConfig:
    interval_ms: int
    backend: str  # "hashmap" or "rocksdb"
    dir: str  # a URI such as file:///...
    mode: str  # "exactly-once" or "at-least-once"
    restart: RestartConfig


@dataclass(frozen=True)
class JobConfig:
    source: PulsarSourceConfig | FileSourceConfig
    sink: PulsarSinkConfig | FileSinkConfig
    watermark: WatermarkConfig
    checkpoint: CheckpointConfig


@dataclass(frozen=True)
class Job:
    """A spec file with its job sections as the command line changed them, all validated."""

    text: str  # the spec's YAML, which the job's operators compile again
    spec: Spec
    config: JobConfig


def job_of(spec: Spec, base_dir: Path | None = None, overridden: tuple[tuple[str, ...], ...] = ()) -> Job:
    """``spec`` with its job sections validated (:func:`job_config`); an error about a setting has the place
    where the spec writes it, or says that it was set on the command line if it is under one of the
    ``overridden`` keys (such as ``('sink',)`` or ``('source', 'pulsar', 'bounded')``)."""
    try:
        return Job(spec.written.text, spec, job_config(spec, base_dir))
    except SettingError as error:
        if any(error.keys[:len(keys)] == keys or keys[:len(error.keys)] == error.keys for keys in overridden):
            raise SpecError(f"{error.message} (set on the command line)") from None
        raise spec.written.locate_setting(error.message, error.keys, error.at_key) from None


def job_config(spec: Spec, base_dir: Path | None = None) -> JobConfig:
    """The validated job sections of ``spec``; relative paths are resolved against ``base_dir`` (cwd)."""
    base = (base_dir or Path.cwd()).resolve()
    config = JobConfig(
        source=_source(_Section(("source",), spec.source or DEFAULT_SOURCE), spec.name, base),
        sink=_sink(_Section(("sink",), spec.sink or DEFAULT_SINK), base),
        watermark=_watermark(_Section(("watermark",), spec.watermark)),
        checkpoint=_checkpoint(_Section(("checkpoint",), spec.checkpoint), spec.name, base),
    )
    exactly_once = isinstance(config.sink, PulsarSinkConfig) and config.sink.delivery == "exactly-once"
    if exactly_once and config.checkpoint.interval_ms >= config.sink.transaction_timeout_ms:
        raise SettingError(
            f"'sink.pulsar.transaction_timeout' ({render_duration(config.sink.transaction_timeout_ms)}) must be"
            f" longer than 'checkpoint.interval' ({render_duration(config.checkpoint.interval_ms)}): a transaction"
            " stays open from one checkpoint to the next", ("sink", "pulsar", "transaction_timeout"))
    return config


class SettingError(SpecError):
    """A SpecError about one job setting; ``keys`` is its path in the spec, e.g. ``('sink', 'pulsar', 'delivery')``.

    ``at_key``: the problem is the key itself (an unknown key), not its value.
    """

    def __init__(self, message: str, keys: tuple[str, ...], at_key: bool = False):
        super().__init__(message)
        self.keys = keys
        self.at_key = at_key


class _Section:
    """A mapping read key by key; errors name the key by its dotted path."""

    def __init__(self, keys: tuple[str, ...], values: Any):
        if not isinstance(values, dict):
            raise SettingError(f"'{'.'.join(keys)}' must be a mapping, got {shown(values)}", keys)
        self.keys = keys
        self.path = ".".join(keys)
        self.values = values

    def name(self, key: str) -> str:
        return f"'{self.path}.{key}'"

    def error(self, key: str, message: str, at_key: bool = False) -> SettingError:
        """An error about ``key`` of this section (``message`` follows its quoted name)."""
        return SettingError(f"{self.name(key)} {message}", (*self.keys, key), at_key)

    def only(self, *known: str) -> None:
        for key in self.values:
            if key not in known:
                raise SettingError(f"unknown key {self.name(key)}" + (did_you_mean(str(key), known)
                                   or f" (expected one of {', '.join(known)})"), (*self.keys, key), at_key=True)

    def kind(self, *kinds: str) -> tuple[str, "_Section"]:
        """The single ``kind: {...}`` entry of a section such as ``source: {pulsar: {...}}``."""
        if len(self.values) != 1 or next(iter(self.values)) not in kinds:
            written = ", ".join(f"'{key}'" for key in self.values) or "nothing"
            raise SettingError(f"'{self.path}' must have exactly one of {', '.join(kinds)}, got {written}",
                               self.keys)
        kind, values = next(iter(self.values.items()))
        return kind, _Section((*self.keys, kind), values if values is not None else {})

    def string(self, key: str, default: str | None = None) -> str:
        value = self.values.get(key, default)
        if value is None and key not in self.values:
            raise SettingError(f"'{self.path}' needs {self.name(key)}", self.keys)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {shown(value)}")
        return value

    def choice(self, key: str, default: str, *allowed: str) -> str:
        value = self.string(key, default)
        if value not in (default, *allowed):
            raise self.error(key, f"must be one of {', '.join((default, *allowed))}, got {shown(value)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {shown(value)}")
        return value

    def duration(self, key: str, default: str, minimum: int = 1) -> int:
        """Milliseconds of a duration setting, at least ``minimum`` (:func:`dsl.parser.duration_setting`)."""
        try:
            return duration_setting(self.values.get(key, default), self.name(key), minimum)
        except SpecError as error:
            message = error.message if error.offset is None else f"{self.name(key)}: {error.message}"
            raise SettingError(message, (*self.keys, key)) from None

    def service_url(self) -> str:
        """``service_url``: ``pulsar://HOST:PORT`` or ``pulsar+ssl://HOST:PORT``."""
        value = self.string("service_url", DEFAULT_SERVICE_URL)
        parsed = urlsplit(value)
        try:
            port = parsed.port
        except ValueError:
            port = None
        if parsed.scheme not in ("pulsar", "pulsar+ssl") or not parsed.hostname or port is None:
            raise self.error("service_url", f"must be pulsar://HOST:PORT or pulsar+ssl://HOST:PORT, got {shown(value)}")
        return value

    def path_value(self, key: str, base: Path) -> Path:
        return base / Path(self.string(key)).expanduser()


def _source(section: _Section, spec_name: str, base: Path) -> PulsarSourceConfig | FileSourceConfig:
    kind, values = section.kind("pulsar", "file")
    if kind == "file":
        values.only("path")
        return FileSourceConfig(values.path_value("path", base))
    values.only("service_url", "topics", "topic_pattern", "subscription", "start", "bounded", "auth", "tls")
    topics = values.values.get("topics")
    pattern = values.values.get("topic_pattern")
    if (topics is None) == (pattern is None):
        raise SettingError(f"'{values.path}' needs exactly one of 'topics' and 'topic_pattern'", values.keys)
    if topics is not None:
        if isinstance(topics, str):
            topics = [topics]
        if not (isinstance(topics, list) and topics and all(isinstance(t, str) and t for t in topics)):
            raise values.error("topics", f"must be a non-empty list of topic names, got {shown(topics)}")
    return PulsarSourceConfig(
        service_url=values.service_url(),
        topics=tuple(topics or ()),
        topic_pattern=values.string("topic_pattern") if pattern is not None else None,
        subscription=values.string("subscription", f"timeline-{spec_name}"),
        start=values.choice("start", "earliest", "latest"),
        bounded=values.boolean("bounded", False),
        security=_security(values, base),
    )


def _sink(section: _Section, base: Path) -> PulsarSinkConfig | FileSinkConfig:
    kind, values = section.kind("pulsar", "file")
    if kind == "file":
        values.only("path")
        return FileSinkConfig(values.path_value("path", base))
    values.only("service_url", "topic", "dead_letter_topic", "aggregate_topic", "delivery",
                "transaction_timeout", "batching", "auth", "tls")
    topic = values.string("topic")
    return PulsarSinkConfig(
        service_url=values.service_url(),
        topic=topic,
        dead_letter_topic=values.string("dead_letter_topic", f"{topic}-dead-letters"),
        aggregate_topic=values.string("aggregate_topic", f"{topic}-aggregates"),
        delivery=values.choice("delivery", "at-least-once", "exactly-once"),
        transaction_timeout_ms=values.duration("transaction_timeout", "3h"),
        batching=values.boolean("batching", True),
        security=_security(values, base),
    )


def _security(pulsar: _Section, base: Path) -> PulsarSecurity:
    """The ``auth`` and ``tls`` subsections of a Pulsar section; errors never show the token."""
    auth = _Section((*pulsar.keys, "auth"), pulsar.values.get("auth") or {})
    tls = _Section((*pulsar.keys, "tls"), pulsar.values.get("tls") or {})
    auth.only("token_file", "token_env")
    tls.only("trust_certs", "hostname_verification", "allow_insecure")
    if len(auth.values) > 1:
        raise SettingError(f"'{auth.path}' takes one of 'token_file' and 'token_env', not both", auth.keys)
    token_file = auth.path_value("token_file", base) if "token_file" in auth.values else None
    if token_file is not None and not _readable(token_file):
        raise SettingError(f"{auth.name('token_file')}: cannot read the token file {token_file}",
                           (*auth.keys, "token_file"))
    token_env = auth.string("token_env") if "token_env" in auth.values else None
    if token_env is not None and not os.environ.get(token_env, "").strip():
        raise SettingError(f"{auth.name('token_env')}: the environment variable {token_env} is not set or empty",
                           (*auth.keys, "token_env"))
    return PulsarSecurity(
        token_file=token_file,
        token_env=token_env,
        token=os.environ[token_env].strip() if token_env else None,
        trust_certs=tls.path_value("trust_certs", base) if "trust_certs" in tls.values else None,
        hostname_verification=tls.boolean("hostname_verification", True),
        allow_insecure=tls.boolean("allow_insecure", False),
    )


def _readable(path: Path) -> bool:
    try:
        return bool(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        return False


def _watermark(section: _Section) -> WatermarkConfig:
    section.only("max_out_of_orderness", "idle_timeout", "max_future", "advance_when_idle")
    idle_timeout_ms = section.duration("idle_timeout", "30s", minimum=0) or None  # 0: no idleness
    advance_when_idle = section.boolean("advance_when_idle", False)
    if advance_when_idle and idle_timeout_ms is None:
        raise section.error("advance_when_idle", "needs a watermark.idle_timeout above 0 (what counts as idle)")
    return WatermarkConfig(
        max_out_of_orderness_ms=section.duration("max_out_of_orderness", "0ms", minimum=0),
        idle_timeout_ms=idle_timeout_ms,
        max_future_ms=section.duration("max_future", "1d", minimum=0) or None,  # 0: no bound
        advance_when_idle=advance_when_idle,
    )


def _checkpoint(section: _Section, spec_name: str, base: Path) -> CheckpointConfig:
    section.only("interval", "backend", "dir", "mode", "restart", "restart_delay", "restart_max_delay",
                 "restart_attempts")
    interval = section.duration("interval", "10s", minimum=10)  # Flink's least checkpoint interval
    directory = section.string("dir", (base / "checkpoints" / spec_name).as_uri())
    if "://" not in directory:
        directory = (base / directory).as_uri()
    return CheckpointConfig(
        interval_ms=interval,
        backend=section.choice("backend", "hashmap", "rocksdb"),
        dir=directory,
        mode=section.choice("mode", "exactly-once", "at-least-once"),
        restart=_restart(section),
    )


def _restart(section: _Section) -> RestartConfig:
    """What Flink does when a task fails: restart from the last checkpoint after a delay, or fail the job."""
    attempts = section.values.get("restart_attempts")
    if attempts is not None and (not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1):
        raise section.error("restart_attempts", f"must be a positive integer, got {shown(attempts)}")
    strategy = section.choice("restart", "exponential-delay", "fixed-delay", "none")
    if attempts is not None and strategy != "fixed-delay":
        raise section.error("restart_attempts", "applies to 'restart: fixed-delay' only")
    return RestartConfig(
        strategy=strategy,
        delay_ms=section.duration("restart_delay", "1s"),
        max_delay_ms=section.duration("restart_max_delay", "1m"),
        attempts=attempts,
    )
