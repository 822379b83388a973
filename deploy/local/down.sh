#!/usr/bin/env bash
# Stop everything `make run` / `make up` started: the services, Kafka and PostgreSQL.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PIDFILE=.cache/run.pid
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "[down] stopping services (honcho pid $(cat "$PIDFILE"))"
  kill -TERM "$(cat "$PIDFILE")" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.5; done
fi
rm -f "$PIDFILE"
# Anything a killed supervisor left behind: our service processes, by their command line.
pkill -TERM -f "$ROOT/.venv/bin/python -m (services|scoring|funnel|alerts)([. ]|$)" 2>/dev/null || true
deploy/local/kafka.sh stop
deploy/local/postgres.sh stop
