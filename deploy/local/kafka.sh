#!/usr/bin/env bash
# Fetch, format, start, stop and check a single-node Apache Kafka broker (KRaft) for local use.
# Jars come from Maven Central via deploy/kafka/pom.xml and are cached in .cache/kafka/libs.
# Usage: deploy/local/kafka.sh fetch|start|stop|status|wait
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${LEADFUNNEL_CACHE_DIR:-$ROOT/.cache}/kafka"
# Jars are shared by every broker of this checkout; data, pid and log follow LEADFUNNEL_CACHE_DIR
# so a test can run a second, private broker (other ports, other folder) beside the main one.
LIBS="$ROOT/.cache/kafka/libs"
DATA="$CACHE/data"
PIDFILE="$CACHE/kafka.pid"
LOG="$CACHE/kafka.log"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

say() { echo "[kafka] $*"; }

is_running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

fetch() {
  if [[ -f "$LIBS/.complete" ]]; then return 0; fi
  command -v java >/dev/null || { say "java is not installed: apt-get install -y openjdk-17-jre-headless"; exit 1; }
  command -v mvn >/dev/null || { say "mvn is not installed: apt-get install -y maven"; exit 1; }
  say "fetching Kafka jars from Maven Central into $LIBS (once; about 30 s)"
  rm -rf "$LIBS"
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$ROOT/.cache/m2" \
    -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime
  touch "$LIBS/.complete"
}

java_cmd() {
  # shellcheck disable=SC2086  # HEAP holds several flags
  echo java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$ROOT/deploy/kafka/log4j2.properties" -cp "$LIBS/*"
}

run_java() {
  local -a cmd; read -r -a cmd <<< "$(java_cmd)"
  "${cmd[@]}" "$@"
}

configure() {
  mkdir -p "$DATA"
  sed -e "s#@DATA_DIR@#$DATA#" -e "s#@PORT@#$PORT#" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#" \
    "$ROOT/deploy/kafka/server.properties.in" > "$CACHE/server.properties"
  if [[ ! -f "$DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(run_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    say "formatting storage (cluster $cluster_id)"
    run_java kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$CACHE/server.properties" --ignore-formatted >/dev/null
  fi
}

port_taken() {
  (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  if is_running; then say "already running (pid $(cat "$PIDFILE"))"; wait_ready; return 0; fi
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_taken "$p"; then
      say "port $p is taken by another process; stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"; exit 1
    fi
  done
  fetch
  configure
  say "starting broker on 127.0.0.1:$PORT (log: $LOG)"
  # setsid: the broker survives the shell that started it and is stopped only by `stop`.
  local -a cmd; read -r -a cmd <<< "$(java_cmd)"
  setsid "${cmd[@]}" kafka.Kafka "$CACHE/server.properties" >>"$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  wait_ready
}

wait_ready() {
  local timeout="${KAFKA_START_TIMEOUT:-60}"
  if ! "$PYTHON" -m services.ops wait-kafka --bootstrap "127.0.0.1:$PORT" --timeout "$timeout"; then
    say "broker did not answer within ${timeout}s; last log lines:"; tail -n 30 "$LOG" || true
    exit 1
  fi
}

stop() {
  if ! is_running; then say "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid="$(cat "$PIDFILE")"
  say "stopping (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then say "did not stop in 30 s; killing"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
}

status() {
  if is_running; then say "running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; else say "stopped"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready ;;
  # the scoring workers' RocksDB tables hold offsets of this broker's changelogs: they go too
  reset) stop; rm -rf "$DATA" "$ROOT/.cache/scoring-data"; say "data removed" ;;
  *) echo "usage: $0 fetch|start|stop|status|wait|reset" >&2; exit 2 ;;
esac
