#!/usr/bin/env bash
# bench/agg/run.sh: the aggregation benchmark of issue 4.
#
# What it does: builds nexmark_gen and sluice in build-bench-agg/ (Release),
# generates N Nexmark bids as JSON lines (event time advancing at RATE
# events/s, so 10 s windows hold RATE * 10 events), and for each query runs
# sqlite3, miller (mlr) and sluice over the same file in the same run:
#   tumble   bids per bidder in 10 s tumbling windows (Nexmark q12)
#   hop      the highest price per auction in hopping windows, 10 s / 2 s
#   session  bids per bidder session, 10 s inactivity gap (Nexmark q11)
#   newkey   tumble over the same bids with every bidder made unique, so
#            every record touches a new key (the state only grows)
# sqlite3 and mlr read the JSON lines and compute every window as a batch;
# sluice loads the bids once (`sluice load`, untimed) and then, timed, runs
# the query as a persistent query with EMIT FINAL over a copy of that store
# (`sluice run --until-idle`). Each is run RUNS times; the table has median
# wall time, median CPU time (user + sys), events/s per core (events / CPU
# seconds), the largest resident set (max RSS, /usr/bin/time -v) and the
# rows written. Then the memory runs of sluice: N distinct keys held open in
# one window, and the Nexmark bidders' 100 ms windows all held open by a
# long grace, each against a run over the same bids that holds one window
# per bidder: the difference in max RSS per extra state entry is what a key
# and an open window cost.
# It never fails on timing: no thresholds.
#
# usage: bench/agg/run.sh [--events N] [--rate R] [--seed S] [--runs R]
#                         [--queries "tumble hop session newkey"] [--no-memory] [--keep]
#   environment: EVENTS, RATE, SEED, RUNS, QUERIES, BUILD (build directory)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-agg}
EVENTS=${EVENTS:-1000000}
RATE=${RATE:-10000}
SEED=${SEED:-0}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-"tumble hop session newkey"}
MEMORY=1
KEEP=0

usage() { sed -n '/^# usage:/,/^#   environment/p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --events|-n) EVENTS=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --queries) QUERIES=$2; shift 2 ;;
        --no-memory) MEMORY=0; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/agg/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$EVENTS$RUNS$RATE" in *[!0-9]*) echo "bench/agg/run.sh: --events, --rate and --runs take numbers" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$EVENTS" -ge 1 ] && [ "$RATE" -ge 1 ] ||
    { echo "bench/agg/run.sh: --events, --rate and --runs must be >= 1" >&2; exit 2; }

log() { echo "bench/agg: $*" >&2; }

# ---- dependencies ----------------------------------------------------------
ensure_tools() {
    "$ROOT/scripts/deps"
    local missing="" p
    command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
    command -v mlr >/dev/null 2>&1 || missing="$missing miller"
    [ -x /usr/bin/time ] || missing="$missing time"
    if [ -n "$missing" ]; then
        log "installing$missing"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
    for p in sqlite3 mlr; do command -v "$p" >/dev/null || { log "$p is missing"; exit 1; }; done
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
# measure PREPARE CMD...: runs CMD (stdout to $BUILD/agg-out.txt) RUNS times,
# each after PREPARE (untimed; "" for none), under /usr/bin/time; sets
# MED_WALL, MED_CPU (user + sys, s), MED_RSS (KiB) to the medians and ROWS_OUT
# to the line count of the last run's output.
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
measure() {
    local prep=$1; shift
    local walls=() cpus=() rss=() t i
    for ((i = 0; i < RUNS; i++)); do
        [ -n "$prep" ] && "$prep"
        if ! /usr/bin/time -f '%e %U %S %M' -o "$BUILD/agg-time.txt" "$@" \
                >"$BUILD/agg-out.txt" 2>"$BUILD/agg-stderr.txt"; then
            log "$* failed:"; tail -5 "$BUILD/agg-stderr.txt" >&2; return 1
        fi
        t=$(tail -1 "$BUILD/agg-time.txt")
        walls+=("$(echo "$t" | awk '{print $1}')")
        cpus+=("$(echo "$t" | awk '{printf "%.3f", $2 + $3}')")
        rss+=("$(echo "$t" | awk '{print $4}')")
    done
    MED_WALL=$(printf '%s\n' "${walls[@]}" | median)
    MED_CPU=$(printf '%s\n' "${cpus[@]}" | median)
    MED_RSS=$(printf '%s\n' "${rss[@]}" | median)
    ROWS_OUT=$(wc -l < "$BUILD/agg-out.txt")
}

TABLE=()
# row QUERY TOOL [ROWS]: appends a table row from the medians
row() {
    TABLE+=("$(awk -v q="$1" -v tool="$2" -v n="$EVENTS" -v w="$MED_WALL" -v c="$MED_CPU" \
        -v m="$MED_RSS" -v r="${3:-$ROWS_OUT}" 'BEGIN{
        eps = (c > 0) ? n / c : 0
        printf "| %-7s | %-14s | %8.2f | %8.2f | %13.0f | %9.0f | %9d |", q, tool, w, c, eps, m / 1024, r }')")
}

# ---- the data --------------------------------------------------------------
# $DATA: the bids; $DATA_NEWKEY: the same bids, bidder = line number.
make_data() {
    mkdir -p "$BUILD/data"
    DATA=$BUILD/data/bid-$EVENTS-r$RATE-s$SEED.jsonl
    DATA_NEWKEY=$BUILD/data/bid-$EVENTS-r$RATE-s$SEED-newkey.jsonl
    log "generating $EVENTS bids (rate $RATE/s, seed $SEED) into $DATA"
    "$BUILD/nexmark_gen" --events "$EVENTS" --seed "$SEED" --rate "$RATE" --kind bid > "$DATA"
    awk '{ match($0, /"bidder":[0-9]+/)
           print substr($0, 1, RSTART - 1) "\"bidder\":" NR substr($0, RSTART + RLENGTH) }' \
        "$DATA" > "$DATA_NEWKEY"
    cat "$DATA" "$DATA_NEWKEY" > /dev/null     # warm the page cache alike for every tool
}

data_for() { [ "$1" = newkey ] && echo "$DATA_NEWKEY" || echo "$DATA"; }

# ---- sqlite3 ---------------------------------------------------------------
# The JSON lines are imported as one text column (no field separator occurs
# in them) and json_extract reads the fields: the same parsing work as the
# others. Every window is computed (a batch has no open windows).
sqlite_sql() {
    local q=$1 data=$2
    cat <<SQL
.mode ascii
.separator "\\037" "\\n"
CREATE TABLE raw (j TEXT);
.import $data raw
.mode list
.separator ","
SQL
    case "$q" in
        tumble|newkey) cat <<'SQL'
SELECT json_extract(j, '$.bidder') AS bidder,
       json_extract(j, '$.dateTime') / 10000 * 10000 AS w, COUNT(*) AS n
FROM raw GROUP BY 1, 2;
SQL
        ;;
        hop) cat <<'SQL'
WITH b AS (SELECT json_extract(j, '$.auction') AS auction, json_extract(j, '$.price') AS price,
                  json_extract(j, '$.dateTime') AS ts FROM raw),
     k(i) AS (VALUES (0), (1), (2), (3), (4))
SELECT auction, ts / 2000 * 2000 - i * 2000 AS w, MAX(price) AS max_price
FROM b, k WHERE ts / 2000 * 2000 - i * 2000 >= 0 GROUP BY 1, 2;
SQL
        ;;
        session) cat <<'SQL'
WITH b AS (SELECT json_extract(j, '$.bidder') AS bidder, json_extract(j, '$.dateTime') AS ts FROM raw),
     f AS (SELECT bidder, ts,
                  CASE WHEN ts - LAG(ts) OVER (PARTITION BY bidder ORDER BY ts) <= 10000
                       THEN 0 ELSE 1 END AS fresh FROM b),
     s AS (SELECT bidder, ts, SUM(fresh) OVER (PARTITION BY bidder ORDER BY ts
                                               ROWS UNBOUNDED PRECEDING) AS sid FROM f)
SELECT bidder, MIN(ts), MAX(ts), COUNT(*) FROM s GROUP BY bidder, sid;
SQL
        ;;
    esac
}
run_sqlite() {
    local q=$1
    sqlite_sql "$q" "$(data_for "$q")" > "$BUILD/agg-$q.sqlite.sql"
    measure "" sqlite3 :memory: ".read $BUILD/agg-$q.sqlite.sql" &&
        row "$q" "sqlite3 $(sqlite3 --version | awk '{print $1}')"
}

# ---- miller ----------------------------------------------------------------
run_mlr() {
    local q=$1 data
    data=$(data_for "$q")
    case "$q" in
        tumble|newkey)
            measure "" mlr --ijsonl --ocsv --headerless-csv-output \
                put '$w = $dateTime // 10000 * 10000' then count -g bidder,w "$data" ;;
        hop)
            measure "" mlr --ijsonl --ocsv --headerless-csv-output \
                put -q 'for (int i = 0; i < 5; i += 1) {
                            w = $dateTime // 2000 * 2000 - i * 2000;
                            if (w >= 0) { emit1 {"auction": $auction, "w": w, "price": $price} }
                        }' \
                then stats1 -a max -f price -g auction,w "$data" ;;
        session)
            measure "" mlr --ijsonl --ocsv --headerless-csv-output \
                sort -nf bidder -nf dateTime \
                then put -q 'b = $bidder; t = $dateTime;
                             if (is_absent(@last[b]) || t - @last[b] > 10000) {
                                 @sid[b] = is_absent(@sid[b]) ? 1 : @sid[b] + 1
                             }
                             @last[b] = t;
                             @n[b][@sid[b]] += 1;
                             end { emit @n, "bidder", "sid" }' "$data" ;;
    esac && row "$q" "mlr $(mlr --version | awk '{print $2}')"
}

# ---- sluice ----------------------------------------------------------------
SLUICE=$BUILD/sluice
STORE=$BUILD/agg-store
sluice_ready() {
    [ -x "$SLUICE" ] || return 1
    case "$("$SLUICE" --help 2>&1)" in *'run FILE'*) return 0 ;; esac
    return 1
}

# sluice_sql QUERY [WINDOW]: the bid stream and one aggregation, EMIT FINAL,
# no grace (the bids are in event-time order). WINDOW replaces the query's
# window clause (the memory runs).
sluice_sql() {
    cat <<'SQL'
CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
                   url VARCHAR, dateTime BIGINT, extra VARCHAR)
  WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
SQL
    local w=${2:-}
    case "$1" in
        tumble|newkey) echo "CREATE TABLE agg AS SELECT bidder, COUNT(*) AS n FROM bid
  WINDOW ${w:-TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS)} GROUP BY bidder EMIT FINAL;" ;;
        hop) echo "CREATE TABLE agg AS SELECT auction, MAX(price) AS max_price FROM bid
  WINDOW ${w:-HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS, GRACE PERIOD 0 SECONDS)} GROUP BY auction EMIT FINAL;" ;;
        session) echo "CREATE TABLE agg AS SELECT bidder, COUNT(*) AS n FROM bid
  WINDOW ${w:-SESSION (10 SECONDS, GRACE PERIOD 0 SECONDS)} GROUP BY bidder EMIT FINAL;" ;;
    esac
}

# load_store NAME DATA: the bids into a fresh template store (untimed),
# record time = dateTime, opened once so nothing is left to recover.
load_store() {
    rm -rf "${STORE:?}/$1"
    mkdir -p "$STORE"
    "$SLUICE" load -d "$STORE/$1" bid "$2" --timestamp dateTime --partitions 1 --retention-ms -1 --quiet
    "$SLUICE" run -d "$STORE/$1" --until-idle --quiet
}

SQL_FILE=""
TEMPLATE=""
sluice_copy() { rm -rf "$STORE/run"; cp -a "$STORE/$TEMPLATE" "$STORE/run"; }
sluice_rows() { "$SLUICE" dump -d "$STORE/run" AGG --from-beginning | wc -l; }

run_sluice() {
    local q=$1
    sluice_ready || { log "sluice: not built (skipping $q)"; return 0; }
    sluice_sql "$q" > "$BUILD/agg-$q.sql"
    SQL_FILE=$BUILD/agg-$q.sql
    TEMPLATE=$([ "$q" = newkey ] && echo newkey || echo bids)
    if measure sluice_copy "$SLUICE" run -d "$STORE/run" "$SQL_FILE" --until-idle --quiet; then
        row "$q" "sluice $("$SLUICE" --version | sed 's/^sluice //')" "$(sluice_rows)"
    else
        log "sluice $q failed"
    fi
}

# ---- memory ----------------------------------------------------------------
# mem_run TEMPLATE QUERY WINDOW: max RSS (KiB, median of RUNS) of sluice
# running QUERY with WINDOW over a copy of TEMPLATE.
mem_run() {
    TEMPLATE=$1
    sluice_sql "$2" "$3" > "$BUILD/agg-mem.sql"
    measure sluice_copy "$SLUICE" run -d "$STORE/run" "$BUILD/agg-mem.sql" --until-idle --quiet || return 1
    echo "$MED_RSS"
}
MEM_LINES=()
memory() {
    sluice_ready || return 0
    local base keys one_key wins nwin nbid
    # per key: every bid its own bidder, all in one open window (1 h, no
    # window closes), against the Nexmark bids (a few thousand bidders)
    base=$(mem_run bids tumble "TUMBLING (SIZE 1 HOUR, GRACE PERIOD 0 SECONDS)") || return 0
    keys=$(mem_run newkey tumble "TUMBLING (SIZE 1 HOUR, GRACE PERIOD 0 SECONDS)") || return 0
    nbid=$(awk '{ match($0, /"bidder":[0-9]+/); print substr($0, RSTART, RLENGTH) }' "$DATA" | sort -u | wc -l)
    MEM_LINES+=("$(awk -v a="$keys" -v b="$base" -v n="$EVENTS" -v k="$nbid" 'BEGIN{
        printf "per key:    %.0f bytes (max RSS %.0f MiB with %d keys open, %.0f MiB with %d)", (a - b) * 1024 / (n - k), a / 1024, n, b / 1024, k }')")
    # per open window: the Nexmark bids in 100 ms tumbling windows kept open
    # by a 1 h grace, against the same bids in one 1 h window
    wins=$(mem_run bids tumble "TUMBLING (SIZE 100 MILLISECONDS, GRACE PERIOD 1 HOUR)") || return 0
    nwin=$(awk '{ match($0, /"bidder":[0-9]+/); b = substr($0, RSTART + 9, RLENGTH - 9)
                  match($0, /"dateTime":[0-9]+/); t = substr($0, RSTART + 11, RLENGTH - 11)
                  printf "%s %.0f\n", b, int(t / 100) }' "$DATA" | sort -u | wc -l)
    MEM_LINES+=("$(awk -v a="$wins" -v b="$base" -v n="$nwin" -v k="$nbid" 'BEGIN{
        printf "per window: %.0f bytes (max RSS %.0f MiB with %d windows open, %.0f MiB with %d)", (a - b) * 1024 / (n - k), a / 1024, n, b / 1024, k }')")
}

# ---- main ------------------------------------------------------------------
ensure_tools
build
make_data
if sluice_ready; then
    log "loading the bids into $STORE"
    load_store bids "$DATA"
    case " $QUERIES " in *" newkey "*) load_store newkey "$DATA_NEWKEY" ;; esac
    [ "$MEMORY" -eq 1 ] && ! [ -d "$STORE/newkey" ] && load_store newkey "$DATA_NEWKEY"
fi

for q in $QUERIES; do
    case "$q" in tumble|hop|session|newkey) ;; *) log "unknown query $q"; exit 2 ;; esac
    log "$q: sqlite3, mlr, sluice x$RUNS"
    run_sqlite "$q" || log "sqlite3 $q failed"
    run_mlr "$q" || log "mlr $q failed"
    run_sluice "$q"
done
[ "$MEMORY" -eq 1 ] && { log "memory runs"; memory; }

echo
echo "Aggregations on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
echo "$EVENTS Nexmark bids, $RATE events/s of event time, seed $SEED, median of $RUNS"
echo
echo "| query   | tool           |   wall s |    cpu s | events/s/core |  RSS MiB |      rows |"
echo "|---------|----------------|----------|----------|---------------|----------|-----------|"
printf '%s\n' "${TABLE[@]}"
if [ "${#MEM_LINES[@]}" -gt 0 ]; then
    echo
    echo "sluice state memory (difference in max RSS / difference in state entries):"
    printf '  %s\n' "${MEM_LINES[@]}"
fi
sluice_ready || echo "(sluice: not built)"
[ "$KEEP" -eq 1 ] || rm -rf "$DATA" "$DATA_NEWKEY" "$STORE"
