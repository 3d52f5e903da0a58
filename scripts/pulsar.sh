#!/usr/bin/env bash
# Local Apache Pulsar standalone broker for development and tests.
#   scripts/pulsar.sh start|stop|status|restart
#   scripts/pulsar.sh stop --keep-data   (an outage: the next start is the same broker again, its data, ports,
#                                          token and certificates, whatever the environment says; restart = both)
# Env: PULSAR_PORT (6650), PULSAR_HTTP_PORT (8080), PULSAR_START_TIMEOUT (seconds, 180),
#      PULSAR_MEM (JVM memory flags), TIMELINE_CACHE,
#      PULSAR_TOKEN_FILE (start with token authentication on; a superuser token is written to this file),
#      PULSAR_TLS_DIR (serve TLS too, on PULSAR_TLS_PORT (6651) and PULSAR_HTTPS_PORT (8443), with a throwaway
#      CA and a broker certificate for 127.0.0.1 and localhost made in this folder: clients trust its ca.pem).
# Broker binds 127.0.0.1, transactions on, functions worker and stream storage off.
# (Pulsar 4 standalone puts its embedded bookie on a random free port of its own.)
# Data lives in a mktemp -d folder that `stop` removes; pid/log are in $CACHE/run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TIMELINE_CACHE:-$HOME/.cache/timeline-flink}"
PULSAR_PORT="${PULSAR_PORT:-6650}"
TIMEOUT="${PULSAR_START_TIMEOUT:-180}"
RUN="$CACHE/run/pulsar-$PULSAR_PORT"
# the broker on PULSAR_PORT keeps the HTTP port it was started with (status, restart)
PULSAR_HTTP_PORT="${PULSAR_HTTP_PORT:-$(cat "$RUN/http.port" 2>/dev/null || echo 8080)}"
PIDFILE="$RUN/pulsar.pid"
LOG="$RUN/pulsar.log"
TOKEN_FILE="${PULSAR_TOKEN_FILE:-}"
TLS_DIR="${PULSAR_TLS_DIR:-}"
PULSAR_TLS_PORT="${PULSAR_TLS_PORT:-6651}"
PULSAR_HTTPS_PORT="${PULSAR_HTTPS_PORT:-8443}"
AUTH_HEADER="$RUN/auth-header"   # with token authentication: the admin API's header (read by curl, not on its command line)

log() { echo "pulsar.sh: $*" >&2; }
running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# ready = broker health check passes AND standalone has created the public/default namespace
healthy() {
  local auth=(); [[ -f "$AUTH_HEADER" ]] && auth=(-H "@$AUTH_HEADER")
  [[ "$(curl -fsS -m 5 "${auth[@]}" "http://127.0.0.1:$PULSAR_HTTP_PORT/admin/v2/brokers/health" 2>/dev/null)" == "ok" ]] &&
    curl -fsS -m 5 "${auth[@]}" "http://127.0.0.1:$PULSAR_HTTP_PORT/admin/v2/namespaces/public" 2>/dev/null |
      grep -q '"public/default"'
}

# token authentication: a secret key in the data folder, a superuser token in $TOKEN_FILE for clients and the broker
token_auth() {
  local conf="$1" data="$2" key="$2/secret.key"
  "$PULSAR_HOME/bin/pulsar" tokens create-secret-key --output "$key" >/dev/null
  ( umask 077 && "$PULSAR_HOME/bin/pulsar" tokens create --secret-key "file://$key" --subject superuser > "$TOKEN_FILE" )
  ( umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "$TOKEN_FILE")" > "$AUTH_HEADER" )
  set_conf "$conf" authenticationEnabled true
  set_conf "$conf" authenticationProviders org.apache.pulsar.broker.authentication.AuthenticationProviderToken
  set_conf "$conf" tokenSecretKey "file://$key"
  set_conf "$conf" superUserRoles superuser
  set_conf "$conf" brokerClientAuthenticationPlugin org.apache.pulsar.client.impl.auth.AuthenticationToken
  set_conf "$conf" brokerClientAuthenticationParameters "file://$TOKEN_FILE"
}

# TLS beside the plain ports: a CA of its own (valid 2 days) signs the broker's certificate (SAN 127.0.0.1, localhost)
tls() {
  local conf="$1" dir="$TLS_DIR"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=timeline-flink local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key.pem" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/broker.key.pem" -out "$dir/broker.csr" 2>/dev/null
  openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key.pem" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
    -out "$dir/broker.cert.pem" 2>/dev/null
  set_conf "$conf" brokerServicePortTls "$PULSAR_TLS_PORT"
  set_conf "$conf" webServicePortTls "$PULSAR_HTTPS_PORT"
  set_conf "$conf" tlsCertificateFilePath "$dir/broker.cert.pem"
  set_conf "$conf" tlsKeyFilePath "$dir/broker.key.pem"
  set_conf "$conf" tlsTrustCertsFilePath "$dir/ca.pem"
}

# set KEY=VALUE in a properties file (replace or append)
set_conf() {
  if grep -q "^$2=" "$1"; then sed -i "s|^$2=.*|$2=$3|" "$1"; else echo "$2=$3" >> "$1"; fi
}

# a new broker's configuration, in its data folder
configure() {
  local conf="$1" data="$2"
  cp "$PULSAR_HOME/conf/standalone.conf" "$conf"
  echo >> "$conf"   # the shipped file ends without a newline: settings appended after it start a line of their own
  set_conf "$conf" bindAddress 127.0.0.1
  set_conf "$conf" advertisedAddress 127.0.0.1
  set_conf "$conf" brokerServicePort "$PULSAR_PORT"
  set_conf "$conf" webServicePort "$PULSAR_HTTP_PORT"
  set_conf "$conf" transactionCoordinatorEnabled true   # PulsarSink EXACTLY_ONCE needs transactions
  set_conf "$conf" systemTopicEnabled true
  set_conf "$conf" topicLevelPoliciesEnabled true
  # keep a topic that has data but no subscription yet (the default deletes it after 60 s): events are
  # often published before the job that reads them starts
  set_conf "$conf" brokerDeleteInactiveTopicsEnabled false
  # and keep what was read (the data folder goes at stop): without retention a restart drops the ledgers
  # of a topic that no subscription holds, e.g. an output topic read by readers
  set_conf "$conf" defaultRetentionTimeInMinutes -1
  set_conf "$conf" defaultRetentionSizeInMB -1
  rm -f "$AUTH_HEADER"
  if [[ -n "$TOKEN_FILE" ]]; then token_auth "$conf" "$data"; fi
  if [[ -n "$TLS_DIR" ]]; then tls "$conf"; fi
}

start() {
  if running; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  local kept=""
  # after `stop --keep-data` the same broker starts again: its data, configuration, token and certificates
  if [[ -f "$RUN/kept" ]]; then kept=1; PULSAR_HTTP_PORT="$(cat "$RUN/http.port")"; source "$RUN/tls.ports"; fi
  local ports=("$PULSAR_PORT" "$PULSAR_HTTP_PORT"); [[ -n "$TLS_DIR" ]] && ports+=("$PULSAR_TLS_PORT" "$PULSAR_HTTPS_PORT")
  for p in "${ports[@]}"; do
    if port_busy "$p"; then
      log "port $p on 127.0.0.1 is already in use; free it or set PULSAR_PORT / PULSAR_HTTP_PORT (PULSAR_TLS_PORT / PULSAR_HTTPS_PORT)"
      exit 1
    fi
  done
  eval "$("$ROOT/scripts/fetch_artifacts.sh")"   # sets PULSAR_HOME (downloads on first use)

  mkdir -p "$RUN"
  local data
  if [[ -n "$kept" ]]; then data="$(cat "$RUN/datadir")"; rm -f "$RUN/kept"
  else
    data="$(mktemp -d "${TMPDIR:-/tmp}/pulsar-data.XXXXXX")"
    echo "$data" > "$RUN/datadir"
    echo "$PULSAR_HTTP_PORT" > "$RUN/http.port"
    printf 'TLS_DIR=%q PULSAR_TLS_PORT=%q PULSAR_HTTPS_PORT=%q\n' "$TLS_DIR" "$PULSAR_TLS_PORT" "$PULSAR_HTTPS_PORT" \
      > "$RUN/tls.ports"
    configure "$data/standalone.conf" "$data"
  fi
  local conf="$data/standalone.conf"

  local t0; t0=$(date +%s%N)
  log "starting Pulsar $(basename "$PULSAR_HOME") on 127.0.0.1:$PULSAR_PORT (http $PULSAR_HTTP_PORT), data $data"
  [[ -n "$TLS_DIR" ]] && log "and TLS on 127.0.0.1:$PULSAR_TLS_PORT (https $PULSAR_HTTPS_PORT), trusting $TLS_DIR/ca.pem"
  ( cd "$data" && PULSAR_STANDALONE_CONF="$conf" PULSAR_LOG_DIR="$RUN" \
      PULSAR_MEM="${PULSAR_MEM:--Xms256m -Xmx1g -XX:MaxDirectMemorySize=1g}" \
      setsid bash -c 'echo $$ > "$0"; exec "$1"/bin/pulsar standalone -nfw -nss \
          --metadata-dir "$2/metadata" --bookkeeper-dir "$2/bookkeeper"' \
        "$PIDFILE" "$PULSAR_HOME" "$data" > "$LOG" 2>&1 < /dev/null & )

  local deadline=$(( $(date +%s) + TIMEOUT ))
  until healthy; do
    sleep 1
    if ! running && [[ -f "$PIDFILE" ]]; then log "broker exited during start-up; see $LOG"; tail -20 "$LOG" >&2; cleanup; exit 1; fi
    if (( $(date +%s) > deadline )); then log "not ready after ${TIMEOUT}s; see $LOG"; stop; exit 1; fi
  done
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  log "ready in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s (pid $(cat "$PIDFILE"), log $LOG)"
  echo "pulsar://127.0.0.1:$PULSAR_PORT"
}

cleanup() {
  [[ -f "$RUN/datadir" ]] && rm -rf "$(cat "$RUN/datadir")"
  rm -f "$RUN/datadir" "$RUN/http.port" "$RUN/tls.ports" "$RUN/kept" "$PIDFILE" "$AUTH_HEADER"
}

stop_broker() {
  if running; then
    local pid; pid="$(cat "$PIDFILE")"
    log "stopping pid $pid"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "still alive after 30s, killing"; kill -9 "$pid" 2>/dev/null || true; fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  else
    log "not running"
  fi
}

stop() {
  stop_broker
  if [[ "${1:-}" == --keep-data && -f "$RUN/datadir" ]]; then
    touch "$RUN/kept"; rm -f "$PIDFILE"
  else
    cleanup
  fi
}

status() {
  if running && healthy; then echo "running (pid $(cat "$PIDFILE")) pulsar://127.0.0.1:$PULSAR_PORT http://127.0.0.1:$PULSAR_HTTP_PORT"
  elif running; then echo "starting or unhealthy (pid $(cat "$PIDFILE"))"; exit 1
  else echo "stopped"; exit 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  restart) stop --keep-data && start ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac
