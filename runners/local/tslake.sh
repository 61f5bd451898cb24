#!/usr/bin/env bash
# Runs the job in a JVM of its own (java -cp, as docs/running.md shows for Flink local) with
# class-data sharing: the first run of a build and runner writes an archive of the classes it
# loaded (target/cds/, 40-90 MB; that run takes 10-25 s longer), and every later run maps it
# instead of loading, parsing and verifying those classes again: about 2.5 s less of a 12-second
# run of 10k rows on Flink local (docs/performance.md, "Class-data sharing").
#
#   runners/local/tslake.sh [job options...]        e.g. --runner=FlinkRunner
#   runners/local/tslake.sh --archive [--runner=R]  prints the archive such a run uses
#
# It builds first (mvn compile, and the runtime class path into target/classpath.txt) when the
# build is missing or older than a file under src/main or pom.xml. TSLAKE_MAIN runs another class
# (dev.tslake.RunService); TSLAKE_JAVA_OPTS are the JVM options (default -Xmx1g
# -XX:+UseParallelGC); TSLAKE_JIT_OPTS come before them (default: C2 compiles a method after 4x
# the JVM's default invocations and loop iterations, which left more of the 2 cores to the job:
# 5% less wall time at 1M and 10M rows on Flink local, docs/performance.md H22; empty for the
# JVM's defaults); TSLAKE_CDS=0 runs without an archive; TSLAKE_CDS_DIR keeps the archives
# elsewhere. A new build (other classes, dependencies or java) gets new archives; older ones are
# deleted.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
classes="$root/target/classes"
deps="$root/target/classpath.txt"
if [ ! -d "$classes" ] || [ ! -s "$deps" ] \
    || [ -n "$(find "$root/src/main" "$root/pom.xml" -newer "$deps" -print -quit)" ]; then
  echo "tslake.sh: building (mvn compile dependency:build-classpath)" >&2
  mvn -q -B -f "$root/pom.xml" compile dependency:build-classpath -DincludeScope=runtime \
    -Dmdep.outputFile="$deps" >&2
  touch "$deps"
fi
java_bin="$(readlink -f "$(command -v java)")"
# the build: the job's classes (names, sizes, times), the dependencies, the JVM
key=$( { find "$classes" -type f -printf '%P %s %T@\n' | sort; cat "$deps"; echo;
         stat -c '%n %s %Y' "$java_bin"; } | md5sum | cut -c1-16)
# one archive per build and runner: each runner loads other classes
runner=DirectRunner
for a in "$@"; do
  case "$a" in --runner=*) runner=${a#--runner=} ;; esac
done
cds="${TSLAKE_CDS_DIR:-$root/target/cds}"
jsa="$cds/tslake-$key-${runner##*.}.jsa"
if [ "${1:-}" = "--archive" ]; then
  # (the runner was read from the arguments above)
  echo "$jsa"
  exit 0
fi
opts=()
if [ "${TSLAKE_CDS:-1}" = 0 ]; then
  cp="$classes:$(cat "$deps")"
else
  # class-data sharing maps classes from jars only: the job's classes as one jar per build
  jar="$cds/classes-$key.jar"
  if [ ! -s "$jar" ]; then
    mkdir -p "$cds"
    rm -f "$cds"/classes-*.jar "$cds"/tslake-*.jsa
    jar cf "$jar.tmp" -C "$classes" . && mv "$jar.tmp" "$jar"
  fi
  cp="$jar:$(cat "$deps")"
  if [ -s "$jsa" ]; then
    opts=(-XX:SharedArchiveFile="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  else
    echo "tslake.sh: this run writes the class-data archive $jsa when it ends" >&2
    opts=(-XX:ArchiveClassesAtExit="$jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
fi
jit=${TSLAKE_JIT_OPTS--XX:Tier4InvocationThreshold=20000 -XX:Tier4MinInvocationThreshold=2400 -XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=160000}
# shellcheck disable=SC2086 # TSLAKE_JIT_OPTS and TSLAKE_JAVA_OPTS are lists of options
exec java $jit ${TSLAKE_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC} "${opts[@]}" -cp "$cp" \
  "${TSLAKE_MAIN:-dev.tslake.TsLake}" "$@"
