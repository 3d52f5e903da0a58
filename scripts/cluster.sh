#!/usr/bin/env bash
# A Flink standalone session cluster on 127.0.0.1 from the installed PyFlink distribution.
#   scripts/cluster.sh start [--taskmanagers N]   a JobManager and N TaskManagers (default 2), one slot each
#   scripts/cluster.sh add-taskmanager            one more TaskManager (e.g. after one was lost)
#   scripts/cluster.sh status                     processes, REST URL, Prometheus endpoints
#   scripts/cluster.sh submit [FLINK RUN OPTIONS] SPEC [JOB ARGUMENTS]
#                                                 flink run -d -py jobs/flink_job.py --spec SPEC ... (docs/job.md)
#   scripts/cluster.sh flink ARGS...              the flink command line against this cluster (list, stop, cancel)
#   scripts/cluster.sh stop                       stop every process and remove the cluster's folder
# Env: TIMELINE_FLINK_DIR (the cluster's folder: conf/, lib/, plugins/, log/, pids; default
#      $TIMELINE_CACHE/run/flink), FLINK_START_TIMEOUT (seconds, 180), TIMELINE_CACHE.
#
# Layout (docker/Dockerfile builds the same): conf/config.yaml below; lib/ = the distribution's lib/ +
# flink-python (from opt/: in lib/ thread-mode tasks restart cleanly, FLINK-37727) + the Pulsar connector
# jars + the project's jvm/ jar (in lib/, not pipeline.jars: there PyFlink's own classes are not found);
# plugins/metrics-prometheus, one free scrape port per process.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TIMELINE_CACHE:-$HOME/.cache/timeline-flink}"
DIR="${TIMELINE_FLINK_DIR:-$CACHE/run/flink}"
TIMEOUT="${FLINK_START_TIMEOUT:-180}"
PYTHON="$ROOT/.venv/bin/python"

log() { echo "cluster.sh: $*" >&2; }
free_port() { "$PYTHON" -c 'from jobs.ports import free_port; print(free_port())'; }
alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
rest_url() { echo "http://127.0.0.1:$(cat "$DIR/rest.port")"; }

flink_env() {
  FLINK_HOME="$("$PYTHON" -c 'import os, pyflink; print(os.path.dirname(pyflink.__file__))')"
  export FLINK_HOME FLINK_CONF_DIR="$DIR/conf" FLINK_LIB_DIR="$DIR/lib" FLINK_PLUGINS_DIR="$DIR/plugins"
}

configure() {
  eval "$("$ROOT/scripts/fetch_artifacts.sh" jars)"   # FLINK_PULSAR_JARS: connector jars and the jvm/ jar
  flink_env
  rm -rf "$DIR" && mkdir -p "$DIR/conf" "$DIR/lib" "$DIR/plugins" "$DIR/log"
  ln -s "$FLINK_HOME"/lib/*.jar "$FLINK_HOME"/opt/flink-python-*.jar "$DIR/lib/"
  local jar; for jar in ${FLINK_PULSAR_JARS//;/ }; do ln -s "${jar#file://}" "$DIR/lib/"; done
  ln -s "$FLINK_HOME/plugins/metrics-prometheus" "$DIR/plugins/"
  cp "$FLINK_HOME"/conf/log4j*.properties "$DIR/conf/"
  free_port > "$DIR/rest.port"
  local java_opts site_packages
  java_opts="$(sed -n 's/^ *all: //p' "$FLINK_HOME/conf/config.yaml")"
  site_packages="$("$PYTHON" -c 'import site; print(":".join(site.getsitepackages()))')"
  cat > "$DIR/conf/config.yaml" <<YAML
# written by scripts/cluster.sh
env.java.opts.all: $java_opts
env.java.opts.jobmanager: --add-exports=java.base/sun.net=ALL-UNNAMED
env.java.opts.taskmanager: --add-exports=java.base/sun.net=ALL-UNNAMED
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $(free_port)
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1024m
jobmanager.execution.failover-strategy: region
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.numberOfTaskSlots: 1
taskmanager.memory.process.size: 1728m
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $(cat "$DIR/rest.port")
parallelism.default: 1
# a TaskManager killed without a word is declared lost after 10 s (default 50 s)
heartbeat.interval: 2000
heartbeat.timeout: 10000
# thread mode: the interpreter the TaskManagers embed, and where it finds the project and its packages
python.executable: $PYTHON
python.client.executable: $PYTHON
python.pythonpath: $site_packages:$ROOT
# the Pulsar client's I/O threads still log after a finished job's class loader closes
classloader.check-leaked-classloader: false
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
YAML
}

# run one Flink process in the foreground of its own session; its pid, log and scrape port in $DIR
launch() {
  local name="$1" script="$2" port; port="$(free_port)"
  echo "$port" > "$DIR/$name.prometheus"
  mkdir -p "$DIR/log/$name"
  FLINK_LOG_DIR="$DIR/log/$name" FLINK_PID_DIR="$DIR/log/$name" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$DIR/$name.pid" \
      "$FLINK_HOME/bin/$script" start-foreground -D "metrics.reporter.prom.port=$port" \
      > "$DIR/log/$name/out" 2>&1 < /dev/null &
  for _ in $(seq 50); do [[ -s "$DIR/$name.pid" ]] && break; sleep 0.1; done
}

registered_taskmanagers() {
  curl -fsS -m 5 "$(rest_url)/taskmanagers" 2>/dev/null | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)["taskmanagers"]))' 2>/dev/null || echo 0
}

wait_for_taskmanagers() {
  local want="$1" deadline=$(( $(date +%s) + TIMEOUT ))
  until (( $(registered_taskmanagers) >= want )); do
    if ! alive "$DIR/jobmanager.pid"; then log "the JobManager exited; see $DIR/log/jobmanager"; exit 1; fi
    if (( $(date +%s) > deadline )); then log "$want TaskManagers not registered after ${TIMEOUT}s; see $DIR/log"; exit 1; fi
    sleep 1
  done
}

add_taskmanager() {
  flink_env
  local n=1; while [[ -e "$DIR/taskmanager-$n.pid" ]]; do n=$((n + 1)); done
  launch "taskmanager-$n" taskmanager.sh
  log "taskmanager-$n: pid $(cat "$DIR/taskmanager-$n.pid"), metrics http://127.0.0.1:$(cat "$DIR/taskmanager-$n.prometheus")/"
}

start() {
  local taskmanagers=2
  if [[ "${1:-}" == --taskmanagers ]]; then taskmanagers="${2:?--taskmanagers N}"; fi
  if alive "$DIR/jobmanager.pid"; then log "already running: $(rest_url)"; return 0; fi
  configure
  local t0; t0=$(date +%s)
  launch jobmanager jobmanager.sh
  for _ in $(seq "$taskmanagers"); do add_taskmanager; done
  wait_for_taskmanagers "$taskmanagers"
  log "ready in $(( $(date +%s) - t0 ))s: $taskmanagers TaskManagers, web UI and REST $(rest_url), metrics http://127.0.0.1:$(cat "$DIR/jobmanager.prometheus")/ (JobManager)"
  rest_url
}

stop() {
  local pidfile
  for pidfile in "$DIR"/*.pid; do
    [[ -f "$pidfile" ]] || continue
    if alive "$pidfile"; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  for pidfile in "$DIR"/*.pid; do
    [[ -f "$pidfile" ]] || continue
    local pid; pid="$(cat "$pidfile")"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$DIR"
  log "stopped"
}

status() {
  alive "$DIR/jobmanager.pid" || { echo "stopped"; exit 3; }
  echo "jobmanager pid $(cat "$DIR/jobmanager.pid") rest $(rest_url) metrics http://127.0.0.1:$(cat "$DIR/jobmanager.prometheus")/"
  local pidfile name
  for pidfile in "$DIR"/taskmanager-*.pid; do
    name="$(basename "$pidfile" .pid)"
    if alive "$pidfile"; then
      echo "$name pid $(cat "$pidfile") metrics http://127.0.0.1:$(cat "$DIR/$name.prometheus")/"
    else
      echo "$name pid $(cat "$pidfile") dead"
    fi
  done
  echo "registered taskmanagers $(registered_taskmanagers)"
}

flink_cli() {
  alive "$DIR/jobmanager.pid" || { log "not running"; exit 1; }
  flink_env
  "$FLINK_HOME/bin/flink" "$@"
}

submit() {
  local options=()
  while [[ $# -gt 0 && "$1" == -* ]]; do options+=("$1" "$2"); shift 2; done
  local spec="${1:?usage: $0 submit [FLINK RUN OPTIONS] SPEC [JOB ARGUMENTS]}"; shift
  flink_cli run -d "${options[@]}" -py "$ROOT/jobs/flink_job.py" --spec "$spec" "$@"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  add-taskmanager) add_taskmanager ;;
  stop) stop ;;
  status) status ;;
  submit) shift; submit "$@" ;;
  flink) shift; flink_cli "$@" ;;
  *) echo "usage: $0 start [--taskmanagers N] | add-taskmanager | status | submit [FLINK RUN OPTIONS] SPEC [JOB ARGS] | flink ARGS | stop" >&2; exit 2 ;;
esac
