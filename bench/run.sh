#!/usr/bin/env bash
# bench/run.sh: the one-command Nexmark benchmark.
#
# What it does: builds nexmark_gen (and sluice, when it builds) in
# build-bench/ (Release), generates N bids as JSON lines, runs the jq
# baselines for Nexmark q0, q1 and q2 over that file, each RUNS times, and
# prints a table of median wall time, median CPU time, events/s and
# events/s per core (events / (user+sys CPU seconds)). Installs jq and the
# build tools when missing (apt-get, as scripts/deps does).
#
# What it does not do (yet): run sluice. run_sluice below is the slot for
# it; it reports "sluice: runtime not available yet" until `sluice --help`
# lists a `run FILE` subcommand. It never fails on timing: no thresholds.
#
# usage: bench/run.sh [--events N] [--seed S] [--runs R] [--queries "q0 q1 q2"]
#                     [--check] [--keep]
#   environment: EVENTS, SEED, RUNS, QUERIES, BUILD (build directory)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
EVENTS=${EVENTS:-2000000}
SEED=${SEED:-0}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-"q0 q1 q2"}
CHECK=0
KEEP=0

usage() { sed -n '/^# usage:/,/^#   environment/p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --events|-n) EVENTS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --queries) QUERIES=$2; shift 2 ;;
        --check) CHECK=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$EVENTS$RUNS" in *[!0-9]*) echo "bench/run.sh: --events and --runs take numbers" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$EVENTS" -ge 1 ] || { echo "bench/run.sh: --events and --runs must be >= 1" >&2; exit 2; }

log() { echo "bench: $*" >&2; }

# ---- dependencies ----------------------------------------------------------
ensure_tools() {
    "$ROOT/scripts/deps"
    if ! command -v jq >/dev/null 2>&1; then
        log "installing jq"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends jq >/dev/null
    fi
}

# ---- build -----------------------------------------------------------------
build() {
    log "building in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DSLUICE_TESTS=OFF -DSLUICE_BENCH=ON >/dev/null
    ninja -C "$BUILD" nexmark_gen >/dev/null
    # sluice is optional while the runtime is being built
    if ! ninja -C "$BUILD" sluice >/dev/null 2>&1; then
        log "sluice did not build; its rows will be skipped"
    fi
}

# ---- timing ----------------------------------------------------------------
# measure FUNC: runs FUNC (stdout to /dev/null) RUNS times; sets MED_WALL and
# MED_CPU (user+sys, children included) to the medians, in seconds.
measure() {
    local fn=$1 walls=() cpus=() t
    for ((i = 0; i < RUNS; i++)); do
        t=$( { TIMEFORMAT='%R %U %S'; time "$fn" >/dev/null 2>"$BUILD/bench-stderr.txt"; } 2>&1 ) || {
            log "$fn failed:"; cat "$BUILD/bench-stderr.txt" >&2; return 1; }
        walls+=("$(echo "$t" | awk '{print $1}')")
        cpus+=("$(echo "$t" | awk '{printf "%.3f", $2 + $3}')")
    done
    MED_WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
    MED_CPU=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
}

ROWS=()
# row QUERY TOOL: appends a table row from MED_WALL / MED_CPU
row() {
    ROWS+=("$(awk -v q="$1" -v tool="$2" -v n="$EVENTS" -v w="$MED_WALL" -v c="$MED_CPU" 'BEGIN{
        eps = (w > 0) ? n / w : 0; epc = (c > 0) ? n / c : 0;
        printf "| %-4s | %-22s | %8.2f | %8.2f | %11.0f | %13.0f |", q, tool, w, c, eps, epc }')")
}

# ---- the jq baselines ------------------------------------------------------
# The programs are bench/jq/qN.jq (q0 pass-through, q1 exact euro price,
# q2 auction multiple of 123); each runs as `jq -c -f PROGRAM FILE`.
jq_run() { jq -c -f "$ROOT/bench/jq/$1.jq" "$DATA"; }
jq_q0() { jq_run q0; }
jq_q1() { jq_run q1; }
jq_q2() { jq_run q2; }

# ---- sluice (SLOT) ---------------------------------------------------------
SLUICE=$BUILD/sluice
sluice_ready() {
    [ -x "$SLUICE" ] || return 1
    case "$("$SLUICE" --help 2>&1)" in *'run FILE'*) return 0 ;; esac
    return 1
}

# The statements each query runs, in our dialect (ksqlDB's). The bid stream
# reads the JSON lines nexmark_gen writes (field names as in NEXMARK.md).
sluice_sql() {
    cat <<'SQL'
CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
                   url VARCHAR, dateTime BIGINT, extra VARCHAR)
  WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);
SQL
    case "$1" in
        q0) echo "SELECT * FROM bid EMIT CHANGES;" ;;
        q1) echo "SELECT auction, bidder, price * 0.908 AS price, channel, url, dateTime, extra FROM bid EMIT CHANGES;" ;;
        q2) echo "SELECT auction, price FROM bid WHERE auction % 123 = 0 EMIT CHANGES;" ;;
    esac
}

# run_sluice QUERY: times sluice on the same input and adds its row.
# SLOT: once `sluice run FILE` exists, check the command line below against
# it (how the input file is attached to the stream `bid`, where output goes)
# and remove this comment.
run_sluice() {
    local q=$1
    if ! sluice_ready; then
        echo "sluice: runtime not available yet (skipping $q)" >&2
        return 0
    fi
    sluice_sql "$q" > "$BUILD/bench-$q.sql"
    SQL_FILE=$BUILD/bench-$q.sql
    sluice_q() { "$SLUICE" run "$SQL_FILE" --input bid="$DATA"; }
    measure sluice_q && row "$q" "sluice" || log "sluice $q failed"
}

# ---- checks (optional) -----------------------------------------------------
check_outputs() {
    local want2
    # independent of jq: lines start {"auction":N, so N is awk's field 2
    want2=$(awk -F'[:,]' '$2 % 123 == 0' "$DATA" | wc -l)
    [ "$(jq_q0 | wc -l)" -eq "$EVENTS" ] || { log "q0: wrong line count"; return 1; }
    [ "$(jq_q1 | wc -l)" -eq "$EVENTS" ] || { log "q1: wrong line count"; return 1; }
    [ "$(jq_q2 | wc -l)" -eq "$want2" ] || { log "q2: wrong line count"; return 1; }
    log "check: q0/q1 $EVENTS lines, q2 $want2 lines"
}

# ---- main ------------------------------------------------------------------
ensure_tools
build
mkdir -p "$BUILD/data"
DATA=$BUILD/data/bid-$EVENTS-s$SEED.jsonl
log "generating $EVENTS bids (seed $SEED) into $DATA"
MED_WALL=0
gen() { "$BUILD/nexmark_gen" --events "$EVENTS" --seed "$SEED" --kind bid > "$DATA"; }
RUNS_SAVED=$RUNS; RUNS=1; measure gen; RUNS=$RUNS_SAVED
BYTES=$(stat -c %s "$DATA")
GEN_LINE=$(awk -v b="$BYTES" -v w="$MED_WALL" -v n="$EVENTS" \
    'BEGIN{printf "generated %.0f MB (%.0f bytes/bid) in %.2f s: %.0f MB/s to the file", b/1e6, b/n, w, (w>0)?b/1e6/w:0}')
cat "$DATA" > /dev/null  # warm the page cache for every run alike

[ "$CHECK" -eq 1 ] && check_outputs

for q in $QUERIES; do
    declare -F "jq_$q" >/dev/null || { log "unknown query $q"; exit 2; }
    log "$q: jq x$RUNS"
    measure "jq_$q"
    row "$q" "jq $(jq --version | sed 's/^jq-//')"
    run_sluice "$q"
done

echo
echo "Nexmark on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
echo "$EVENTS bids, seed $SEED, median of $RUNS; $GEN_LINE"
echo
echo "| q    | tool                   |   wall s |    cpu s |    events/s | events/s/core |"
echo "|------|------------------------|----------|----------|-------------|---------------|"
printf '%s\n' "${ROWS[@]}"
sluice_ready || echo "(sluice: runtime not available yet)"
[ "$KEEP" -eq 1 ] || rm -f "$DATA"
