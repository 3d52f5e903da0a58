"""A free TCP port on the loopback interface, for a local broker's or Flink's endpoints."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A port no process listens on now (the system's choice; another process may take it before it is used)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
