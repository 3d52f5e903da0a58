"""The broker's admin REST API, for what the Python client cannot do: partitioned topics, compaction."""
from __future__ import annotations

import time
import urllib.request

import orjson

COMPACTION_TIMEOUT_S = 60


def admin(admin_url: str, method: str, topic: str, action: str, body: bytes | None = None) -> bytes:
    """A call of the admin REST API on ``topic`` (``persistent://tenant/ns/name``)."""
    url = f"{admin_url}/admin/v2/{topic.replace('://', '/')}/{action}"
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def create_partitioned_topic(admin_url: str, topic: str, partitions: int) -> None:
    admin(admin_url, "PUT", topic, "partitions", str(partitions).encode())


def compact(admin_url: str, topic: str) -> None:
    """Compact ``topic`` (one partition) and wait until the broker reports success."""
    admin(admin_url, "PUT", topic, "compaction")
    deadline = time.monotonic() + COMPACTION_TIMEOUT_S
    while (status := orjson.loads(admin(admin_url, "GET", topic, "compaction")))["status"] != "SUCCESS":
        if status["status"] == "ERROR" or time.monotonic() > deadline:
            raise RuntimeError(f"compaction of {topic}: {status}")
        time.sleep(0.2)
