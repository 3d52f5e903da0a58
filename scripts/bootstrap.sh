#!/usr/bin/env bash
# Create .venv (python3.11) in the repo root and install the project with its test extra.
# Idempotent: pip is skipped when .venv/.bootstrap-stamp matches the hash of pyproject.toml.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.bootstrap-stamp"
PYTHON="${PYTHON:-python3.11}"

if [[ ! -x "$VENV/bin/python" ]]; then
  command -v "$PYTHON" >/dev/null || { echo "bootstrap: $PYTHON not found" >&2; exit 1; }
  echo "bootstrap: creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi

want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "bootstrap: .venv up to date"
  exit 0
fi

echo "bootstrap: installing timeline-flink[test] (first run takes a few minutes)"
"$VENV/bin/python" -m pip install --quiet --upgrade pip wheel
"$VENV/bin/python" -m pip install --quiet -e "$ROOT[test]"
echo "$want" > "$STAMP"
echo "bootstrap: done"
