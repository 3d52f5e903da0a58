"""A Pulsar broker of our own for a test session or a benchmark: free loopback ports, data in a given folder."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

from jobs.artifacts import export_artifacts
from jobs.ports import free_port

PULSAR_SH = Path(__file__).resolve().parents[1] / "scripts" / "pulsar.sh"


class BrokerTls(NamedTuple):
    service_url: str  # pulsar+ssl://127.0.0.1:PORT
    admin_url: str  # https://127.0.0.1:PORT
    ca_file: Path  # PEM of the throwaway CA that signed the broker's certificate (for 127.0.0.1 and localhost)


class LocalBroker(NamedTuple):
    service_url: str  # pulsar://127.0.0.1:PORT
    admin_url: str  # http://127.0.0.1:PORT, the admin REST API
    tls: BrokerTls | None = None  # the same broker over TLS, when started with it


@contextmanager
def local_broker(folder: Path, token_file: Path | None = None, tls: bool = False) -> Iterator[LocalBroker]:
    """Start ``scripts/pulsar.sh`` with its data under ``folder``; yields its URLs; stops it after.

    With ``token_file``, the broker requires token authentication and a superuser token is written there.
    With ``tls``, it serves TLS too, beside the plain ports, with a CA and certificate made in ``folder/tls``.
    """
    export_artifacts()
    port, http_port = free_port(), free_port()
    env = {**os.environ, "PULSAR_PORT": str(port), "PULSAR_HTTP_PORT": str(http_port), "TMPDIR": str(folder)}
    if token_file is not None:
        env["PULSAR_TOKEN_FILE"] = str(token_file)
    secure = None
    if tls:
        tls_port, https_port = free_port(), free_port()
        env.update(PULSAR_TLS_DIR=str(folder / "tls"), PULSAR_TLS_PORT=str(tls_port), PULSAR_HTTPS_PORT=str(https_port))
        secure = BrokerTls(f"pulsar+ssl://127.0.0.1:{tls_port}", f"https://127.0.0.1:{https_port}",
                           folder / "tls" / "ca.pem")
    # no pipes: the broker it leaves running would hold them open
    subprocess.run([str(PULSAR_SH), "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        yield LocalBroker(f"pulsar://127.0.0.1:{port}", f"http://127.0.0.1:{http_port}", secure)
    finally:
        subprocess.run([str(PULSAR_SH), "stop"], env=env, check=True, stdout=subprocess.DEVNULL)
