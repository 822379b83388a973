#!/usr/bin/env bash
# Run a command with Kafka and PostgreSQL up: start what is not running, stop only that after.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
cd "$ROOT"
started=()

stop_started() {
  for service in "${started[@]}"; do deploy/local/"$service".sh stop; done
}
trap stop_started EXIT

if [[ -z "${DATABASE_URL:-}" ]] && ! deploy/local/postgres.sh status >/dev/null 2>&1; then
  deploy/local/postgres.sh start || exit 1
  started+=(postgres)
fi
if ! deploy/local/kafka.sh status >/dev/null 2>&1; then
  deploy/local/kafka.sh start || exit 1
  started+=(kafka)
fi
"$PY" -m services.ops wait-postgres || exit 1
"$PY" -m services.ops migrate || exit 1
"$PY" -m services.ops create-topics || exit 1
"$@"
