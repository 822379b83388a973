#!/usr/bin/env bash
# Run a command with Kafka and PostgreSQL up: use what already answers (make up, another
# checkout, DATABASE_URL), start what does not, and stop only what this script started.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
cd "$ROOT"
started=()

stop_started() {
  for service in "${started[@]}"; do deploy/local/"$service".sh stop; done
}
trap stop_started EXIT

if ! "$PY" -m services.ops wait-postgres --timeout 2 >/dev/null 2>&1; then
  if [[ -n "${DATABASE_URL:-}" ]]; then echo "[infra] DATABASE_URL does not answer" >&2; exit 1; fi
  deploy/local/postgres.sh start || exit 1
  started+=(postgres)
fi
if ! "$PY" -m services.ops wait-kafka --timeout 2 >/dev/null 2>&1; then
  deploy/local/kafka.sh start || exit 1
  started+=(kafka)
fi
"$PY" -m services.ops wait-postgres || exit 1
"$PY" -m services.ops migrate || exit 1
"$PY" -m services.ops create-topics || exit 1
"$@"
