#!/usr/bin/env bash
# `make run`: Kafka, PostgreSQL and every service under honcho; Ctrl-C stops them all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
cd "$ROOT"
started_at=$(date +%s)

cleanup() {
  trap - EXIT INT TERM
  echo; echo "[run] stopping everything"
  deploy/local/down.sh
}
trap cleanup EXIT INT TERM

deploy/local/up.sh
mkdir -p .cache
# Services run with the venv's python by absolute path so `make down` can find leftovers.
export PYTHON="$PY"
# The development credentials below are allowed only with this flag (services/settings.py):
# ingest and query refuse to start on them otherwise.
export LEADFUNNEL_DEV_MODE="${LEADFUNNEL_DEV_MODE:-1}"
"$ROOT/.venv/bin/honcho" -f deploy/local/Procfile -d "$ROOT" start &
echo $! > .cache/run.pid
"$PY" -m services.ops wait-services --timeout 60 --since "$started_at" || true
# Where to look, and (unless LEADFUNNEL_DEMO=0) the demo data set fed through the public APIs
# in the background, then a new live lead every few seconds for an hour (docs: demo/cli.py).
"$PY" -m services.dashboard || true
if [[ "${LEADFUNNEL_DEMO:-1}" != "0" ]]; then
  echo "[run] feeding the demo data set (LEADFUNNEL_DEMO=0 make run to skip; make demo to re-post)"
  "$PY" -m demo --live 3600 &
fi
wait "$(cat .cache/run.pid)"
