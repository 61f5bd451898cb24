#!/usr/bin/env bash
# Submits the tslake job in the bundled jar to a running Flink 1.19 cluster and waits for it:
#   runners/flink/submit.sh [job options...]     e.g. --config=testdata/tslake.json --warehouseUrl=...
# Env: FLINK_MASTER (127.0.0.1:${FLINK_REST_PORT:-8081}), SUBMIT_HEAP (1g).
# The launcher's class path is the bundled jar plus slf4j-simple (the jar has no log binding; see
# client_logging_cp in common.sh). Only the bundled jar is staged to the cluster.
# The job's relative paths (--config, --lake, files in the config) are resolved against the
# current directory at launch; the TaskManagers must see the same absolute paths (true for the
# local cluster of start-cluster.sh). Use a PostgreSQL warehouse: an embedded DuckDB file would be
# held open by the TaskManager JVM, so this launcher could not read the run's summary from it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
JAR="$(bundled_jar)"
MASTER="${FLINK_MASTER:-127.0.0.1:${REST_PORT}}"
LOGGING_CP="$(client_logging_cp)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" -Xmx"${SUBMIT_HEAP:-1g}" -cp "$JAR${LOGGING_CP:+:$LOGGING_CP}" dev.tslake.TsLake \
  --runner=FlinkRunner --flinkMaster="$MASTER" --filesToStage="$JAR" "$@"
