"""A killed exactly-once job resumed from its latest checkpoint: readers get new records as soon as it runs,
not after the transaction timeout, and every record once."""
from __future__ import annotations

import signal
import time

import pytest

from .conftest import flush_event, start_timeline_run, stop_job
from .live_stream import FLOWING_AGAIN_S, LiveInput, OutputWatch, open_transactions
from .test_cluster import comparison, send
from .test_job import BOUND_MS, expected_records, pulsar_settings
from .test_recovery import latest_checkpoint, wait_for_checkpoint

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]


def test_a_killed_exactly_once_job_resumed_from_its_checkpoint_writes_on_at_once(pulsar_broker, topic, tmp_path):
    """Live input, the default transaction timeout (3 h): kill -9 of ``timeline run`` while its transaction
    holds records, then ``--resume-from`` its latest checkpoint; the restore aborts what the killed job left
    open, so a reader gets records about the time after the kill soon after the resumed job starts."""
    url, output = pulsar_broker.service_url, topic("out")
    watch = OutputWatch(url, output)
    live = LiveInput(url, topic("in"), sessions=600, span_ms=600_000, disorder_ms=BOUND_MS - 500, seed=53)
    job_args = ["--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{output}",
                "--set", "sink.pulsar.delivery=exactly-once", *pulsar_settings(url)]
    try:
        job = start_timeline_run(*job_args, cwd=tmp_path)
        try:
            wait_for_checkpoint(tmp_path / "checkpoints")
            watch.first_after(0)
            deadline = time.monotonic() + 60
            while open_transactions(pulsar_broker.admin_url, output) < 1:  # the kill leaves records uncommitted
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
            send(url, topic("in"), [flush_event(events)])
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
