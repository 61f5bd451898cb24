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
# -XX:+UseParallelGC); TSLAKE_JIT_OPTS come before them (default: by the input's size, below;
# empty for the JVM's defaults); TSLAKE_CDS=0 runs without an archive; TSLAKE_CDS_DIR keeps the
# archives elsewhere. A new build (other classes, dependencies or java) gets new archives; older ones are
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
# The JIT by the input's size (TSLAKE_JIT_OPTS, when set, decides instead): a batch job whose
# inputs are all local files of TSLAKE_C1_MAX_MB (256) MB or less runs with C1 alone: it spends
# less CPU compiling than it would win back (1M rows, 47 MB: C1 faster in nine of ten pairs; 3M,
# 141 MB: even; 10M, 470 MB: C2 faster; docs/performance.md H25, H26). Anything else, or a size
# that cannot be told (live sources, remote files, a replay, YAML without PyYAML, no python3),
# gets tiered compilation with C2 at 4x the JVM's thresholds (H22).
tiered="-XX:Tier4InvocationThreshold=20000 -XX:Tier4MinInvocationThreshold=2400 -XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=160000"
input_bytes() { # the job's arguments; prints the bytes of its input files, or nothing
  command -v python3 >/dev/null || return 0
  python3 - "$@" <<'PY' 2>/dev/null || true
import glob, json, os, sys
config, batch = "testdata/tslake.json", True
for a in sys.argv[1:]:
    if a.startswith("--config="): config = a.split("=", 1)[1]
    if a.lower() in ("--streaming", "--streaming=true") or a.startswith("--replayFromLake"):
        batch = False
if not batch: sys.exit(0)
with open(config) as f:
    if config.endswith((".yaml", ".yml")):
        import yaml
        conf = yaml.safe_load(f)
    else:
        conf = json.load(f)
base, total = os.path.dirname(os.path.abspath(config)), 0
for src in conf.get("sources") or []:
    files = src.get("files") or []
    if not files: sys.exit(0)  # a live source: its size is not known here
    for entry in files:
        path = entry if isinstance(entry, str) else entry.get("path")
        if not path or "://" in path: sys.exit(0)
        matches = glob.glob(os.path.join(base, path), recursive=True)
        if not matches: sys.exit(0)
        total += sum(os.path.getsize(m) for m in matches if os.path.isfile(m))
print(total)
PY
}
if [ -n "${TSLAKE_JIT_OPTS+set}" ]; then
  jit=$TSLAKE_JIT_OPTS
elif [ "${TSLAKE_MAIN:-dev.tslake.TsLake}" != dev.tslake.TsLake ]; then
  jit=$tiered # a run service lives long: C2 pays
else
  bytes=$(input_bytes "$@")
  max=$(( ${TSLAKE_C1_MAX_MB:-256} * 1024 * 1024 ))
  if [ -n "$bytes" ] && [ "$bytes" -le "$max" ]; then
    jit="-XX:TieredStopAtLevel=1"
    echo "tslake.sh: C1 alone (input files $((bytes / 1024 / 1024)) MB, at most ${TSLAKE_C1_MAX_MB:-256} MB)" >&2
  else
    jit=$tiered
    size="of a size not known here, or a streaming run or replay"
    [ -z "$bytes" ] || size="$((bytes / 1024 / 1024)) MB"
    echo "tslake.sh: tiered JIT, C2 at 4x the thresholds (input files $size)" >&2
  fi
fi
# shellcheck disable=SC2086 # TSLAKE_JIT_OPTS and TSLAKE_JAVA_OPTS are lists of options
exec java $jit ${TSLAKE_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC} "${opts[@]}" -cp "$cp" \
  "${TSLAKE_MAIN:-dev.tslake.TsLake}" "$@"
