#!/usr/bin/env bash
# Benchmark: the full default graph (raw lake write, validation, dedup, hourly and daily
# aggregates, load of observations and aggregates into PostgreSQL) on a generated file of
# observation rows. Prints rows/s end to end (process start to warehouse committed) and peak RSS.
#
#   runners/bench/run.sh [rows=1000000] [runner=FlinkRunner|DirectRunner] [series=100] [extra job options...]
#
# The job runs as runners/local/tslake.sh runs it: java -cp with class-data sharing. The first
# measurement of a build writes the archive in an untimed training run of 10k rows (same options);
# BENCH_CDS=0 measures a JVM without it.
#
# BENCH_HEAP sets -Xmx (default 1g), BENCH_GC the collector (default -XX:+UseParallelGC),
# BENCH_DATA=file.csv runs on that file instead of a generated one (rows is then only a label),
# BENCH_SCHEMA names the PostgreSQL schema (default bench_<runner>, dropped and made anew),
# BENCH_SERVICE_RUNS=N times N runs of one run service JVM instead (dev.tslake.RunService),
# BENCH_JAVA_OPTS adds JVM options (e.g. -Dtslake.pg.directCopy=false), BENCH_TS_FORMAT sets the
# source's timestampFormat (default iso).
#
# Needs PostgreSQL (runners/postgres/start.sh is run first). Results are appended to
# target/bench/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."

rows=${1:-1000000}
runner=${2:-FlinkRunner}
series=${3:-100}
shift $(( $# < 3 ? $# : 3 )) || true
extra=("$@")

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
runners/postgres/start.sh >/dev/null

mvn -q -B compile dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt >/dev/null
touch target/classpath.txt # the build is current: runners/local/tslake.sh builds no more
cp="target/classes:$(cat target/classpath.txt)"

mkdir -p target/bench
# BENCH_DATA: an existing observations CSV (e.g. the peers' gen.py file, runners/bench/compare.sh)
data=${BENCH_DATA:-"target/bench/observations-${rows}-${series}.csv"}
if [ -n "${BENCH_DATA:-}" ]; then
  [ -s "$data" ] || { echo "BENCH_DATA $data is missing or empty"; exit 2; }
  data=$(realpath --relative-to="$(pwd)" "$data")
elif [ ! -s "$data" ]; then
  echo "generating $data"
  java -cp "$cp" dev.tslake.bench.GenerateObservations "$rows" "$series" "$data.tmp" 42
  mv "$data.tmp" "$data"
fi

config="target/bench/bench.json"
cat > "$config" <<JSON
{"sources": [{"name": "bench", "type": "csv", "windows": ["PT1H", "P1D"],
  "files": ["$(pwd)/$data"], "timestampColumn": "ts", "timestampFormat": "${BENCH_TS_FORMAT:-iso}",
  "seriesColumn": "series_id", "valueColumns": ["value"], "splitBytes": ${BENCH_SPLIT_BYTES:-33554432}}]}
JSON

schema=${BENCH_SCHEMA:-"bench_$(echo "$runner" | tr 'A-Z' 'a-z')"}
PGPASSWORD=tslake psql -q -h 127.0.0.1 -U tslake -d tslake \
  -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
lake="target/bench/lake-$runner"
rm -rf "$lake"

# 1 GB of heap and ParallelGC (as .mvn/jvm.config): with -Xmx4g and G1 the heap grew to 3.7 GB
# committed at 10M rows on Flink for 0.4 GB live (docs/performance.md, H16B); BENCH_GC= for the
# JVM's default collector
heap=${BENCH_HEAP:-1g}
gc=${BENCH_GC--XX:+UseParallelGC}
runner_opts=()
if [ "$runner" = "FlinkRunner" ]; then
  # one dedup group per key: Flink sorts groups, and per-shard hash maps cost it 6 GB at 10M rows
  runner_opts=(--parallelism="${BENCH_PARALLELISM:-2}" --objectReuse=true --dedupShards=0
    --flinkConfDir="$(pwd)/runners/bench/flink-conf")
fi

# the JVM of every run below: runners/local/tslake.sh, with or without its class-data archive
export TSLAKE_JAVA_OPTS="-Xmx$heap $gc ${BENCH_JAVA_OPTS:-}"
export TSLAKE_CDS=${BENCH_CDS:-1}
if [ "$TSLAKE_CDS" != 0 ] && [ ! -s "$(runners/local/tslake.sh --archive --runner="$runner")" ]; then
  train="target/bench/observations-10000-20.csv"
  if [ ! -s "$train" ]; then
    java -cp "$cp" dev.tslake.bench.GenerateObservations 10000 20 "$train.tmp" 42
    mv "$train.tmp" "$train"
  fi
  sed "s|\"files\": \[[^]]*\]|\"files\": [\"$(pwd)/$train\"]|" "$config" > target/bench/cds-training.json
  PGPASSWORD=tslake psql -q -h 127.0.0.1 -U tslake -d tslake \
    -c "DROP SCHEMA IF EXISTS bench_cds_training CASCADE; CREATE SCHEMA bench_cds_training;"
  rm -rf target/bench/lake-cds-training
  echo "bench: an untimed training run of 10k rows writes the class-data archive of this build"
  runners/local/tslake.sh --runner="$runner" "${runner_opts[@]}" \
    --config=target/bench/cds-training.json --lake=target/bench/lake-cds-training \
    --warehouseUrl="jdbc:postgresql://127.0.0.1:5432/tslake?currentSchema=bench_cds_training" \
    --warehouseUser=tslake --secretsFile="$PWD/runners/postgres/secrets.properties" \
    "${extra[@]}" > target/bench/cds-training.log 2>&1 \
    || { tail -20 target/bench/cds-training.log; echo "the training run failed"; exit 1; }
fi

log="target/bench/run-$runner-$rows.log"
if [ -n "${BENCH_SERVICE_RUNS:-}" ]; then
  # The run service (dev.tslake.RunService): one JVM, BENCH_SERVICE_RUNS runs of the same job over
  # HTTP, each on an empty schema and lake (the same work as a single run), timed by the client.
  port=${BENCH_SERVICE_PORT:-18090}
  MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} TSLAKE_MAIN=dev.tslake.RunService runners/local/tslake.sh \
    --runner="$runner" "${runner_opts[@]}" --servicePort="$port" \
    --config="$config" --lake="$lake" \
    --warehouseUrl="jdbc:postgresql://127.0.0.1:5432/tslake?currentSchema=$schema" \
    --warehouseUser=tslake --secretsFile="$PWD/runners/postgres/secrets.properties" \
    "${extra[@]}" > "$log" 2>&1 &
  svc=$!
  trap 'kill $svc 2>/dev/null || true' EXIT
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 $svc 2>/dev/null || { tail -20 "$log"; echo "the run service did not start"; exit 1; }
    sleep 0.5
  done
  for i in $(seq 1 "$BENCH_SERVICE_RUNS"); do
    PGPASSWORD=tslake psql -q -h 127.0.0.1 -U tslake -d tslake \
      -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;" 2>/dev/null
    rm -rf "$lake"
    out=$(curl -sS -o target/bench/service-run.json -w '%{http_code} %{time_total}' -X POST "http://127.0.0.1:$port/runs")
    code=${out%% *}; secs=${out##* }
    status=$(grep -o '"status":"[a-z_]*"' target/bench/service-run.json | cut -d'"' -f4)
    loaded=$(grep -o '"observations_loaded":[0-9]*' target/bench/service-run.json | cut -d: -f2)
    rss_mb=$(( $(awk '/VmHWM/ {print $2}' /proc/$svc/status) / 1024 ))
    echo "bench: service run $i runner=$runner rows=$rows http=$code status=$status loaded=$loaded wall=${secs}s service_peak_rss=${rss_mb}MB"
    [ "$code" = 200 ] || { cat target/bench/service-run.json; exit 1; }
  done
  cpu=$(awk '{printf "%.1f", ($14 + $15) / 100}' /proc/$svc/stat)
  echo "bench: service job_cpu=${cpu}s over $BENCH_SERVICE_RUNS runs"
  exit 0
fi
set +e
/usr/bin/time -v -o target/bench/time.txt \
  runners/local/tslake.sh \
    --runner="$runner" "${runner_opts[@]}" \
    --config="$config" --lake="$lake" \
    --warehouseUrl="jdbc:postgresql://127.0.0.1:5432/tslake?currentSchema=$schema" \
    --warehouseUser=tslake --secretsFile="$PWD/runners/postgres/secrets.properties" \
    "${extra[@]}" > "$log" 2>&1
status=$?
set -e
tail -12 "$log"
if [ $status -ne 0 ]; then
  echo "benchmark run failed ($status); see $log"
  exit $status
fi

wall=$(grep 'Elapsed (wall clock)' target/bench/time.txt | awk '{print $NF}')
secs=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss_kb=$(grep 'Maximum resident set size' target/bench/time.txt | awk '{print $NF}')
cpu=$(grep -E 'User time|System time' target/bench/time.txt | awk '{s += $NF} END {printf "%.1f", s}')
rate=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
rss_mb=$(( rss_kb / 1024 ))
echo "bench: runner=$runner rows=$rows series=$series wall=${secs}s rows/s=$rate peak_rss=${rss_mb}MB job_cpu=${cpu}s"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$runner" "$rows" "$series" "$secs" "$rate" "$rss_mb" \
  >> target/bench/results.tsv
