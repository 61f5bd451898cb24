# Shared settings of the runners/flink scripts (sourced, not run).
# Env: FLINK_REST_PORT (8081), FLINK_RPC_PORT (6123), FLINK_CLUSTER_DIR (target/flink-cluster),
#      FLINK_START_WAIT_SECONDS (120), FLINK_SLOTS (2), MVN_FLAGS (-B -q; add -o to stay offline).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REST_PORT="${FLINK_REST_PORT:-8081}"
RPC_PORT="${FLINK_RPC_PORT:-6123}"
CLUSTER_DIR="${FLINK_CLUSTER_DIR:-$ROOT/target/flink-cluster}"
CONF_DIR="$CLUSTER_DIR/conf"
LOG_DIR="$CLUSTER_DIR/log"
JM_PID="$CLUSTER_DIR/jobmanager.pid"
TM_PID="$CLUSTER_DIR/taskmanager.pid"
MVN_FLAGS="${MVN_FLAGS:--B -q}"
REST_URL="http://127.0.0.1:${REST_PORT}"

bundled_jar() { # path of the shaded jar (built by `mvn package`, see runners/flink/build-jar.sh)
  local jar
  jar="$(ls "$ROOT"/target/tslake-*-bundled.jar 2>/dev/null | head -n 1 || true)"
  [ -n "$jar" ] || { echo "no target/tslake-*-bundled.jar; run runners/flink/build-jar.sh first" >&2; return 1; }
  echo "$jar"
}

client_logging_cp() { # slf4j-simple from ~/.m2, for the launcher's class path: the bundled jar
  # carries no slf4j binding (a cluster brings its own), so without it the client logs nothing.
  # Resolved by Maven once and cached until pom.xml changes; empty (with a warning) if that fails.
  local file="$ROOT/target/flink-client-logging.classpath"
  if [ ! -s "$file" ] || [ "$ROOT/pom.xml" -nt "$file" ]; then
    mkdir -p "$ROOT/target"
    # shellcheck disable=SC2086
    if ! (cd "$ROOT" && mvn $MVN_FLAGS dependency:build-classpath -DincludeScope=runtime \
        -DincludeGroupIds=org.slf4j -DincludeArtifactIds=slf4j-simple \
        -Dmdep.outputFile="$file.tmp" >&2); then
      echo "[flink] WARNING: could not resolve slf4j-simple; the launcher will not log" >&2
      return 0
    fi
    mv "$file.tmp" "$file"
  fi
  cat "$file"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
