#!/usr/bin/env bash
# Starts S3Proxy, a real S3 API server, on 127.0.0.1 for tslake's S3 lake (tests and local runs).
# Why: no Docker here, and S3Proxy cannot share Beam's classpath (its Jackson clashes with Beam's
# Jackson 2.15), so it runs in its own JVM from the jars that runners/s3/pom.xml resolves.
# What: resolves org.gaul:s3proxy and its dependencies into $TSLAKE_S3_DIR/lib (once; offline
# first, then from the Maven repository), writes $TSLAKE_S3_DIR/s3proxy.conf (filesystem
# backend under $TSLAKE_S3_DIR/data, AWS v2/v4 signatures with the given access/secret key),
# starts `java org.gaul.s3proxy.Main` in the background (pid in $TSLAKE_S3_DIR/s3proxy.pid, log
# in $TSLAKE_S3_DIR/s3proxy.log) and waits until the port answers. Idempotent: if the pid file
# names a live process it does nothing. Buckets are created by the client (tests use the AWS SDK).
# Env: TSLAKE_S3_PORT (9000), TSLAKE_S3_DIR (target/s3proxy), TSLAKE_S3_ACCESS_KEY (tslake),
# TSLAKE_S3_SECRET_KEY (tslake-secret), TSLAKE_S3_WAIT_SECONDS (60), JAVA (java).
# Prints the endpoint (http://127.0.0.1:<port>) on stdout as its last line. Stop: runners/s3/stop.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${TSLAKE_S3_PORT:-9000}"
DIR="${TSLAKE_S3_DIR:-$ROOT/target/s3proxy}"
ACCESS_KEY="${TSLAKE_S3_ACCESS_KEY:-tslake}"
SECRET_KEY="${TSLAKE_S3_SECRET_KEY:-tslake-secret}"
WAIT_SECONDS="${TSLAKE_S3_WAIT_SECONDS:-60}"
JAVA="${JAVA:-java}"
LIB="${TSLAKE_S3_LIB:-$ROOT/target/s3proxy-lib}"

log() { echo "[s3/start] $*" >&2; }
die() { echo "[s3/start] ERROR: $*" >&2; exit 1; }

mkdir -p "$DIR/data"
DIR="$(cd "$DIR" && pwd)"
PIDFILE="$DIR/s3proxy.pid"
ENDPOINT="http://127.0.0.1:${PORT}"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "already running (pid $(cat "$PIDFILE"))"
  echo "$ENDPOINT"
  exit 0
fi
port_open "$PORT" && die "port $PORT is already in use by another process (set TSLAKE_S3_PORT)"

# 1. Resolve S3Proxy and its dependencies once (a marker file says the copy completed).
if [ ! -f "$LIB/.complete" ]; then
  log "resolving org.gaul:s3proxy into $LIB"
  rm -rf "$LIB"
  mkdir -p "$LIB"
  args=(-q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime
        "-DoutputDirectory=$LIB")
  mvn -o "${args[@]}" >&2 2>&1 || mvn "${args[@]}" >&2 \
    || die "cannot resolve org.gaul:s3proxy (see runners/s3/pom.xml)"
  compgen -G "$LIB/s3proxy-*.jar" >/dev/null || die "no s3proxy jar in $LIB after resolution"
  touch "$LIB/.complete"
fi

# 2. Configuration: path-style only (no virtual hosts), filesystem backend.
cat > "$DIR/s3proxy.conf" <<CONF
s3proxy.endpoint=${ENDPOINT}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${ACCESS_KEY}
s3proxy.credential=${SECRET_KEY}
jclouds.provider=filesystem
jclouds.identity=${ACCESS_KEY}
jclouds.credential=${SECRET_KEY}
jclouds.filesystem.basedir=${DIR}/data
CONF
chmod 600 "$DIR/s3proxy.conf"

# 3. Start in the background, in its own session so it outlives this script.
log "starting S3Proxy on $ENDPOINT (data in $DIR/data, log $DIR/s3proxy.log)"
setsid "$JAVA" -Xmx512m -cp "$LIB/*" org.gaul.s3proxy.Main --properties "$DIR/s3proxy.conf" \
  > "$DIR/s3proxy.log" 2>&1 < /dev/null &
echo $! > "$PIDFILE"

# 4. Wait until the port answers (or the process dies).
for _ in $(seq 1 $((WAIT_SECONDS * 5))); do
  if port_open "$PORT"; then
    log "ready (pid $(cat "$PIDFILE"))"
    echo "$ENDPOINT"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    tail -n 30 "$DIR/s3proxy.log" >&2 || true
    rm -f "$PIDFILE"
    die "S3Proxy exited during startup (log above, $DIR/s3proxy.log)"
  fi
  sleep 0.2
done
tail -n 30 "$DIR/s3proxy.log" >&2 || true
die "S3Proxy did not answer on port $PORT within ${WAIT_SECONDS}s"
