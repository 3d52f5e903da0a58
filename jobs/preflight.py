"""What can be checked before a job starts: its files and folders, the Pulsar broker, its topics.

:func:`preflight` raises :class:`PreflightError` with a one-line cause; the
checks take a few seconds at most (``timeout_s`` per broker). Each topic is
looked up with the endpoint's own credentials and TLS settings, so a broker
that refuses them fails here at once instead of after the job's restarts;
secrets never appear in a message.
"""
from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from jobs.config import FileSinkConfig, FileSourceConfig, JobConfig
from jobs.pulsar_security import PulsarSecurity

_TOPIC = re.compile(r"(?:(?:non-)?persistent://[^/\s]+/[^/\s]+/)?[^/\s]+")


class PreflightError(Exception):
    """A reason the job cannot start, in one line."""


def preflight(config: JobConfig, resume_from: str | None = None, timeout_s: float = 5.0) -> None:
    """Check the job's inputs and outputs; raises :class:`PreflightError` for the first problem found."""
    source, sink = config.source, config.sink
    if isinstance(source, FileSourceConfig):
        _readable(source.path, "the source file")
    else:
        _pulsar(source.service_url, "source.pulsar", source.security, source.topics, timeout_s)
    if isinstance(sink, FileSinkConfig):
        _writable_folder(sink.path, "the sink folder")
    else:
        _pulsar(sink.service_url, "sink.pulsar", sink.security,
                (sink.topic, sink.aggregate_topic, sink.dead_letter_topic), timeout_s)
    if config.checkpoint.dir.startswith("file:"):
        _writable_folder(Path(urlsplit(config.checkpoint.dir).path), "the checkpoint folder")
    if resume_from and "://" not in resume_from:
        _checkpoint(Path(resume_from))


def _readable(path: Path, what: str) -> None:
    if not path.exists():
        raise PreflightError(f"{what} {path} does not exist")
    if not os.access(path, os.R_OK):
        raise PreflightError(f"{what} {path} is not readable")


def _writable_folder(path: Path, what: str) -> None:
    """``path`` is a folder, or can become one: its nearest existing ancestor is a writable folder."""
    existing = next(folder for folder in (path, *path.parents) if folder.exists())
    if not existing.is_dir():
        raise PreflightError(f"{what} {path} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PreflightError(f"{what} {path} cannot be written: {existing} is not writable")


def _checkpoint(path: Path) -> None:
    if not (path / "_metadata").is_file() and path.name != "_metadata":
        _readable(path, "the checkpoint")
        raise PreflightError(f"the checkpoint {path} has no _metadata: it is not a completed checkpoint or savepoint")


def _pulsar(url: str, section: str, security: PulsarSecurity, topics: tuple[str, ...], timeout_s: float) -> None:
    """The broker at ``url`` answers within ``timeout_s`` and serves every topic with these credentials."""
    for topic in topics:
        if not _TOPIC.fullmatch(topic):
            raise PreflightError(f"topic {topic!r} is not a topic name (NAME or persistent://TENANT/NAMESPACE/NAME)")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=timeout_s).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise PreflightError(f"cannot reach the Pulsar broker at {url} ({section}.service_url): {reason.lower()}") from None
    import pulsar  # the client library is slow to load: only for Pulsar jobs

    client = pulsar.Client(url, operation_timeout_seconds=max(1, int(timeout_s)),
                           connection_timeout_ms=int(timeout_s * 1000),
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error), **_client_security(security))
    try:
        for topic in topics:
            try:
                client.get_topic_partitions(topic)
            except Exception as error:  # the client raises one exception type per broker error code
                raise PreflightError(f"'{section}': Pulsar at {url} refused topic {topic}: {error}"
                                     f" (see '{section}.auth' and '{section}.tls')") from None
    finally:
        client.close()


def _client_security(security: PulsarSecurity) -> dict:
    """The Python client's arguments for ``security``; the token file is read here, as the job will."""
    import pulsar

    arguments = {"tls_validate_hostname": security.hostname_verification,
                 "tls_allow_insecure_connection": security.allow_insecure}
    if security.trust_certs is not None:
        _readable(security.trust_certs, "the trusted certificates file")
        arguments["tls_trust_certs_file_path"] = str(security.trust_certs)
    token = security.token
    if security.token_file is not None:
        _readable(security.token_file, "the token file")
        token = security.token_file.read_text(encoding="utf-8").strip()
    if token is not None:
        arguments["authentication"] = pulsar.AuthenticationToken(token)
    return arguments
