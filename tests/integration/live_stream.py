"""A live stream for fault tests: events published at the pace of their real-time stamps while a reader
notes when each output record arrives."""
from __future__ import annotations

import threading
import time
import urllib.request

import orjson
import pulsar
import pytest

from sessions.generate import BASE_TIME, generate_sessions

from .conftest import JOB_TIMEOUT_S, canonical

# a reader waits no longer than this after the job's restore (or the broker's return) for a new record: far
# below the default transaction timeout (3 h) that a transaction left open would make it wait
FLOWING_AGAIN_S = 120


def open_transactions(admin_url: str, topic: str, token: str | None = None) -> int:
    """The transactions open on ``topic`` that wrote to it (the broker's transaction buffer)."""
    url = f"{admin_url}/admin/v3/transactions/transactionBufferStats/{topic.removeprefix('persistent://')}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return orjson.loads(response.read())["ongoingTxnSize"]


def client(url: str, token: str | None) -> pulsar.Client:
    return pulsar.Client(url, authentication=pulsar.AuthenticationToken(token) if token else None,
                         logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))


class LiveInput:
    """Generated sessions, their stamps moved to start now, each published when the clock reaches it (arrival
    disorder kept), until :meth:`stop`. Sends wait out a broker outage (no send timeout)."""

    def __init__(self, url: str, topic: str, sessions: int, span_ms: int, disorder_ms: int, seed: int,
                 token: str | None = None):
        shift = int(time.time() * 1000) + 1000 - BASE_TIME
        self.events = [{**event, "ts": event["ts"] + shift}
                       for event in generate_sessions(sessions, seed, span_ms=span_ms, disorder_ms=disorder_ms)]
        self.sent = 0
        self._stopping = threading.Event()
        self._client = client(url, token)
        self._producer = self._client.create_producer(topic, batching_enabled=True, batching_max_publish_delay_ms=5,
                                                      send_timeout_millis=0, block_if_queue_full=True)
        self._thread = threading.Thread(target=self._publish, daemon=True)
        self._thread.start()

    def _publish(self) -> None:
        for event in self.events:
            while (wait_s := event["ts"] / 1000 - time.time()) > 0:
                if self._stopping.wait(min(wait_s, 0.1)):
                    return
            if self._stopping.is_set():
                return
            self._producer.send_async(orjson.dumps(event), None)
            self.sent += 1

    def stop(self) -> list[dict]:
        """Stop publishing (again: nothing more); the events sent, all stored by the broker."""
        if not self._stopping.is_set():
            self._stopping.set()
            self._thread.join()
            self._producer.flush()
            self._client.close()
        return self.events[:self.sent]


class OutputWatch:
    """A reader of a topic from its start, noting each record with the moment it arrived (monotonic clock)."""

    def __init__(self, url: str, topic: str, token: str | None = None):
        self.arrivals: list[tuple[float, dict]] = []
        self._stopping = threading.Event()
        self._client = client(url, token)
        self._reader = self._client.create_reader(topic, pulsar.MessageId.earliest)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stopping.is_set():
            try:
                message = self._reader.read_next(timeout_millis=200)
            except pulsar.Timeout:
                continue
            except pulsar.PulsarException:  # the broker is away; the reader reconnects
                time.sleep(0.2)
                continue
            self.arrivals.append((time.monotonic(), orjson.loads(message.data())))

    def first_after(self, moment: float, within_s: float = JOB_TIMEOUT_S, about_after_ms: int = 0) -> float:
        """The arrival of the first record after ``moment`` whose time is after ``about_after_ms``; fails if
        none arrives within ``within_s`` of ``moment`` (or of now, when that is later)."""
        deadline = max(moment, time.monotonic()) + within_s
        while True:
            arrived = next((at for at, record in self.arrivals  # in order of arrival
                            if at > moment and record["time"] > about_after_ms), None)
            if arrived is not None:
                return arrived
            if time.monotonic() > deadline:
                pytest.fail(f"no record within {within_s}s (from {len(self.arrivals)} records before)")
            time.sleep(0.1)

    def until_complete(self, expected: list[dict]) -> list[dict]:
        """Every record read, once all of ``expected`` have arrived (then none for 3 s more)."""
        missing = {canonical(record) for record in expected}
        seen = 0
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while missing:
            if time.monotonic() > deadline:
                pytest.fail(f"{len(missing)} expected records did not arrive within {JOB_TIMEOUT_S}s")
            for _, record in self.arrivals[seen:]:
                missing.discard(canonical(record))
                seen += 1
            time.sleep(0.2)
        while time.monotonic() - self.arrivals[-1][0] < 3:
            time.sleep(0.2)
        return self.stop()

    def stop(self) -> list[dict]:
        """Stop reading (again: nothing more); every record read."""
        if not self._stopping.is_set():
            self._stopping.set()
            self._thread.join()
            self._client.close()
        return [record for _, record in self.arrivals]
