"""The JVM artifacts (connector jars, Apache Pulsar), fetched by ``scripts/fetch_artifacts.sh``."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

FETCH_ARTIFACTS = Path(__file__).resolve().parents[1] / "scripts" / "fetch_artifacts.sh"


def export_artifacts() -> None:
    """Fetch what is missing into the cache and take the script's exports into ``os.environ``.

    Variables already set (``FLINK_PULSAR_JARS``, ``PULSAR_HOME``, ``TIMELINE_CACHE``) are kept.
    """
    exports = subprocess.run([str(FETCH_ARTIFACTS)], check=True, capture_output=True, text=True).stdout
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        os.environ.setdefault(name, value.strip("'"))
