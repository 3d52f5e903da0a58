"""Before the job starts: can each Pulsar endpoint be reached with its settings?

A broker that refuses the job's credentials, or is not there, fails the job
only after its restarts, minutes later, in a long stack trace. This check uses
the connector's own Java Pulsar client with the same properties, looks up the
partitions of each named topic (which creates nothing), and fails at once with
the endpoint, the topic and the broker's answer. Secrets never appear in it.
"""
from __future__ import annotations

from pyflink.java_gateway import get_gateway

from dsl.errors import SpecError
from jobs.config import FileSourceConfig, JobConfig, PulsarSinkConfig
from jobs.pulsar_security import PulsarSecurity

TIMEOUT_S = 60  # generous: a busy machine is slow to connect, and a refusal comes at once


class PulsarRefused(SpecError):
    """A Pulsar endpoint of the spec cannot be used: unreachable, or the credentials are refused."""


def check_pulsar_endpoints(config: JobConfig) -> None:
    """Raise :class:`PulsarRefused` for the first Pulsar endpoint that cannot be used."""
    if not isinstance(config.source, FileSourceConfig):
        for topic in config.source.topics:
            _check("source.pulsar", config.source.service_url, config.source.security, topic)
    if isinstance(config.sink, PulsarSinkConfig):
        _check("sink.pulsar", config.sink.service_url, config.sink.security, config.sink.topic)


def _check(section: str, service_url: str, security: PulsarSecurity, topic: str) -> None:
    jvm = get_gateway().jvm
    properties = security.client_properties()
    seconds = jvm.java.util.concurrent.TimeUnit.SECONDS
    builder = (jvm.org.apache.pulsar.client.api.PulsarClient.builder().serviceUrl(service_url)
               .operationTimeout(TIMEOUT_S, seconds).connectionTimeout(TIMEOUT_S, seconds)
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
        client.getPartitionsForTopic(topic).get(TIMEOUT_S, seconds)
    except Exception as error:  # noqa: BLE001  (a Py4J error wrapping the Java one)
        answer = _root_cause(error)
        if security.token:
            answer = answer.replace(security.token, "***")
        raise PulsarRefused(f"'{section}': Pulsar at {service_url} refused topic {topic}: {answer}"
                            f" (see '{section}.auth' and '{section}.tls')") from None
    finally:
        if client is not None:
            client.close()


def _root_cause(error: Exception) -> str:
    """``Class: message`` of the innermost Java exception behind a Py4J error."""
    throwable = getattr(error, "java_exception", None)
    if throwable is None:
        return str(error)
    while throwable.getCause() is not None:
        throwable = throwable.getCause()
    return f"{throwable.getClass().getSimpleName()}: {throwable.getMessage()}"
