#!/usr/bin/env bash
# The test command: set up .venv and the JVM artifacts, then run every test
# (unit tests, and integration tests against a real Pulsar broker and a real
# Flink mini-cluster that the tests start on 127.0.0.1). Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
eval "$(bash scripts/fetch_artifacts.sh)"
exec .venv/bin/python -m pytest "$@"
