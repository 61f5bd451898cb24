#!/usr/bin/env bash
# Starts the local PostgreSQL server that tslake's warehouse sink and its integration tests use.
# Why: CI (and dev machines) have no Docker, so we run the Debian-packaged PostgreSQL directly.
# What: installs the `postgresql` package if missing, creates cluster <ver>/main if missing,
# makes it listen on 127.0.0.1:${TSLAKE_PG_PORT:-5432} with password (scram-sha-256) auth over TCP,
# starts it, waits for pg_isready, and creates role tslake/tslake (LOGIN CREATEDB) plus databases
# tslake and tslake_test owned by it. Idempotent: safe to run any number of times. Needs root.
# Env: TSLAKE_PG_PORT (5432), TSLAKE_PG_WAIT_SECONDS (60), TSLAKE_PG_VERSION (newest installed),
# TSLAKE_PG_CLUSTER (main). Prints the JDBC URL of database tslake on stdout as its last line.
set -euo pipefail

PORT="${TSLAKE_PG_PORT:-5432}"
CLUSTER="${TSLAKE_PG_CLUSTER:-main}"
WAIT_SECONDS="${TSLAKE_PG_WAIT_SECONDS:-60}"
HBA_MARKER="# tslake: password auth over TCP from 127.0.0.1 (runners/postgres/start.sh)"

log() { echo "[postgres/start] $*" >&2; }
die() { echo "[postgres/start] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and manages the cluster as user postgres)"

server_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 \
    && command -v pg_createcluster >/dev/null 2>&1 \
    && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# 1. Install the Debian package if the server is missing.
if ! server_installed; then
  log "PostgreSQL server not installed; installing Debian package 'postgresql'"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql
  server_installed || die "installed 'postgresql' but pg_ctlcluster / server binaries are still missing"
fi

# Newest installed major version (15 on Debian 12) unless TSLAKE_PG_VERSION says otherwise.
VERSION="${TSLAKE_PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -n 1)}"
[ -x "/usr/lib/postgresql/${VERSION}/bin/postgres" ] || die "no server binaries for PostgreSQL ${VERSION}"

# 2. Create the cluster if missing.
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster ${VERSION}/${CLUSTER} on port ${PORT}"
  pg_createcluster "$VERSION" "$CLUSTER" --port="$PORT"
fi

CONF_DIR="/etc/postgresql/${VERSION}/${CLUSTER}"
HBA="${CONF_DIR}/pg_hba.conf"
[ -f "$HBA" ] || die "missing ${HBA}"

is_running() { pg_ctlcluster "$VERSION" "$CLUSTER" status >/dev/null 2>&1; }

# 3. Port, listen address and authentication. Changing port/listen_addresses needs a restart,
#    pg_hba.conf only a reload.
needs_restart=false
needs_reload=false
CONF="${CONF_DIR}/postgresql.conf"
set_conf() { # name value -- written quoted ourselves: pg_conftool would leave 127.0.0.1 unquoted
  local current
  current="$(pg_conftool -s "$VERSION" "$CLUSTER" show "$1" 2>/dev/null || true)"
  if [ "$current" != "$2" ]; then
    log "setting $1 = '$2' (was '${current:-<default>}')"
    local line="$1 = '$2'	# set by tslake runners/postgres/start.sh"
    if grep -qE "^[[:space:]]*$1[[:space:]]*=" "$CONF"; then
      sed -i -E "s|^[[:space:]]*$1[[:space:]]*=.*|${line}|" "$CONF"
    elif grep -qE "^[[:space:]]*#[[:space:]]*$1[[:space:]]*=" "$CONF"; then
      sed -i -E "0,/^[[:space:]]*#[[:space:]]*$1[[:space:]]*=/s|^[[:space:]]*#[[:space:]]*$1[[:space:]]*=.*|${line}|" "$CONF"
    else
      echo "$line" >>"$CONF"
    fi
    needs_restart=true
  fi
}
set_conf port "$PORT"
set_conf listen_addresses "127.0.0.1"

# pg_hba.conf is first-match: put our rule before every other rule, once.
if ! grep -qF "$HBA_MARKER" "$HBA"; then
  log "adding password-auth rule for 127.0.0.1 to ${HBA}"
  tmp="$(mktemp)"
  awk -v marker="$HBA_MARKER" '
    !done && $0 !~ /^[[:space:]]*(#|$)/ {
      print marker
      print "host    all             all             127.0.0.1/32            scram-sha-256"
      print ""
      done = 1
    }
    { print }
    END {
      if (!done) {
        print marker
        print "host    all             all             127.0.0.1/32            scram-sha-256"
      }
    }' "$HBA" >"$tmp"
  cat "$tmp" >"$HBA"   # keep owner/permissions of the original file
  rm -f "$tmp"
  needs_reload=true
fi

# 4. Start (or restart / reload to pick up configuration changes).
if is_running; then
  if $needs_restart; then
    log "restarting cluster ${VERSION}/${CLUSTER} to apply configuration"
    pg_ctlcluster "$VERSION" "$CLUSTER" restart
  elif $needs_reload; then
    pg_ctlcluster "$VERSION" "$CLUSTER" reload
  fi
else
  log "starting cluster ${VERSION}/${CLUSTER}"
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi

# 5. Bounded wait until the server accepts TCP connections on 127.0.0.1.
deadline=$((SECONDS + WAIT_SECONDS))
until pg_isready -q -h 127.0.0.1 -p "$PORT"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "last lines of the server log:"
    tail -n 30 "/var/log/postgresql/postgresql-${VERSION}-${CLUSTER}.log" >&2 2>/dev/null || true
    die "PostgreSQL ${VERSION}/${CLUSTER} did not become ready on 127.0.0.1:${PORT} within ${WAIT_SECONDS}s"
  fi
  sleep 1
done

# 6. Role and databases (as the postgres superuser over the Unix socket, peer auth).
as_postgres_psql() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@")
}
as_postgres_psql <<'SQL'
SET password_encryption = 'scram-sha-256';
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tslake') THEN
    CREATE ROLE tslake LOGIN CREATEDB PASSWORD 'tslake';
  ELSE
    ALTER ROLE tslake LOGIN CREATEDB PASSWORD 'tslake';
  END IF;
END
$$;
SELECT format('CREATE DATABASE %I OWNER tslake', d)
  FROM unnest(ARRAY['tslake', 'tslake_test']) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d)
\gexec
ALTER DATABASE tslake OWNER TO tslake;
ALTER DATABASE tslake_test OWNER TO tslake;
-- runners/bench/compare.sh writes PostgreSQL's dirty buffers out before each contender's run
GRANT pg_checkpoint TO tslake;
SQL

log "PostgreSQL ${VERSION}/${CLUSTER} ready on 127.0.0.1:${PORT} (user tslake, password tslake; databases tslake, tslake_test)"
echo "jdbc:postgresql://127.0.0.1:${PORT}/tslake"
