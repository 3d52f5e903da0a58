#!/usr/bin/env bash
# The end-to-end demo: generated video sessions through Pulsar and the Flink job, then a summary.
#   scripts/demo.sh [SESSIONS]        (default 2000; env PULSAR_PORT, PULSAR_HTTP_PORT as for pulsar.sh)
# Installs what it needs (venv, connector jars, Pulsar), starts a broker on 127.0.0.1 and stops it on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SESSIONS="${1:-2000}"
export PULSAR_PORT="${PULSAR_PORT:-6650}" PULSAR_HTTP_PORT="${PULSAR_HTTP_PORT:-8080}"
URL="pulsar://127.0.0.1:$PULSAR_PORT"
RUN_ID="$(date +%s)"
IN="persistent://public/default/demo-events-$RUN_ID"
OUT="persistent://public/default/demo-changes-$RUN_ID"
PY="$ROOT/.venv/bin/python"

"$ROOT/scripts/bootstrap.sh"
eval "$("$ROOT/scripts/fetch_artifacts.sh")"
"$ROOT/scripts/pulsar.sh" start >/dev/null
trap '"$ROOT/scripts/pulsar.sh" stop' EXIT

echo "== publishing $SESSIONS generated sessions to $IN"
"$PY" "$ROOT/scripts/publish.py" "$IN" --service-url "$URL" --generate "$SESSIONS" --seed 1 --disorder-ms 1500 \
    --key-field sessionId
echo "== publishing examples/bad-events.jsonl: four malformed events and one far behind the watermark"
"$PY" "$ROOT/scripts/publish.py" "$IN" --service-url "$URL" --file "$ROOT/examples/bad-events.jsonl" --key-field sessionId

echo "== running examples/cirr.yaml on the local Flink mini-cluster (bounded Pulsar source)"
work="$(mktemp -d)"
started=$(date +%s%N)
( cd "$work" && "$ROOT/.venv/bin/timeline" run "$ROOT/examples/cirr.yaml" \
    --source "pulsar:$IN" --sink "pulsar:$OUT" \
    --set "source.pulsar.service_url=$URL" --set "sink.pulsar.service_url=$URL" \
    --set source.pulsar.bounded=true --set checkpoint.interval=2s )
seconds=$(( ($(date +%s%N) - started) / 1000000 ))
rm -rf "$work"

echo "== change stream ($OUT)"
"$PY" "$ROOT/scripts/consume.py" "$OUT" --service-url "$URL" --idle 3 --summary
echo "== dead letters ($OUT-dead-letters)"
"$PY" "$ROOT/scripts/consume.py" "$OUT-dead-letters" --service-url "$URL" --idle 2
events=$("$PY" -c "from sessions.generate import generate_sessions as g; print(sum(1 for _ in g($SESSIONS, 1)))")
echo "== $events events in $((seconds / 1000)).$(( seconds % 1000 / 100 ))s end to end (job start-up included):" \
     "$(( events * 1000 / seconds )) events/s"
