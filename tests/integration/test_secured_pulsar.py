"""A Pulsar broker with token authentication: the job runs with the token and is refused at once without it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from broker.consume import read_topic
from broker.local import local_broker
from broker.publish import publish
from engine.records import change_order

from .conftest import CIRR, JOB_TIMEOUT_S, TIMELINE, hold_topic, timeline_run
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
