#!/usr/bin/env bash
# A Flink standalone session cluster on 127.0.0.1 from the installed PyFlink distribution.
#   scripts/cluster.sh start [--taskmanagers N] [--ha]
#                                                 a JobManager and N TaskManagers (default 2), one slot each;
#                                                 --ha: ZooKeeper on loopback and two JobManagers (leader, standby)
#   scripts/cluster.sh add-taskmanager            one more TaskManager (e.g. after one was lost)
#   scripts/cluster.sh add-jobmanager             one more JobManager (--ha: a new standby after one was lost)
#   scripts/cluster.sh status                     processes, the leader's REST URL, Prometheus endpoints
#   scripts/cluster.sh submit [FLINK RUN OPTIONS] SPEC [JOB ARGUMENTS]
#                                                 flink run -d -py jobs/flink_job.py --spec SPEC ... (docs/job.md)
#   scripts/cluster.sh flink ARGS...              the flink command line against this cluster (list, stop, cancel)
#   scripts/cluster.sh stop                       stop every process and remove the cluster's folder
# Env: TIMELINE_FLINK_DIR (the cluster's folder: conf/, lib/, plugins/, log/, pids; default
#      $TIMELINE_CACHE/run/flink), FLINK_START_TIMEOUT (seconds, 180), TIMELINE_CACHE, PULSAR_HOME (--ha: its
#      bin/pulsar zookeeper; scripts/fetch_artifacts.sh fetches it).
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
jobmanagers() { local pidfile; for pidfile in "$DIR"/jobmanager*.pid; do [[ -f "$pidfile" ]] && basename "$pidfile" .pid; done; }
any_jobmanager_alive() { local name; for name in $(jobmanagers); do alive "$DIR/$name.pid" && return 0; done; return 1; }
# a JobManager leads when its REST endpoint's last word on leadership says granted (a standby's REST API
# answers too, through the leader)
leads() {
  grep -sh "DispatcherRestEndpoint.* \(was granted\|revoked\) leadership" "$DIR/log/$1"/*.log | tail -1 | grep -q granted
}

# the leading JobManager's REST URL (the first JobManager's while none leads)
rest_url() {
  local name
  for name in $(jobmanagers); do
    if alive "$DIR/$name.pid" && leads "$name"; then echo "http://127.0.0.1:$(cat "$DIR/$name.rest")"; return; fi
  done
  echo "http://127.0.0.1:$(cat "$DIR/rest.port")"
}

flink_env() {
  FLINK_HOME="$("$PYTHON" -c 'import os, pyflink; print(os.path.dirname(pyflink.__file__))')"
  export FLINK_HOME FLINK_CONF_DIR="$DIR/conf" FLINK_LIB_DIR="$DIR/lib" FLINK_PLUGINS_DIR="$DIR/plugins"
}

configure() {
  local ha="$1"
  eval "$("$ROOT/scripts/fetch_artifacts.sh" $([[ -n "$ha" ]] || echo jars))"   # FLINK_PULSAR_JARS (--ha: PULSAR_HOME)
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
  if [[ -n "$ha" ]]; then configure_ha; fi
}

# ZooKeeper's config, and the JobManagers' leader election, job store and checkpoint store in it; the
# job graphs and the checkpoints' metadata pointers in the storage folder
configure_ha() {
  free_port > "$DIR/zookeeper.port"
  mkdir -p "$DIR/zookeeper" "$DIR/ha"
  cat > "$DIR/conf/zookeeper.conf" <<CONF
# written by scripts/cluster.sh: a single ZooKeeper server on loopback for the JobManagers' leader election
tickTime=2000
dataDir=$DIR/zookeeper
clientPort=$(cat "$DIR/zookeeper.port")
clientPortAddress=127.0.0.1
admin.enableServer=false
autopurge.purgeInterval=1
CONF
  cat >> "$DIR/conf/config.yaml" <<YAML
# high availability: a standby JobManager takes over the jobs of a lost leader from their latest checkpoints
high-availability.type: zookeeper
high-availability.zookeeper.quorum: 127.0.0.1:$(cat "$DIR/zookeeper.port")
high-availability.zookeeper.path.root: /flink
high-availability.cluster-id: /timeline
high-availability.storageDir: file://$DIR/ha
# a leader killed without a word loses its leadership when its ZooKeeper session expires (default 60 s)
high-availability.zookeeper.client.session-timeout: 10000
YAML
  echo "$PULSAR_HOME" > "$DIR/pulsar.home"
}

zookeeper_ok() {
  "$PYTHON" - "$(cat "$DIR/zookeeper.port")" <<'PY' 2>/dev/null
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as zk:
    zk.sendall(b"ruok")
    sys.exit(zk.recv(4) != b"imok")
PY
}

start_zookeeper() {
  mkdir -p "$DIR/log/zookeeper"
  PULSAR_ZK_CONF="$DIR/conf/zookeeper.conf" PULSAR_LOG_DIR="$DIR/log/zookeeper" PULSAR_MEM="-Xms64m -Xmx256m" \
    PULSAR_GC_LOG=" " setsid bash -c 'echo $$ > "$0"; exec "$@"' "$DIR/zookeeper.pid" \
      "$(cat "$DIR/pulsar.home")/bin/pulsar" zookeeper > "$DIR/log/zookeeper/out" 2>&1 < /dev/null &
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until zookeeper_ok; do
    if (( $(date +%s) > deadline )) || ! { sleep 0.5; alive "$DIR/zookeeper.pid"; }; then
      log "ZooKeeper did not start; see $DIR/log/zookeeper"; exit 1
    fi
  done
}

# run one Flink process in the foreground of its own session; its pid, log and scrape port in $DIR
launch() {
  local name="$1" script="$2" port; shift 2; port="$(free_port)"
  echo "$port" > "$DIR/$name.prometheus"
  mkdir -p "$DIR/log/$name"
  FLINK_LOG_DIR="$DIR/log/$name" FLINK_PID_DIR="$DIR/log/$name" \
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$DIR/$name.pid" \
      "$FLINK_HOME/bin/$script" start-foreground -D "metrics.reporter.prom.port=$port" "$@" \
      > "$DIR/log/$name/out" 2>&1 < /dev/null &
  for _ in $(seq 50); do [[ -s "$DIR/$name.pid" ]] && break; sleep 0.1; done
}

registered_taskmanagers() {
  curl -fsS -m 5 "$(rest_url)/taskmanagers" 2>/dev/null | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)["taskmanagers"]))' 2>/dev/null || echo 0
}

wait_for_taskmanagers() {
  local want="$1" deadline=$(( $(date +%s) + TIMEOUT ))
  until (( $(registered_taskmanagers) >= want )); do
    if ! any_jobmanager_alive; then log "the JobManager exited; see $DIR/log/jobmanager"; exit 1; fi
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

# the first JobManager takes the ports of conf/config.yaml; others (--ha) ports of their own
add_jobmanager() {
  flink_env
  if [[ ! -e "$DIR/jobmanager.pid" ]]; then
    cp "$DIR/rest.port" "$DIR/jobmanager.rest"
    launch jobmanager jobmanager.sh
    return
  fi
  [[ -f "$DIR/zookeeper.port" ]] || { log "one JobManager only without --ha"; exit 1; }
  local n=2; while [[ -e "$DIR/jobmanager-$n.pid" ]]; do n=$((n + 1)); done
  free_port > "$DIR/jobmanager-$n.rest"
  launch "jobmanager-$n" jobmanager.sh -D "rest.port=$(cat "$DIR/jobmanager-$n.rest")"
  log "jobmanager-$n: pid $(cat "$DIR/jobmanager-$n.pid"), REST http://127.0.0.1:$(cat "$DIR/jobmanager-$n.rest")"
}

start() {
  local taskmanagers=2 ha=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --taskmanagers) taskmanagers="${2:?--taskmanagers N}"; shift 2 ;;
      --ha) ha=1; shift ;;
      *) log "unknown option $1"; exit 2 ;;
    esac
  done
  if any_jobmanager_alive; then log "already running: $(rest_url)"; return 0; fi
  configure "$ha"
  local t0; t0=$(date +%s)
  if [[ -n "$ha" ]]; then start_zookeeper; fi
  add_jobmanager
  if [[ -n "$ha" ]]; then add_jobmanager; fi
  for _ in $(seq "$taskmanagers"); do add_taskmanager; done
  wait_for_taskmanagers "$taskmanagers"
  log "ready in $(( $(date +%s) - t0 ))s: $taskmanagers TaskManagers, web UI and REST $(rest_url), metrics http://127.0.0.1:$(cat "$DIR/jobmanager.prometheus")/ (JobManager)${ha:+, ZooKeeper 127.0.0.1:$(cat "$DIR/zookeeper.port")}"
  rest_url
}

# SIGTERM, then SIGKILL after 30 s, to the processes of the pid files given
stop_processes() {
  local pidfile
  for pidfile in "$@"; do
    [[ -f "$pidfile" ]] || continue
    if alive "$pidfile"; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  for pidfile in "$@"; do
    [[ -f "$pidfile" ]] || continue
    local pid; pid="$(cat "$pidfile")"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

stop() {
  stop_processes "$DIR"/*manager*.pid
  stop_processes "$DIR/zookeeper.pid"  # last: the JobManagers leave it as they stop
  rm -rf "$DIR"
  log "stopped"
}

status() {
  any_jobmanager_alive || { echo "stopped"; exit 3; }
  local pidfile name role
  for name in $(jobmanagers); do
    if ! alive "$DIR/$name.pid"; then role=dead; elif leads "$name"; then role=leader; else role=standby; fi
    echo "$name pid $(cat "$DIR/$name.pid") $role rest http://127.0.0.1:$(cat "$DIR/$name.rest") metrics http://127.0.0.1:$(cat "$DIR/$name.prometheus")/"
  done
  if [[ -f "$DIR/zookeeper.pid" ]]; then
    echo "zookeeper pid $(cat "$DIR/zookeeper.pid") $(alive "$DIR/zookeeper.pid" && echo 127.0.0.1:"$(cat "$DIR/zookeeper.port")" || echo dead)"
  fi
  echo "rest $(rest_url)"
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
  any_jobmanager_alive || { log "not running"; exit 1; }
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
  add-jobmanager) add_jobmanager ;;
  stop) stop ;;
  status) status ;;
  submit) shift; submit "$@" ;;
  flink) shift; flink_cli "$@" ;;
  *) echo "usage: $0 start [--taskmanagers N] [--ha] | add-taskmanager | add-jobmanager | status | submit [FLINK RUN OPTIONS] SPEC [JOB ARGS] | flink ARGS | stop" >&2; exit 2 ;;
esac
