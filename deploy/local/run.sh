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
"$ROOT/.venv/bin/honcho" -f deploy/local/Procfile -d "$ROOT" start &
echo $! > .cache/run.pid
"$PY" -m services.ops wait-services --timeout 60 --since "$started_at" || true
wait "$(cat .cache/run.pid)"
