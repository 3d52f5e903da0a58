"""A killed exactly-once job resumed from its latest checkpoint: readers get new records as soon as it runs,
not after the transaction timeout, and every record once; on a broker with token authentication and over TLS too."""
from __future__ import annotations

import signal
import time
from typing import NamedTuple

import orjson
import pytest

from broker.local import local_broker
from broker.publish import publish

from .conftest import flush_event, start_timeline_run, stop_job, tls_settings
from .live_stream import FLOWING_AGAIN_S, LiveInput, OutputWatch, open_transactions
from .test_cluster import comparison
from .test_job import BOUND_MS, expected_records, pulsar_settings
from .test_recovery import latest_checkpoint, wait_for_checkpoint

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]


class Broker(NamedTuple):
    service_url: str
    admin_url: str
    token: str | None
    settings: list[str]  # the job's settings for it


@pytest.fixture(scope="module")
def token_broker(artifacts, tmp_path_factory):
    """A broker of its own that requires a token, and the file holding one."""
    folder = tmp_path_factory.mktemp("token-pulsar")
    token_file = folder / "client.token"
    with local_broker(folder, token_file=token_file) as broker:
        yield broker, token_file


@pytest.fixture(params=["plain", "token", "tls"])
def broker(request) -> Broker:
    if request.param == "plain":
        plain = request.getfixturevalue("pulsar_broker")
        return Broker(plain.service_url, plain.admin_url, None, pulsar_settings(plain.service_url))
    if request.param == "tls":  # the job over TLS only; the test's reader, writer and admin calls plain
        secured = request.getfixturevalue("tls_pulsar_broker")
        return Broker(secured.service_url, secured.admin_url, None, tls_settings(secured.tls))
    secured, token_file = request.getfixturevalue("token_broker")
    return Broker(secured.service_url, secured.admin_url, token_file.read_text().strip(),
                  [*pulsar_settings(secured.service_url), "--set", f"source.pulsar.auth.token_file={token_file}",
                   "--set", f"sink.pulsar.auth.token_file={token_file}"])


def test_a_killed_exactly_once_job_resumed_from_its_checkpoint_writes_on_at_once(broker, topic, tmp_path):
    """Live input, the default transaction timeout (3 h): kill -9 of ``timeline run`` while its transaction
    holds records, then ``--resume-from`` its latest checkpoint; the restore aborts what the killed job left
    open (with the sink's credentials), so a reader gets records about the time after the kill soon after
    the resumed job starts."""
    url, output = broker.service_url, topic("out")
    watch = OutputWatch(url, output, broker.token)
    live = LiveInput(url, topic("in"), sessions=600, span_ms=600_000, disorder_ms=BOUND_MS - 500, seed=53,
                     token=broker.token)
    job_args = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{output}",
                "--set", "sink.pulsar.delivery=exactly-once", *broker.settings]
    try:
        job = start_timeline_run(*job_args, cwd=tmp_path)
        try:
            wait_for_checkpoint(tmp_path / "checkpoints")
            watch.first_after(0)
            deadline = time.monotonic() + 60
            while open_transactions(broker.admin_url, output, broker.token) < 1:  # the kill leaves records open
                assert time.monotonic() < deadline, "the job's transaction held no records for 60 s"
                time.sleep(0.2)
        finally:
            stop_job(job, signal.SIGKILL)
        killed_at, killed = time.time(), time.monotonic()
        resumed = start_timeline_run(*job_args, "--resume-from", str(latest_checkpoint(tmp_path / "checkpoints")),
                                     cwd=tmp_path)
        try:
            first = watch.first_after(killed, within_s=FLOWING_AGAIN_S, about_after_ms=int(killed_at * 1000))
            events = live.stop()
            publish(url, topic("in"), iter([orjson.dumps(flush_event(events))]), token=broker.token)
            expected = expected_records(events)
            records = watch.until_complete(expected)
        finally:
            stop_job(resumed)
    finally:
        live.stop()
        watch.stop()
    figures = {"first_record_s": round(first - killed, 1), **comparison(records, expected)}
    print(f"\nkill -9 and --resume-from, exactly-once, live input: {len(events):,} events; {figures}")
    assert figures["missing"] == figures["wrong"] == figures["duplicates"] == 0
