#!/usr/bin/env bash
# Stops the S3Proxy started by runners/s3/start.sh (the process named in its pid file).
# Env: TSLAKE_S3_DIR (target/s3proxy). Keeps the data directory; delete it to drop every bucket.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="${TSLAKE_S3_DIR:-$ROOT/target/s3proxy}"
PIDFILE="$DIR/s3proxy.pid"
log() { echo "[s3/stop] $*" >&2; }
if [ ! -f "$PIDFILE" ]; then
  log "not running (no $PIDFILE)"
  exit 0
fi
PID="$(cat "$PIDFILE")"
if kill -0 "$PID" 2>/dev/null; then
  kill "$PID"
  for _ in $(seq 1 50); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$PID" 2>/dev/null; then
    log "pid $PID did not stop after 10s; sending KILL"
    kill -9 "$PID" 2>/dev/null || true
  fi
  log "stopped (pid $PID)"
else
  log "pid $PID is not running"
fi
rm -f "$PIDFILE"
