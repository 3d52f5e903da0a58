"""A Pulsar broker of our own for a test session or a benchmark: free loopback ports, data in a given folder."""
from __future__ import annotations

import os
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jobs.artifacts import export_artifacts

PULSAR_SH = Path(__file__).resolve().parents[1] / "scripts" / "pulsar.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_broker(folder: Path, token_file: Path | None = None) -> Iterator[str]:
    """Start ``scripts/pulsar.sh`` with its data under ``folder``; yields its service URL; stops it after.

    With ``token_file``, the broker requires token authentication and a superuser token is written there.
    """
    export_artifacts()
    port = free_port()
    env = {**os.environ, "PULSAR_PORT": str(port), "PULSAR_HTTP_PORT": str(free_port()), "TMPDIR": str(folder)}
    if token_file is not None:
        env["PULSAR_TOKEN_FILE"] = str(token_file)
    # no pipes: the broker it leaves running would hold them open
    subprocess.run([str(PULSAR_SH), "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"pulsar://127.0.0.1:{port}"
    finally:
        subprocess.run([str(PULSAR_SH), "stop"], env=env, check=True, stdout=subprocess.DEVNULL)


def admin_url(service_url: str) -> str:
    """The admin REST API's address of the local broker at ``service_url``, as ``scripts/pulsar.sh status`` has it."""
    env = {**os.environ, "PULSAR_PORT": service_url.rsplit(":", 1)[1]}
    status = subprocess.run([str(PULSAR_SH), "status"], env=env, check=True, capture_output=True, text=True)
    return status.stdout.split()[-1]
