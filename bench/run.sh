#!/usr/bin/env bash
# bench/run.sh: the one-command Nexmark benchmark.
#
# What it does: builds nexmark_gen and sluice in build-bench/ (Release),
# generates N bids as JSON lines, runs the jq baselines for Nexmark q0, q1
# and q2 over that file, loads the same bids into a fresh embedded store
# with `sluice load`, and times `sluice run qN.sql --until-idle` on a copy
# of that store for each query (the copy is made before the clock starts).
# Each is run RUNS times; the table has median wall time, median CPU time,
# events/s and events/s per core (events / (user+sys CPU seconds)).
# Installs jq and the build tools when missing (apt-get, as scripts/deps
# does). It never fails on timing: no thresholds.
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
    if ! ninja -C "$BUILD" sluice >/dev/null 2>&1; then
        log "sluice did not build; its rows will be skipped"
    fi
}

# ---- timing ----------------------------------------------------------------
# measure FUNC [PREPARE]: runs FUNC (stdout to /dev/null) RUNS times, each
# after PREPARE (untimed) when given; sets MED_WALL and MED_CPU (user+sys,
# children included) to the medians, in seconds.
measure() {
    local fn=$1 prep=${2:-} walls=() cpus=() t
    for ((i = 0; i < RUNS; i++)); do
        [ -n "$prep" ] && "$prep"
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

# ---- sluice ----------------------------------------------------------------
SLUICE=$BUILD/sluice
sluice_ready() {
    [ -x "$SLUICE" ] || return 1
    case "$("$SLUICE" --help 2>&1)" in *'run FILE'*) return 0 ;; esac
    return 1
}

# The statements each query runs, in our dialect (ksqlDB's): the stream over
# the loaded topic, then one persistent query writing its own topic. The bid
# stream reads the JSON lines nexmark_gen writes (field names as in
# NEXMARK.md, matched case-insensitively).
sluice_sql() {
    cat <<'SQL'
CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
                   url VARCHAR, dateTime BIGINT, extra VARCHAR)
  WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
SQL
    case "$1" in
        q0) echo "CREATE STREAM q0 AS SELECT * FROM bid EMIT CHANGES;" ;;
        q1) echo "CREATE STREAM q1 AS SELECT auction, bidder, price * 0.908 AS price, channel, url, dateTime, extra FROM bid EMIT CHANGES;" ;;
        q2) echo "CREATE STREAM q2 AS SELECT auction, price FROM bid WHERE auction % 123 = 0 EMIT CHANGES;" ;;
    esac
}

# load_sluice: the bids into a fresh store (once; each query runs on a copy)
STORE=$BUILD/bench-store
LOAD_LINE=""
load_sluice() {
    sluice_ready || return 0
    rm -rf "$STORE" && mkdir -p "$STORE"
    LOAD_LINE=$("$SLUICE" load -d "$STORE/template" bid "$DATA" --partitions 1) || {
        log "sluice load failed"; return 1; }
    log "$LOAD_LINE"
    # Open the store once with nothing to run, so that nothing left to
    # recover (the log flushes its memtables at close) is ever timed below.
    "$SLUICE" run -d "$STORE/template" --until-idle --quiet
}

# run_sluice QUERY: times `sluice run` on a fresh copy of the loaded store.
run_sluice() {
    local q=$1
    if ! sluice_ready; then
        echo "sluice: not built (skipping $q)" >&2
        return 0
    fi
    sluice_sql "$q" > "$BUILD/bench-$q.sql"
    SQL_FILE=$BUILD/bench-$q.sql
    sluice_copy() { rm -rf "$STORE/run"; cp -a "$STORE/template" "$STORE/run"; }
    sluice_q() { "$SLUICE" run -d "$STORE/run" "$SQL_FILE" --until-idle --quiet; }
    if measure sluice_q sluice_copy; then
        row "$q" "sluice $("$SLUICE" --version | sed 's/^sluice //')"
    else
        log "sluice $q failed"
        return 0
    fi
    if [ "$CHECK" -eq 1 ]; then
        local want got
        case "$q" in
            q2) want=$(awk -F'[:,]' '$2 % 123 == 0' "$DATA" | wc -l) ;;
            *) want=$EVENTS ;;
        esac
        got=$("$SLUICE" dump -d "$STORE/run" "$(echo "$q" | tr a-z A-Z)" --from-beginning | wc -l)
        [ "$got" -eq "$want" ] && log "check: sluice $q wrote $got records" ||
            { log "check: sluice $q wrote $got records, wanted $want"; return 1; }
    fi
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
load_sluice
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

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
echo "load average (1, 5, 15 min) when the timed runs began: $LOAD_START; when they ended: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| q    | tool                   |   wall s |    cpu s |    events/s | events/s/core |"
echo "|------|------------------------|----------|----------|-------------|---------------|"
printf '%s\n' "${ROWS[@]}"
[ -n "$LOAD_LINE" ] && echo && echo "sluice load: $LOAD_LINE"
sluice_ready || echo "(sluice: not built)"
[ "$KEEP" -eq 1 ] || rm -rf "$DATA" "$STORE"
