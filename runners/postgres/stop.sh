#!/usr/bin/env bash
# Stops the local PostgreSQL cluster started by runners/postgres/start.sh (Debian cluster <ver>/main).
# Why: frees port 5432 / memory on dev machines and lets you check that PostgreSQL-backed tests
# fail under CI=true (and are skipped locally) when the server is down. Idempotent: does nothing
# if PostgreSQL is not installed, the cluster does not exist, or it is already stopped. Data is kept.
set -euo pipefail

CLUSTER="${TSLAKE_PG_CLUSTER:-main}"

log() { echo "[postgres/stop] $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  log "PostgreSQL is not installed; nothing to stop"
  exit 0
fi

VERSION="${TSLAKE_PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -n 1)}"

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "cluster ${VERSION}/${CLUSTER} does not exist; nothing to stop"
  exit 0
fi

if pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1; then
  log "stopping cluster ${VERSION}/${CLUSTER}"
  pg_ctlcluster "$VERSION" "$CLUSTER" stop
else
  log "cluster ${VERSION}/${CLUSTER} is already stopped"
fi
