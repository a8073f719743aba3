#!/usr/bin/env bash
# bench/server/run.sh: load on one worker (`sluice server`) over HTTP.
#
# What it does: builds sluice and bench_server in build-bench-server/
# (Release), starts a worker on a free loopback port over a fresh data
# directory, and creates
#   ev      a stream (k INT KEY, v BIGINT), 2 partitions
#   totals  a table: SUM(v) and COUNT(*) per k (CREATE TABLE ... AS ... GROUP BY)
#   pings   a stream (id BIGINT KEY, sent_us BIGINT), 1 partition
# fills ev with 10 rows for each of KEYS keys through /inserts-stream and
# waits until totals holds them all. Then, timed by bench_server (libcurl's
# multi interface, one process):
#   pull  CONNECTIONS clients send pull queries by key on totals
#         (POST /query-stream) back to back for SECONDS: requests/s and
#         request latency p50 / p99 / max;
#   push  SUBSCRIBERS push queries on pings (POST /query-stream, EMIT
#         CHANGES) held open while one /inserts-stream request streams
#         RATE rows a second into pings for SECONDS: delivery latency from
#         insert to subscriber p50 / p99 / max, deliveries made of those
#         due, subscribers held.
# Around each phase it reads the worker's CPU time (/proc/PID/stat) and
# prints it with the machine's load average and core count.
# It never fails on timing: no thresholds. It exits 1 when a request
# failed or a delivery was missing.
#
# usage: bench/server/run.sh [--seconds S] [--connections C] [--subscribers N]
#                            [--rate R] [--keys K]
#   defaults: 10 s, 8 connections, 16 subscribers, 200 rows/s, 1000 keys
#   environment: BUILD (build directory), SLUICE and BENCH_SERVER (use
#   these binaries instead of building)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-server}
SECONDS_=10
CONNS=8
SUBS=16
RATE=200
KEYS=1000

usage() { sed -n '/^# usage:/,/^#   these binaries/p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_=$2; shift 2 ;;
        --connections) CONNS=$2; shift 2 ;;
        --subscribers) SUBS=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --keys) KEYS=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/server/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$SECONDS_$CONNS$SUBS$RATE$KEYS" in
    *[!0-9]*) echo "bench/server/run.sh: the options take whole numbers" >&2; exit 2 ;;
esac
for v in "$SECONDS_" "$CONNS" "$SUBS" "$RATE" "$KEYS"; do
    [ "$v" -ge 1 ] || { echo "bench/server/run.sh: the options must be >= 1" >&2; exit 2; }
done

log() { echo "bench/server: $*" >&2; }

# ---- build -----------------------------------------------------------------
if [ -z "${SLUICE:-}" ] || [ -z "${BENCH_SERVER:-}" ]; then
    "$ROOT/scripts/deps"
    log "building in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DSLUICE_TESTS=OFF -DSLUICE_BENCH=ON >/dev/null
    ninja -C "$BUILD" sluice bench_server >/dev/null
    SLUICE=$BUILD/sluice
    BENCH_SERVER=$BUILD/bench_server
fi

# ---- the worker ------------------------------------------------------------
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
"$SLUICE" server -d "$tmp/data" --listen 127.0.0.1:0 --max-connections $((CONNS + SUBS + 16)) \
    --max-push-queries $((SUBS + 4)) 2>"$tmp/server.err" &
pid=$!
URL=
for _ in $(seq 300); do
    URL=$(sed -n 's/^sluice server: listening on \(http:\/\/[^;]*\);.*/\1/p' "$tmp/server.err")
    [ -n "$URL" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$URL" ] || { cat "$tmp/server.err" >&2; log "the worker did not start"; exit 1; }

ksql() {
    curl -sS -X POST "$URL/ksql" -H 'Content-Type: application/json' --data-binary @- > "$tmp/ksql.json"
    grep -q '"statement_error"\|"generic_error"' "$tmp/ksql.json" && { cat "$tmp/ksql.json" >&2; exit 1; }
    return 0
}
ksql <<'EOF'
{"ksql": "CREATE STREAM ev (k INT KEY, v BIGINT) WITH (KAFKA_TOPIC='ev', VALUE_FORMAT='JSON', PARTITIONS=2); CREATE TABLE totals AS SELECT k, SUM(v) AS total, COUNT(*) AS n FROM ev GROUP BY k EMIT CHANGES; CREATE STREAM pings (id BIGINT KEY, sent_us BIGINT) WITH (KAFKA_TOPIC='pings', VALUE_FORMAT='JSON', PARTITIONS=1);",
 "streamsProperties": {"auto.offset.reset": "earliest"}}
EOF
log "filling totals: $((KEYS * 10)) rows over $KEYS keys"
{ echo '{"target":"ev"}'; seq 0 $((KEYS * 10 - 1)) | awk -v k="$KEYS" '{ printf "{\"k\":%d,\"v\":%d}\n", $1 % k, $1 }'; } |
    curl -sS -X POST "$URL/inserts-stream" --data-binary @- > "$tmp/seed.acks"
[ "$(grep -c '"status":"ok"' "$tmp/seed.acks")" -eq $((KEYS * 10)) ] || { log "the seed rows were refused"; exit 1; }
last=$((KEYS - 1))
for _ in $(seq 600); do
    curl -sS -X POST "$URL/query-stream" \
        -d "{\"sql\":\"SELECT n FROM totals WHERE k = $last;\"}" | grep -q '^\[10\]$' && break
    sleep 0.1
done

cpu_s() { awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$pid/stat"; }
machine() {
    echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "$("$SLUICE" --version 2>&1 | head -1), worker at $URL, $KEYS keys in totals"
machine
c0=$(cpu_s)
rc=0
"$BENCH_SERVER" pull "$URL" "$SECONDS_" "$CONNS" "$KEYS" || rc=1
c1=$(cpu_s)
echo "  the worker's CPU: $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }') s"
machine
"$BENCH_SERVER" push "$URL" "$SECONDS_" "$SUBS" "$RATE" || rc=1
c2=$(cpu_s)
echo "  the worker's CPU: $(awk -v a="$c1" -v b="$c2" 'BEGIN { printf "%.2f", b - a }') s"
machine
exit $rc
