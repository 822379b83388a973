#!/usr/bin/env bash
# A project-local PostgreSQL cluster (own data folder, own port) for local runs and tests.
# With DATABASE_URL set, the project uses that server instead and this script only checks it.
# Usage: deploy/local/postgres.sh start|stop|status
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { echo "[postgres] $*"; }

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true
}

ensure_installed() {
  [[ -n "$(pg_bin)" ]] && return 0
  say "PostgreSQL server is not installed; installing Debian's postgresql"
  if [[ "$(id -u)" != 0 ]]; then say "need root to apt-get install postgresql"; exit 1; fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # Debian also starts its own cluster on 5432; ours runs beside it and needs nothing of it.
}

if [[ -z "${DATABASE_URL:-}" && "${1:-}" == start ]]; then ensure_installed; fi
CACHE="${LEADFUNNEL_CACHE_DIR:-$ROOT/.cache}/postgres"
# As root the server runs as the postgres user, who may not be able to reach a checkout under a
# private folder: then the cluster lives under postgres's home, one per checkout.
if [[ "$(id -u)" == 0 ]] && id postgres >/dev/null 2>&1 \
    && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
  CACHE="/var/lib/postgresql/leadfunnel-$(echo "$ROOT" | cksum | cut -d' ' -f1)"
fi
DATA="$CACHE/data"
RUN="$CACHE/run"
LOG="$CACHE/postgres.log"
PORT="${PGPORT_LOCAL:-55432}"
DB_USER=leadfunnel
DB_NAME=leadfunnel
DB_PASSWORD=leadfunnel

# The server refuses to run as root: as root, run it as the postgres system user.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

external() { [[ -n "${DATABASE_URL:-}" ]]; }

start() {
  if external; then say "using DATABASE_URL; not starting a local cluster"; return 0; fi
  local bin; bin="$(pg_bin)"
  mkdir -p "$CACHE" "$RUN"
  if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$CACHE"; chmod o+x "$(dirname "$CACHE")" 2>/dev/null || true; fi
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    say "creating cluster in $DATA"
    local pwfile="$CACHE/.pw"
    echo "$DB_PASSWORD" > "$pwfile"
    [[ "$(id -u)" == 0 ]] && chown postgres "$pwfile"
    as_owner "$bin/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "already running on 127.0.0.1:$PORT"
  else
    if (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      say "port $PORT is taken by another process; stop it or set PGPORT_LOCAL"; exit 1
    fi
    say "starting on 127.0.0.1:$PORT (log: $LOG)"
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
  fi
  if ! as_owner "$bin/psql" -h "$RUN" -p "$PORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
    as_owner "$bin/createdb" -h "$RUN" -p "$PORT" -U "$DB_USER" "$DB_NAME"
    say "created database $DB_NAME"
  fi
}

stop() {
  if external || [[ ! -f "$DATA/PG_VERSION" ]]; then say "no local cluster"; return 0; fi
  local bin; bin="$(pg_bin)"
  if as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "stopping"
    as_owner "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  else
    say "not running"
  fi
}

status() {
  if external; then say "external server (DATABASE_URL)"; return 0; fi
  local bin; bin="$(pg_bin)"
  if [[ -f "$DATA/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "running on 127.0.0.1:$PORT"
  else
    say "stopped"; return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$DATA"; say "data removed" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
