#!/usr/bin/env bash
# Side by side: tslake and the peers of ../shared/peers (psql, DuckDB + COPY into PostgreSQL) on ONE
# generated file, in one sitting. Prints one table (peer, wall, rows/s, peak RSS, ratio to the best
# peer) and checks that tslake stored what the peers stored: the observation count against the
# generator's .expected.json, the hourly aggregates' count and checksum against the peer's.
#
#   runners/bench/compare.sh [rows=1000000] [peers="psql duckdb+pg"] [extra tslake job options...]
#
# COMPARE_TSLAKE=0 runs the peers only, COMPARE_PEERS=0 tslake only (the check then uses
# .expected.json alone). Other variables as runners/bench/run.sh (BENCH_HEAP, BENCH_GC, BENCH_PARALLELISM,
# BENCH_JAVA_OPTS). COMPARE_TS_FORMAT: tslake's timestampFormat (default the peers' strict rule).
# Results are appended to target/bench/compare.tsv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

rows=${1:-1000000}
peers=${2:-"psql duckdb+pg"}
shift $(($# < 2 ? $# : 2)) || true
extra=("$@")

mkdir -p target/bench
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
runners/postgres/start.sh >/dev/null

# the peer harness, in a writable copy as its README says
shared=${PEERS_DIR:-"$root/../shared/peers"}
[ -d "$shared" ] || shared=/work/shared/peers
if [ ! -x target/peers/run_peers.sh ]; then
  mkdir -p target
  cp -r "$shared" target/peers
fi
[ -d target/peers/duck/classes ] || target/peers/setup.sh >/dev/null

data="target/peers/data/obs_${rows}.csv"
if [ ! -s "$data" ] || [ ! -s "$data.expected.json" ]; then
  echo "generating $data"
  mkdir -p target/peers/data
  python3 target/peers/gen.py "$rows" "$data.tmp" >/dev/null
  mv "$data.tmp.expected.json" "$data.expected.json"
  mv "$data.tmp" "$data"
fi
in_rows=$(($(wc -l <"$data") - 1))
expected=$(tr -d ' \n' <"$data.expected.json")
exp_obs=$(sed -n 's/.*"observations":\([0-9]*\).*/\1/p' <<<"$expected")
exp_agg=$(sed -n 's/.*"aggregates":\([0-9]*\).*/\1/p' <<<"$expected")

# the same checksum as run_peers.sh: sum n / sum of o,h,l,c / sum of means
checksum() { # table-qualifier, where
  echo "select coalesce(sum(n),0)||'/'||coalesce(sum(first_v::numeric+last_v::numeric+min_v::numeric+max_v::numeric),0)||'/'||coalesce(round(sum(avg_v)::numeric,3),0) from $1"
}

# sum of n and sum of OHLC must be equal; the sum of means is a floating-point sum over the
# aggregates in whatever order the database adds them (at 10M rows the two peers themselves differ
# in its last digit, .217 vs .218), so it must agree to 12 significant digits
same_checksum() { # ck1 ck2
  [ "${1%/*}" = "${2%/*}" ] && awk -v a="${1##*/}" -v b="${2##*/}" \
    'BEGIN { d = a - b; if (d < 0) d = -d; m = (a < 0 ? -a : a); exit !(d <= m * 1e-12) }'
}

# Every contender starts with PostgreSQL's dirty buffers written out (an untimed CHECKPOINT), one
# peer per run_peers.sh call: otherwise whoever runs next pays the checkpoint of the previous
# one's load (tslake on 10M rows: 103.4 s right after the peers, 84.6 s alone three minutes later).
checkpoint() {
  PGPASSWORD=tslake psql -X -qAt -h 127.0.0.1 -U tslake -d tslake -c CHECKPOINT >/dev/null
}

declare -a names walls rsss notes
peer_ck=""
if [ "${COMPARE_PEERS:-1}" != 0 ]; then
  out=""
  for p in $peers; do
    checkpoint
    out="$out$(target/peers/run_peers.sh "$root/$data" "$p")"$'\n'
  done
  echo "$out" | sed 's/^/  peers| /'
  while read -r p _ obs agg wall _ _ rss ck; do
    case "$p" in peer | expected:* | logs:* | "") continue ;; esac
    names+=("$p"); walls+=("$wall"); rsss+=("$rss")
    note="obs=$obs agg=$agg"
    [ "$obs" = "$exp_obs" ] && [ "$agg" = "$exp_agg" ] || note="$note MISMATCH expected obs=$exp_obs agg=$exp_agg"
    notes+=("$note ck=$ck")
    [ -z "$peer_ck" ] && [[ "$ck" =~ ^[0-9] ]] && peer_ck=$ck
  done <<<"$out"
fi

# the peer's checksum of this file, kept for runs of tslake alone (COMPARE_PEERS=0)
ckfile="target/bench/peer-checksum-$rows.txt"
if [ -n "$peer_ck" ]; then echo "$peer_ck" >"$ckfile"; elif [ -s "$ckfile" ]; then peer_ck=$(cat "$ckfile"); fi

if [ "${COMPARE_TSLAKE:-1}" != 0 ]; then
  schema=${BENCH_SCHEMA:-bench_compare}
  checkpoint
  set +e
  # The peers' validity rule for ts is strict YYYY-MM-DDTHH:MM:SSZ; tslake's `iso` also reads
  # "2024-01-01 00:00:00" (one of gen.py's bad timestamps) as UTC, so the check needs the pattern.
  BENCH_TS_FORMAT=${COMPARE_TS_FORMAT:-"yyyy-MM-dd'T'HH:mm:ssX"} \
    BENCH_DATA="$data" BENCH_SCHEMA=$schema runners/bench/run.sh "$rows" FlinkRunner 0 "${extra[@]}" \
    >target/bench/compare-tslake.out 2>&1
  rc=$?
  set -e
  line=$(grep '^bench:' target/bench/compare-tslake.out | tail -1 || true)
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    tail -20 target/bench/compare-tslake.out
    echo "tslake run failed ($rc); see target/bench/compare-tslake.out"
    exit 1
  fi
  wall=$(sed -n 's/.* wall=\([0-9.]*\)s.*/\1/p' <<<"$line")
  rss=$(sed -n 's/.* peak_rss=\([0-9]*\)MB.*/\1/p' <<<"$line")
  sql() { PGPASSWORD=tslake psql -X -qAt -h 127.0.0.1 -U tslake -d tslake -c "$1"; }
  # tslake also keeps rows whose value is missing (empty, ".") as observations without a value
  obs=$(sql "select count(value) from $schema.observations")
  missing=$(sql "select count(*) - count(value) from $schema.observations")
  agg=$(sql "select count(*) from $schema.aggregates where \"window\" = 'PT1H'")
  view="(select n, \"min\" as min_v, \"max\" as max_v, mean as avg_v, \"first\" as first_v, \"last\" as last_v
         from $schema.aggregates where \"window\" = 'PT1H') a"
  ck=$(sql "$(checksum "$view")")
  note="obs=$obs agg=$agg ck=$ck (+$missing without a value)"
  ok=1
  [ "$obs" = "$exp_obs" ] && [ "$agg" = "$exp_agg" ] || { ok=0; note="$note MISMATCH expected obs=$exp_obs agg=$exp_agg"; }
  if [ -n "$peer_ck" ] && ! same_checksum "$ck" "$peer_ck"; then ok=0; note="$note MISMATCH peer ck=$peer_ck"; fi
  [ $ok = 1 ] && note="$note (agrees)"
  names+=("tslake"); walls+=("$wall"); rsss+=("$rss"); notes+=("$note")
fi

best=""
for i in "${!names[@]}"; do
  [ "${names[$i]}" = tslake ] && continue
  if [ -z "$best" ] || awk -v a="${walls[$i]}" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=${walls[$i]}; fi
done

echo
echo "same file: $data ($in_rows rows in; expected $exp_obs observations, $exp_agg hourly aggregates)"
printf '%-10s %8s %10s %9s %14s  %s\n' peer wall_s rows/s rss_MB vs_best_peer check
stamp=$(date -u +%FT%TZ)
mkdir -p target/bench
for i in "${!names[@]}"; do
  w=${walls[$i]}
  rate=$(awk -v r="$in_rows" -v s="$w" 'BEGIN{printf "%.0f", r/s}')
  ratio=$([ -n "$best" ] && awk -v b="$best" -v s="$w" 'BEGIN{printf "%.2fx", b/s}' || echo "-")
  printf '%-10s %8.1f %10s %9s %14s  %s\n' "${names[$i]}" "$w" "$rate" "${rsss[$i]}" "$ratio" "${notes[$i]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$stamp" "${names[$i]}" "$in_rows" "$w" "$rate" "${rsss[$i]}" "$ratio" \
    >>target/bench/compare.tsv
done
echo "(vs_best_peer: the best peer's wall time / this wall time; 1.00x = as fast as the best peer)"
