#!/usr/bin/env bash
# The test command: set up .venv and the JVM artifacts, run the JVM module's own
# tests (JUnit, jvm/src/test), then every Python test (unit tests, and integration
# tests against a real Pulsar broker and a real Flink mini-cluster that the tests
# start on 127.0.0.1). Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
eval "$(bash scripts/fetch_artifacts.sh)"
log="$(mktemp)"
if ! mvn -B -f jvm/pom.xml test > "$log" 2>&1; then
  summary="$(sed -n '/Results:/,/Tests run:/p' "$log")"  # Surefire's summary; none after a compile error
  echo "${summary:-$(tail -30 "$log")}" >&2
  rm -f "$log"; exit 1
fi
echo "jvm/: $(grep -E '^\[INFO\] Tests run:' "$log" | tail -1 | cut -c8-)" >&2
rm -f "$log"
exec .venv/bin/python -m pytest "$@"
