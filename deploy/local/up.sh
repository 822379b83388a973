#!/usr/bin/env bash
# Start Kafka and PostgreSQL (idempotent), then create topics and apply migrations.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="$ROOT/.venv/bin/python"
cd "$ROOT"
if [[ -z "${DATABASE_URL:-}" ]]; then deploy/local/postgres.sh start; fi
deploy/local/kafka.sh start
"$PY" -m services.ops wait-postgres
"$PY" -m services.ops migrate
"$PY" -m services.ops create-topics
