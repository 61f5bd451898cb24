#!/usr/bin/env bash
# Builds the one bundled jar that is submitted to Flink clusters (maven-shade, `package` phase):
# target/tslake-<version>-bundled.jar. Extra arguments go to mvn (e.g. -o). Prints the jar path.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
# shellcheck disable=SC2086
mvn $MVN_FLAGS package -DskipTests "$@" >&2
bundled_jar
