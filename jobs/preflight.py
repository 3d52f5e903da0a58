"""What can be checked before a job starts: its files and folders, the Pulsar broker, its topics.

:func:`preflight` raises :class:`PreflightError` with a one-line cause; the
checks take a few seconds at most (``timeout_s`` per broker), and need no JVM.

:func:`check_pulsar_endpoints` runs once the job's JVM is up: it shakes hands
with a ``pulsar+ssl://`` broker as the Pulsar client does, then looks up each
named topic with the connector's own Java Pulsar client and the endpoint's
credentials and TLS settings (which creates nothing), so a broker that refuses
them fails at once, with the broker's answer, instead of after the job's
restarts. Secrets never appear in a message.

:func:`unkeyed_partitions` finds a partitioned source topic whose messages carry no key, for a warning.
"""
from __future__ import annotations

import logging
import os
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

from jobs.config import FileSinkConfig, FileSourceConfig, JobConfig, PulsarSinkConfig, PulsarSourceConfig
from jobs.java_errors import java_causes, root_cause
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
        _pulsar(source.service_url, "source.pulsar", source.topics, timeout_s)
    if isinstance(sink, FileSinkConfig):
        _writable_folder(sink.path, "the sink folder")
    else:
        _pulsar(sink.service_url, "sink.pulsar", (sink.topic, sink.aggregate_topic, sink.dead_letter_topic),
                timeout_s)
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


def _pulsar(url: str, section: str, topics: tuple[str, ...], timeout_s: float) -> None:
    """Every topic name is well-formed and the broker at ``url`` accepts a connection within ``timeout_s``."""
    for topic in topics:
        if not _TOPIC.fullmatch(topic):
            raise PreflightError(f"topic {topic!r} is not a topic name (NAME or persistent://TENANT/NAMESPACE/NAME)")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=timeout_s).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise PreflightError(f"cannot reach the Pulsar broker at {url} ({section}.service_url): {reason.lower()}") from None


def unkeyed_partitions(source: PulsarSourceConfig, timeout_s: float = 5.0) -> str | None:
    """Why reading ``source`` may reorder a key's events, if it may: a topic of more than one partition
    whose messages carry no key; else None.

    The first message of each partition is peeked with a reader (which changes nothing on the broker): one
    without a key shows a producer that does not route by key (round robin by default), so one key's events
    can be in several partitions, each read at its own pace, and same-instant events of a key then lose
    their order. Topics of a ``topic_pattern`` are not checked, nor is anything when the broker does not
    answer in ``timeout_s`` (the lookup once the job's JVM is up reports that).
    """
    import pulsar  # the Pulsar client library is slow to import: only for a Pulsar source

    quiet = logging.getLogger(f"{__name__}.unkeyed_partitions")
    quiet.disabled = True  # a broker that refuses the client is reported by the lookup once the job's JVM is up
    security = source.security
    token = security.token_file.read_text(encoding="utf-8").strip() if security.token_file else security.token
    client = pulsar.Client(source.service_url, authentication=pulsar.AuthenticationToken(token) if token else None,
                           operation_timeout_seconds=max(1, int(timeout_s)),
                           connection_timeout_ms=int(timeout_s * 1000),
                           tls_trust_certs_file_path=str(security.trust_certs) if security.trust_certs else None,
                           tls_allow_insecure_connection=security.allow_insecure,
                           tls_validate_hostname=security.hostname_verification,
                           logger=quiet)
    try:
        for topic in source.topics:
            partitions = client.get_topic_partitions(topic)
            if len(partitions) > 1 and any(_first_key(client, partition, timeout_s) == "" for partition in partitions):
                return (f"topic {topic} has {len(partitions)} partitions and its messages carry no key: one key's"
                        " events can be in several partitions, and its same-instant events then lose their order"
                        " (publish them keyed by the spec's key, e.g. scripts/publish.py --key-field)")
        return None
    except pulsar.PulsarException:
        return None
    finally:
        client.close()


def _first_key(client, partition: str, timeout_s: float) -> str | None:
    """The key of the first message of ``partition`` ("": none), or None if it has no message."""
    import pulsar

    reader = client.create_reader(partition, pulsar.MessageId.earliest)
    try:
        if not reader.has_message_available():
            return None
        return reader.read_next(timeout_millis=int(timeout_s * 1000)).partition_key()
    finally:
        reader.close()


LOOKUP_TIMEOUT_S = 60  # generous: a busy machine is slow to connect, and a refusal comes at once


def check_pulsar_endpoints(config: JobConfig) -> None:
    """Raise :class:`PreflightError` for the first named topic a Pulsar endpoint does not serve with its settings."""
    if not isinstance(config.source, FileSourceConfig):
        _check_endpoint("source.pulsar", config.source.service_url, config.source.security, config.source.topics)
    if isinstance(config.sink, PulsarSinkConfig):
        _check_endpoint("sink.pulsar", config.sink.service_url, config.sink.security, (config.sink.topic,))


def _check_endpoint(section: str, service_url: str, security: PulsarSecurity, topics: tuple[str, ...]) -> None:
    if urlsplit(service_url).scheme == "pulsar+ssl":
        _tls_handshake(section, service_url, security)
    for topic in topics:
        _lookup(section, service_url, security, topic)


def _tls_handshake(section: str, service_url: str, security: PulsarSecurity) -> None:
    """A TLS handshake with the broker, trusting and checking its certificate as the Pulsar client does.

    The client itself retries a failed handshake until its operation timeout, then reports only a closed
    connection: this names the cause at once, and the setting to change.
    """
    from pyflink.java_gateway import get_gateway

    jvm = get_gateway().jvm
    tls = jvm.org.apache.pulsar.common.util.SecurityUtility
    host, port = urlsplit(service_url).hostname, urlsplit(service_url).port
    connection = None
    try:
        trusted = str(security.trust_certs or "")  # "": the JVM's trust store; no client certificate, key, provider
        context = tls.createSslContext(security.allow_insecure, trusted, "", "", "")
        connection = context.getSocketFactory().createSocket()
        connection.connect(jvm.java.net.InetSocketAddress(host, port), LOOKUP_TIMEOUT_S * 1000)
        connection.setSoTimeout(LOOKUP_TIMEOUT_S * 1000)
        connection.startHandshake()
        named = jvm.org.apache.pulsar.common.tls.TlsHostnameVerifier().verify(host, connection.getSession())
    except Exception as error:  # noqa: BLE001  (a Py4J error wrapping the Java one)
        certificate_error = jvm.java.lang.Class.forName("java.security.cert.CertificateException")
        if any(certificate_error.isInstance(cause) for cause in java_causes(error)):
            trusting = security.trust_certs or "the JVM's default trust store"
            raise PreflightError(f"'{section}': Pulsar at {service_url} has a TLS certificate the job does not trust"
                                 f" ({root_cause(error)}; trusting {trusting}): set '{section}.tls.trust_certs' to"
                                 " the PEM file of the certificate authority that signed it") from None
        raise PreflightError(f"'{section}': no TLS handshake with Pulsar at {service_url}: {root_cause(error)}"
                             f" (see '{section}.tls')") from None
    finally:
        if connection is not None:
            connection.close()
    if security.hostname_verification and not named:
        raise PreflightError(f"'{section}': the TLS certificate of Pulsar at {service_url} is not for {host}: use"
                             f" a host name it holds in '{section}.service_url', or set"
                             f" '{section}.tls.hostname_verification' to false")


def _lookup(section: str, service_url: str, security: PulsarSecurity, topic: str) -> None:
    from pyflink.java_gateway import get_gateway  # PyFlink is slow to import: only once the job's JVM is up

    jvm = get_gateway().jvm
    properties = security.client_properties()
    seconds = jvm.java.util.concurrent.TimeUnit.SECONDS
    builder = (jvm.org.apache.pulsar.client.api.PulsarClient.builder().serviceUrl(service_url)
               .operationTimeout(LOOKUP_TIMEOUT_S, seconds).connectionTimeout(LOOKUP_TIMEOUT_S, seconds)
               .enableTlsHostnameVerification(security.hostname_verification)
               .allowTlsInsecureConnection(security.allow_insecure))
    if "pulsar.client.authParams" in properties:
        builder = builder.authentication(properties["pulsar.client.authPluginClassName"],
                                         properties["pulsar.client.authParams"])
    if security.trust_certs is not None:
        builder = builder.tlsTrustCertsFilePath(str(security.trust_certs))
    client = None
    try:
        client = builder.build()
        client.getPartitionsForTopic(topic).get(LOOKUP_TIMEOUT_S, seconds)
    except Exception as error:  # noqa: BLE001  (a Py4J error wrapping the Java one)
        answer = root_cause(error)
        if security.token:
            answer = answer.replace(security.token, "***")
        raise PreflightError(f"'{section}': Pulsar at {service_url} refused topic {topic}: {answer}"
                             f" (see '{section}.auth' and '{section}.tls')") from None
    finally:
        if client is not None:
            client.close()

