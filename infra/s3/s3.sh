#!/usr/bin/env bash
# Start/stop a real S3-compatible server (MinIO, built from its Go module; no Docker) on loopback for tests.
# usage: infra/s3/s3.sh start|stop|status|env|build|reset|clean-go   (see infra/s3/README.md)
# env:   S3_PORT (19000), S3_DATA (/tmp/storyline-s3), STORYLINE_S3_HOME (~/.cache/storyline/s3),
#        S3_BUCKETS ("storyline-raw"), S3_START_TIMEOUT (60 s), S3_STOP_TIMEOUT (15 s), GO (go)
#
# MinIO is AGPL-3.0: it is only built from the Go module proxy into a cache directory and run as a separate
# process that tests talk to over HTTP. Nothing of it is vendored into, or linked with, Storyline.
set -euo pipefail

# The module has no semver tags, so the proxy serves pseudo-versions: this one is the newest ('@latest')
# on the day it was pinned, commit 7aac2a2c5b7c of 2026-02-12.
MINIO_VERSION="${STORYLINE_S3_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
MINIO_MODULE="github.com/minio/minio"

S3_PORT="${S3_PORT:-19000}"
S3_DATA="${S3_DATA:-/tmp/storyline-s3}"
S3_HOME="${STORYLINE_S3_HOME:-$HOME/.cache/storyline/s3}"
S3_BUCKETS="${S3_BUCKETS:-storyline-raw}"
S3_START_TIMEOUT="${S3_START_TIMEOUT:-60}"
S3_STOP_TIMEOUT="${S3_STOP_TIMEOUT:-15}"
GO="${GO:-go}"

ACCESS_KEY="storyline"
SECRET_KEY="storyline-secret"
REGION="us-east-1"
ENDPOINT="http://127.0.0.1:${S3_PORT}"

BIN="$S3_HOME/minio-$MINIO_VERSION/minio"
DRIVE="$S3_DATA/drive"      # the directory MinIO serves (single-drive mode); buckets are created over S3
PID_FILE="$S3_DATA/minio.pid"
LOG_FILE="$S3_DATA/minio.log"

log() { echo "s3.sh: $*" >&2; }

# --- build -----------------------------------------------------------------------------------------------
build() {
  [ -x "$BIN" ] && return 0
  command -v "$GO" >/dev/null || { log "'$GO' not found: MinIO is built from source and needs Go >= 1.24"; exit 1; }
  mkdir -p "$S3_HOME"
  # One build at a time, even when several test runs start at once.
  exec 9>"$S3_HOME/.build.lock"
  flock 9
  if [ ! -x "$BIN" ]; then
    local gohome="$S3_HOME/go" out="$S3_HOME/minio-$MINIO_VERSION" started=$SECONDS
    log "building $MINIO_MODULE@$MINIO_VERSION (first run only: ~2 GB of modules and build cache, a few minutes)..."
    rm -rf "$out.tmp"
    # Modules and the Go build cache stay in $S3_HOME/go, so a rebuild (e.g. another pinned version) is
    # faster; 'infra/s3/s3.sh clean-go' drops them (about 2 GB) and keeps only the binary.
    if ! GOPATH="$gohome" GOMODCACHE="$gohome/pkg/mod" GOCACHE="$gohome/cache" GOBIN="$out.tmp" \
        GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0 \
        "$GO" install -ldflags "-s -w" "$MINIO_MODULE@$MINIO_VERSION" >"$S3_HOME/build.log" 2>&1; then
      tail -n 30 "$S3_HOME/build.log" >&2
      log "build failed; full log in $S3_HOME/build.log"
      exit 1
    fi
    rm -rf "$out" && mv "$out.tmp" "$out"
    log "built $BIN in $((SECONDS - started)) s"
  fi
  exec 9>&-
}

clean_go() {
  local gohome="$S3_HOME/go"
  [ -d "$gohome" ] || return 0
  GOPATH="$gohome" GOMODCACHE="$gohome/pkg/mod" GOCACHE="$gohome/cache" "$GO" clean -cache -modcache || true
  rm -rf "$gohome"
}

# --- process helpers -------------------------------------------------------------------------------------
running_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must still be our MinIO serving our drive.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- " server " || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- " $DRIVE " || return 1
  echo "$pid"
}

port_answers() { curl -fsS -o /dev/null --max-time 2 "$ENDPOINT/minio/health/live" 2>/dev/null; }

s3curl() {  # SigV4-signed request with curl (>= 7.75); prints the HTTP status code
  curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" "$@"
}

ensure_buckets() {
  local b code
  for b in $S3_BUCKETS; do
    code="$(s3curl -I "$ENDPOINT/$b")" || code=000
    [ "$code" = 200 ] && continue
    code="$(s3curl -X PUT "$ENDPOINT/$b")" || code=000
    case "$code" in
      200|409) ;;   # 409: BucketAlreadyOwnedByYou (a concurrent start)
      *) log "creating bucket '$b' failed: HTTP $code"; return 1 ;;
    esac
  done
}

# --- commands --------------------------------------------------------------------------------------------
lock_data() {  # serialise start/stop of one S3_DATA (fd 8 is closed for MinIO itself)
  mkdir -p "$S3_DATA"
  exec 8>"$S3_DATA/.lock"
  flock 8
}

start() {
  local pid
  lock_data
  if pid="$(running_pid)"; then
    ensure_buckets
    print_env
    return 0
  fi
  if port_answers || (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null; then
    log "port $S3_PORT is already in use by another process (not the MinIO of $S3_DATA); set S3_PORT"
    exit 1
  fi
  build
  mkdir -p "$DRIVE"
  : >"$LOG_FILE"
  # Own session (setsid) so that the caller's Ctrl-C or exit does not take it down; the console is off,
  # so the only listener is the S3 API on loopback.
  env MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" \
      MINIO_SITE_REGION="$REGION" MINIO_BROWSER=off MINIO_UPDATE=off \
    setsid "$BIN" server --quiet --address "127.0.0.1:$S3_PORT" "$DRIVE" \
      >>"$LOG_FILE" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + S3_START_TIMEOUT))
  until port_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG_FILE" >&2
      log "MinIO exited during start-up; log: $LOG_FILE"
      rm -f "$PID_FILE"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$LOG_FILE" >&2
      log "MinIO did not answer on $ENDPOINT within ${S3_START_TIMEOUT}s; stopping it"
      stop
      exit 1
    fi
    sleep 0.2
  done
  # The health endpoint can answer a moment before the object layer is ready: retry the bucket step.
  until ensure_buckets 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then ensure_buckets; exit 1; fi
    sleep 0.5
  done
  print_env
}

stop() {
  local pid
  [ -d "$S3_DATA" ] || return 0
  lock_data
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local ticks=$((S3_STOP_TIMEOUT * 5))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$((ticks--))" -le 0 ]; then
      log "MinIO (pid $pid) ignored SIGTERM for ${S3_STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_answers; then echo "running pid $pid endpoint $ENDPOINT"; return 0; fi
    echo "starting pid $pid endpoint $ENDPOINT (not answering yet)"; return 3
  fi
  echo "stopped"
  return 3
}

print_env() {
  echo "STORYLINE_S3_ENDPOINT=$ENDPOINT"
  echo "STORYLINE_S3_ACCESS_KEY=$ACCESS_KEY"
  echo "STORYLINE_S3_SECRET_KEY=$SECRET_KEY"
  echo "STORYLINE_S3_REGION=$REGION"
  echo "STORYLINE_S3_BUCKET=${S3_BUCKETS%% *}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  build) build && echo "$BIN" ;;
  reset) stop; rm -rf "$S3_DATA" ;;
  clean-go) clean_go ;;
  *) echo "usage: $0 start|stop|status|env|build|reset|clean-go" >&2; exit 2 ;;
esac
