"""Secured Pulsar brokers: the job runs with a token or over TLS, and is refused at once without the token,
without trusting the broker's certificate or when the certificate is for another host; a restarted broker
keeps its token and certificates."""
from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import orjson
import pulsar
import pytest

from broker.consume import read_topic
from broker.local import PULSAR_SH, local_broker
from broker.publish import publish
from engine.records import change_order

from .conftest import CIRR, JOB_TIMEOUT_S, TIMELINE, hold_topic, timeline_run, tls_settings
from .test_job import arrivals, expected_records, pulsar_settings

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]
FLINK_LOGS = Path(sys.prefix, "lib", "python3.11", "site-packages", "pyflink", "log")  # the local mini-cluster's


@pytest.fixture(scope="module")
def secured_broker(artifacts, tmp_path_factory):
    """A broker of its own that requires a token; yields its URL and the file holding a valid token."""
    folder = tmp_path_factory.mktemp("secured-pulsar")
    token_file = folder / "client.token"
    with local_broker(folder, token_file=token_file) as broker:
        yield broker.service_url, token_file


def test_the_job_runs_with_the_token_and_is_refused_without_it(secured_broker, topic, tmp_path, monkeypatch):
    url, token_file = secured_broker
    token = token_file.read_text().strip()
    events = arrivals(20, seed=31)
    hold_topic(url, topic("in"), "timeline-video_qoe", token)
    publish(url, topic("in"), (orjson.dumps(event) for event in events), token=token)
    job = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
           "--set", "source.pulsar.bounded=true", *pulsar_settings(url)]

    refused = subprocess.run([str(TIMELINE), "run", str(CIRR), *job], cwd=tmp_path, capture_output=True, text=True,
                             timeout=JOB_TIMEOUT_S)
    assert refused.returncode == 2
    refusal = refused.stderr.strip()
    assert refusal.startswith(f"timeline run: 'source.pulsar': Pulsar at {url} refused topic {topic('in')}: "), refusal
    assert "Authentication" in refusal and refusal.endswith("(see 'source.pulsar.auth' and 'source.pulsar.tls')")

    monkeypatch.setenv("TIMELINE_SINK_TOKEN", token)  # the sink's token from the environment, the source's from a file
    done = timeline_run(*job, "--set", f"source.pulsar.auth.token_file={token_file}",
                        "--set", "sink.pulsar.auth.token_env=TIMELINE_SINK_TOKEN", cwd=tmp_path)

    records = [orjson.loads(message) for message in read_topic(url, topic("out"), idle_seconds=3, token=token)]
    assert sorted(records, key=change_order) == expected_records(events)
    shown = done.stdout + done.stderr + refused.stdout + refused.stderr
    shown += "".join(path.read_text(errors="replace") for path in FLINK_LOGS.glob("*.log"))
    assert token not in shown


def test_the_job_runs_over_tls_trusting_the_brokers_ca_and_is_refused_without_it(tls_pulsar_broker, topic, tmp_path):
    plain, tls = tls_pulsar_broker.service_url, tls_pulsar_broker.tls
    events = arrivals(20, seed=37)
    hold_topic(plain, topic("in"), "timeline-video_qoe")
    publish(plain, topic("in"), (orjson.dumps(event) for event in events))
    job = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
           "--set", "source.pulsar.bounded=true"]

    refused = subprocess.run([str(TIMELINE), "run", str(CIRR), *job, *pulsar_settings(tls.service_url)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith(f"timeline run: 'source.pulsar': Pulsar at {tls.service_url} has a TLS"
                                     " certificate the job does not trust ("), refused.stderr
    assert refused.stderr.endswith("; trusting the JVM's default trust store): set 'source.pulsar.tls.trust_certs'"
                                   " to the PEM file of the certificate authority that signed it\n"), refused.stderr

    timeline_run(*job, *tls_settings(tls), cwd=tmp_path)

    records = [orjson.loads(message) for message in read_topic(plain, topic("out"), idle_seconds=3)]
    assert sorted(records, key=change_order) == expected_records(events)


def certificate_for(host: str, folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA's PEM, and a server certificate it signed for ``host`` only with its key."""
    ca, ca_key, certificate, key = (folder / name for name in ("ca.pem", "ca.key", "server.pem", "server.key"))
    openssl = ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subprocess.run([*openssl, "-x509", "-subj", "/CN=test CA", "-keyout", ca_key, "-out", ca], check=True,
                   capture_output=True)
    subprocess.run([*openssl, "-subj", f"/CN={host}", "-keyout", key, "-out", folder / "server.csr"], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", folder / "server.csr", "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "1", "-extfile", "/dev/stdin", "-out", certificate], check=True,
                   capture_output=True, input=f"subjectAltName=DNS:{host}\n".encode())
    return ca, certificate, key


@contextmanager
def tls_endpoint(certificate: Path, key: Path) -> Iterator[int]:
    """A TLS server on a free port of 127.0.0.1 that shakes hands with each connection and closes it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    serving = threading.Event()
    serving.set()

    def serve() -> None:
        while serving.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            try:
                context.wrap_socket(connection, server_side=True).close()
            except (ssl.SSLError, OSError):  # a probe that only connects, or a client that gave up
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        serving.clear()
        thread.join()
        server.close()


def test_a_certificate_for_another_host_is_refused(artifacts, tmp_path):
    """A trusted certificate that does not name the service URL's host: refused at once, naming the setting."""
    ca, certificate, key = certificate_for("elsewhere.invalid", tmp_path)
    with tls_endpoint(certificate, key) as port:
        url = f"pulsar+ssl://127.0.0.1:{port}"
        settings = [setting for section in ("source.pulsar", "sink.pulsar")
                    for setting in ("--set", f"{section}.service_url={url}", "--set", f"{section}.tls.trust_certs={ca}")]
        refused = subprocess.run([str(TIMELINE), "run", str(CIRR), "--source", "pulsar:in", "--sink", "pulsar:out",
                                  *settings], cwd=tmp_path, capture_output=True, text=True, timeout=JOB_TIMEOUT_S)
    assert refused.returncode == 2
    assert refused.stderr == (f"timeline run: 'source.pulsar': the TLS certificate of Pulsar at {url} is not for"
                              " 127.0.0.1: use a host name it holds in 'source.pulsar.service_url', or set"
                              " 'source.pulsar.tls.hostname_verification' to false\n"), refused.stderr


def test_a_restarted_broker_keeps_its_token_and_certificates(artifacts, tmp_path):
    """``pulsar.sh restart`` given only the broker's port, as after an outage: the same broker again, the token
    and the certificate authority of its first start still admitting clients over TLS, its messages kept."""
    token_file = tmp_path / "client.token"
    with local_broker(tmp_path, token_file=token_file, tls=True) as broker:
        def client() -> pulsar.Client:
            return pulsar.Client(broker.tls.service_url, tls_trust_certs_file_path=str(broker.tls.ca_file),
                                 tls_validate_hostname=True,
                                 authentication=pulsar.AuthenticationToken(token_file.read_text().strip()))

        def send(payload: bytes) -> None:
            sender = client()
            sender.create_producer(topic).send(payload)
            sender.close()

        topic = "persistent://public/default/restarted"
        send(b"before")
        subprocess.run([str(PULSAR_SH), "restart"], env={**os.environ, "PULSAR_PORT": str(urlparse(
            broker.service_url).port)}, check=True, stdout=subprocess.DEVNULL, timeout=400)
        send(b"after")
        receiver = client()
        reader = receiver.create_reader(topic, pulsar.MessageId.earliest)
        assert [reader.read_next(30_000).data() for _ in range(2)] == [b"before", b"after"]
        receiver.close()
