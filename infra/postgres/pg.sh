#!/usr/bin/env bash
# Start/stop a throwaway PostgreSQL on loopback for tests and local runs (Debian's packages; no Docker).
# usage: infra/postgres/pg.sh start|stop|url     env: PG_PORT (54329), PG_DIR (/tmp/storyline-pg)
set -euo pipefail
PG_PORT="${PG_PORT:-54329}"
PG_DIR="${PG_DIR:-/tmp/storyline-pg}"
URL="postgresql+psycopg://storyline:storyline@127.0.0.1:${PG_PORT}/storyline"

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  return 1
}

ensure_installed() {
  if ! find_bin >/dev/null; then
    echo "installing PostgreSQL from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
  fi
}

# PostgreSQL refuses to run as root: run its commands as the 'postgres' user the package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_installed
  local bin; bin="$(find_bin)"
  if [ "$(id -u)" = 0 ]; then mkdir -p "$PG_DIR" && chown postgres "$PG_DIR"; else mkdir -p "$PG_DIR"; fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off" start >/dev/null
  fi
  local psql="$bin/psql -h 127.0.0.1 -p $PG_PORT -U postgres -v ON_ERROR_STOP=1 -qtA"
  if [ "$($psql -c "select 1 from pg_roles where rolname='storyline'")" != 1 ]; then
    $psql -c "create role storyline login password 'storyline' createdb"
  fi
  # The warehouse owner administers the read API's role (storyline db grant-reader), as an admin would.
  $psql -c "alter role storyline createrole"
  if [ "$($psql -c "select 1 from pg_database where datname='storyline'")" != 1 ]; then
    $psql -c "create database storyline owner storyline"
  fi
  echo "$URL"
}

stop() {
  local bin; bin="$(find_bin)" || exit 0
  [ -f "$PG_DIR/data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
