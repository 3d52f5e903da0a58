"""The broker's admin REST API, for what the Python client cannot do: partitioned topics, compaction."""
from __future__ import annotations

import json
import urllib.request


def topic_path(topic: str) -> str:
    """``persistent://tenant/ns/name`` as the REST API's ``persistent/tenant/ns/name``."""
    domain, _, rest = topic.partition("://")
    return f"{domain}/{rest}"


def create_partitioned_topic(admin_url: str, topic: str, partitions: int) -> None:
    request = urllib.request.Request(f"{admin_url}/admin/v2/{topic_path(topic)}/partitions",
                                     data=json.dumps(partitions).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
