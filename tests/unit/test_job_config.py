"""The job sections of a spec: the watermark's future bound, the sink's batching, the Pulsar connection's security."""
from __future__ import annotations

from pathlib import Path

import pytest

from dsl.errors import SpecError
from dsl.spec import load_spec
from jobs.arguments import with_overrides
from jobs.config import job_config, job_of
from jobs.pulsar_security import TOKEN_PLUGIN

SPEC = load_spec("""\
name: secured
key: k
time: t
timelines:
  s: latest_event_to_state(x)
""")
SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.not-a-real-signature"


def config(*assignments: str, base: Path | None = None):
    spec = with_overrides(SPEC, "pulsar:events", "pulsar:changes", assignments)
    return job_config(spec, base)


def test_the_watermark_refuses_events_a_day_ahead_of_the_clock_unless_told_otherwise():
    assert config().watermark.max_future_ms == 86_400_000
    assert config("watermark.max_future=10m").watermark.max_future_ms == 600_000
    assert config("watermark.max_future=0").watermark.max_future_ms is None


def test_the_pulsar_sink_batches_unless_told_not_to():
    assert config().sink.batching is True
    assert config("sink.pulsar.batching=false").sink.batching is False
    with pytest.raises(SpecError, match="'sink.pulsar.batching' must be true or false"):
        config("sink.pulsar.batching=sometimes")


def test_a_token_from_a_file_is_read_by_the_pulsar_client_by_path(tmp_path):
    (tmp_path / "token").write_text(SECRET + "\n")
    source = config("source.pulsar.auth.token_file=token", base=tmp_path).source
    assert source.security.client_properties() == {
        "pulsar.client.authPluginClassName": TOKEN_PLUGIN,
        "pulsar.client.authParams": f"file://{tmp_path / 'token'}",
        "pulsar.client.tlsHostnameVerificationEnable": "true",
        "pulsar.client.tlsAllowInsecureConnection": "false",
    }


def test_a_token_from_the_environment_is_never_shown(monkeypatch):
    monkeypatch.setenv("TIMELINE_TEST_TOKEN", SECRET)
    sink = config("sink.pulsar.auth.token_env=TIMELINE_TEST_TOKEN").sink
    assert sink.security.client_properties()["pulsar.client.authParams"] == f"token:{SECRET}"
    assert SECRET not in repr(sink) and SECRET not in str(sink)


def test_tls_settings():
    source = config("source.pulsar.tls={trust_certs: /etc/ca.pem, hostname_verification: false,"
                    " allow_insecure: true}").source
    assert source.security.client_properties() == {
        "pulsar.client.tlsTrustCertsFilePath": "/etc/ca.pem",
        "pulsar.client.tlsHostnameVerificationEnable": "false",
        "pulsar.client.tlsAllowInsecureConnection": "true",
    }


@pytest.mark.parametrize("assignment, message", [
    ("source.pulsar.auth.token_env=TIMELINE_UNSET_TOKEN",
     "'source.pulsar.auth.token_env': the environment variable TIMELINE_UNSET_TOKEN is not set or empty"),
    ("sink.pulsar.auth.token_file=/nonexistent/token",
     "'sink.pulsar.auth.token_file': cannot read the token file /nonexistent/token"),
    ("sink.pulsar.auth={token_file: t, token_env: T}", "'sink.pulsar.auth' takes one of"),
    ("source.pulsar.auth.password=x", "unknown key 'source.pulsar.auth.password'"),
    ("source.pulsar.tls.allow_insecure=maybe", "'source.pulsar.tls.allow_insecure' must be true or false"),
])
def test_bad_security_settings_name_the_key(assignment, message):
    with pytest.raises(SpecError) as error:
        config(assignment)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("auth, line, column, message", [
    ("      token_file: /nonexistent/token\n", 10, 19,
     "'sink.pulsar.auth.token_file': cannot read the token file /nonexistent/token"),
    ("      token_env: TIMELINE_UNSET_TOKEN\n", 10, 18,
     "'sink.pulsar.auth.token_env': the environment variable TIMELINE_UNSET_TOKEN is not set or empty"),
    ("      token_file: t\n      token_env: T\n", 10, 7,
     "'sink.pulsar.auth' takes one of 'token_file' and 'token_env', not both"),
])
def test_bad_security_settings_in_the_file_have_its_line_column_and_caret(auth, line, column, message):
    text = SPEC.written.text + "sink:\n  pulsar:\n    topic: changes\n    auth:\n" + auth
    with pytest.raises(SpecError) as error:
        job_of(load_spec(text, "b.yaml"), Path("/"))
    written = text.splitlines()[line - 1]
    assert str(error.value) == f"b.yaml:{line}:{column}: {message}\n  {written.strip()}\n  {' ' * (column - 7)}^"
