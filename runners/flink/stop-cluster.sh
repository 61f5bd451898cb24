#!/usr/bin/env bash
# Stops the cluster started by runners/flink/start-cluster.sh: kills the TaskManager and the
# JobManager by their pid files (TERM, then KILL after 15 s). Idempotent: nothing running is fine.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stop_one() { # name pidfile
  local name="$1" file="$2" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    echo "[flink/stop] stopping $name (pid $pid)" >&2
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "[flink/stop] $name did not exit; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}
stop_one TaskManager "$TM_PID"
stop_one JobManager "$JM_PID"
