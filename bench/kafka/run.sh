#!/usr/bin/env bash
# bench/kafka/run.sh: sluice, Kafka Streams and kcat on a real Kafka broker.
#
# What it does: builds sluice and nexmark_gen in build-bench-kafka/
# (Release), compiles the Kafka Streams peer (bench/peers/, resolved from
# Maven Central; only when --tools has streams), starts a real Apache Kafka broker (tests/kafka/broker.sh),
# generates N Nexmark bids (event time advancing at RATE events/s) and loads
# them once into topic `bid` (`sluice load --timestamp dateTime`: record
# timestamp = dateTime), then, in the same run over that same topic, times:
#   kcat     `kcat -C -e` of the whole topic to /dev/null: the floor, what
#            reading the records costs a client that does nothing with them
#   sluice   `sluice run q.sql --until-idle` with a fresh service id per run
#            (so its own consumer group, command topic and output topic)
#   streams  the same query written with Kafka Streams (NexmarkStreams.java),
#            a fresh application.id per run, stopped once it has read N bids
# for the queries
#   q1       every bid with price * 0.908 (exact decimal)
#   q2       (auction, price) of the bids whose auction is a multiple of 123
#   count    bids per bidder in 10 s tumbling windows, no grace, one result
#            per closed window (EMIT FINAL; Kafka Streams: onWindowClose)
# Each is run RUNS times; the figures are medians of the process's CPU time
# (user + sys, /usr/bin/time: the JVM's start included, the broker's work
# not) and wall time. Reported: CPU s, events/s per core (events / CPU s),
# CPU µs per event, the ratio of Kafka Streams' CPU to the tool's (how many
# times cheaper than Kafka Streams) and of the tool's CPU to kcat's (how
# many times the floor), and the records written (checked: q1 writes every
# bid, q2 the bids of auctions that are multiples of 123, and sluice's count
# as many windows as Kafka Streams'). Stops the broker at the end, whatever
# happens. It never fails on timing: no thresholds.
#
# usage: bench/kafka/run.sh [--events N] [--rate R] [--seed S] [--runs R]
#                           [--queries "q1 q2 count"] [--tools "kcat sluice streams"]
#                           [--keep]
#   --tools  which clients to run (default all three; without streams
#            neither Java nor Maven is needed)
#   environment: EVENTS, RATE, SEED, RUNS, QUERIES, TOOLS, BUILD (build directory),
#                STREAMS_JAVA_OPTS (JVM options of Kafka Streams, default -Xmx1g)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench-kafka}
EVENTS=${EVENTS:-500000}
RATE=${RATE:-10000}
SEED=${SEED:-0}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-"q1 q2 count"}
TOOLS=${TOOLS:-"kcat sluice streams"}
STREAMS_VERSION=""
STREAMS_JAVA_OPTS=${STREAMS_JAVA_OPTS:--Xmx1g}
KEEP=0

usage() { sed -n '/^# usage:/,/^#   *STREAMS_JAVA_OPTS/p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --events|-n) EVENTS=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --queries) QUERIES=$2; shift 2 ;;
        --tools) TOOLS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/kafka/run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
case "$EVENTS$RUNS$RATE$SEED" in *[!0-9]*) echo "bench/kafka/run.sh: --events, --rate, --seed and --runs take numbers" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$EVENTS" -ge 1 ] && [ "$RATE" -ge 1 ] ||
    { echo "bench/kafka/run.sh: --events, --rate and --runs must be >= 1" >&2; exit 2; }
for q in $QUERIES; do
    case "$q" in q1|q2|count) ;; *) echo "bench/kafka/run.sh: unknown query $q (q1, q2, count)" >&2; exit 2 ;; esac
done
for t in $TOOLS; do
    case "$t" in kcat|sluice|streams) ;; *) echo "bench/kafka/run.sh: unknown tool $t (kcat, sluice, streams)" >&2; exit 2 ;; esac
done
# wants TOOL: whether --tools names it
wants() { case " $TOOLS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

log() { echo "bench/kafka: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- dependencies ----------------------------------------------------------
ensure_tools() {
    "$ROOT/scripts/deps"
    local missing=""
    command -v kcat >/dev/null 2>&1 || missing="$missing kcat"
    # the broker runs on Java whatever the tools; Kafka Streams also needs a JDK and Maven
    command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
    if wants streams; then
        command -v javac >/dev/null 2>&1 || missing="$missing openjdk-17-jdk-headless"
        command -v mvn >/dev/null 2>&1 || missing="$missing maven"
    fi
    [ -x /usr/bin/time ] || missing="$missing time"
    if [ -n "$missing" ]; then
        log "installing$missing"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
}

# ---- build -----------------------------------------------------------------
SLUICE=$BUILD/sluice
build() {
    log "building sluice in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DSLUICE_TESTS=OFF -DSLUICE_BENCH=ON >/dev/null
    ninja -C "$BUILD" nexmark_gen sluice >/dev/null || die "sluice did not build"
    wants streams || return 0
    log "compiling the Kafka Streams peer (bench/peers; the first time resolves it from Maven Central)"
    if ! mvn -q -B -f "$ROOT/bench/peers/pom.xml" -Dpeers.build.dir="$BUILD/peers" \
            compile dependency:build-classpath -Dmdep.outputFile="$BUILD/peers/classpath.txt" \
            >"$BUILD/peers-mvn.log" 2>&1; then
        tail -n 30 "$BUILD/peers-mvn.log" >&2
        die "the Kafka Streams peer did not build (log: $BUILD/peers-mvn.log)"
    fi
    STREAMS_CP=$BUILD/peers/classes:$(cat "$BUILD/peers/classpath.txt")
    STREAMS_VERSION=$(tr ':' '\n' < "$BUILD/peers/classpath.txt" |
        sed -n 's|.*/kafka-streams-\([0-9][0-9.]*\)\.jar$|\1|p' | head -1)
}

# ---- the broker ------------------------------------------------------------
WORK=""
BROKER_STATE=""
cleanup() {
    [ -n "$BROKER_STATE" ] && "$ROOT/tests/kafka/broker.sh" stop "$BROKER_STATE" >/dev/null 2>&1
    [ -n "$WORK" ] && rm -rf "$WORK"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_broker() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-kafka.XXXXXX")
    BROKER_STATE=$WORK/broker
    if ! SLUICE_KAFKA_OWNER_PID=$$ "$ROOT/tests/kafka/broker.sh" start "$BROKER_STATE" >"$WORK/start.out" 2>&1; then
        cat "$WORK/start.out" >&2
        die "the broker did not start"
    fi
    B=$(sed -n 's/^BOOTSTRAP=//p' "$WORK/start.out")
    log "Apache Kafka broker at $B"
}

# ---- timing ----------------------------------------------------------------
# measure PREPARE COMMAND: RUNS times, PREPARE I (untimed; "" for none; I is
# the run's number, from 0) and COMMAND I, which sets CMD to the command
# line of run I, then runs CMD (stdout to /dev/null) under /usr/bin/time;
# sets MED_WALL and MED_CPU (user + sys, s) to the medians.
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
CMD=()
measure() {
    local prep=$1 command=$2 walls=() cpus=() t i
    for ((i = 0; i < RUNS; i++)); do
        [ -n "$prep" ] && "$prep" "$i"
        "$command" "$i"
        if ! /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "${CMD[@]}" \
                >/dev/null 2>"$WORK/stderr.txt"; then
            log "${CMD[*]} failed:"; tail -5 "$WORK/stderr.txt" >&2; return 1
        fi
        t=$(tail -1 "$WORK/time.txt")
        walls+=("$(echo "$t" | awk '{print $1}')")
        cpus+=("$(echo "$t" | awk '{printf "%.3f", $2 + $3}')")
    done
    MED_WALL=$(printf '%s\n' "${walls[@]}" | median)
    MED_CPU=$(printf '%s\n' "${cpus[@]}" | median)
}

# results: CPU[tool/query], WALL[tool/query], OUT[tool/query] (records written)
declare -A CPU WALL OUT

# records in a topic (read to its end by kcat)
topic_count() { kcat -C -b "$B" -t "$1" -e -q -f '\n' 2>/dev/null | wc -l; }

# ---- the data --------------------------------------------------------------
load_bids() {
    mkdir -p "$BUILD/data"
    DATA=$BUILD/data/bid-$EVENTS-r$RATE-s$SEED.jsonl
    log "generating $EVENTS bids (rate $RATE/s, seed $SEED)"
    "$BUILD/nexmark_gen" --events "$EVENTS" --seed "$SEED" --rate "$RATE" --kind bid > "$DATA"
    LOAD_LINE=$("$SLUICE" load -d "$WORK/load" --bootstrap-servers "$B" bid "$DATA" \
        --timestamp dateTime --partitions 1 --retention-ms -1) || die "sluice load failed"
    log "$LOAD_LINE"
    [ "$(topic_count bid)" -eq "$EVENTS" ] || die "topic bid does not hold $EVENTS records"
    # q2's output: bids whose auction (the first field) is a multiple of 123
    WANT_Q2=$(awk -F'[:,]' '$2 % 123 == 0' "$DATA" | wc -l)
}

# ---- kcat: the floor -------------------------------------------------------
run_kcat() {
    log "kcat -C x$RUNS"
    kcat_cmd() { CMD=(kcat -C -b "$B" -t bid -o beginning -e -q); }
    measure "" kcat_cmd
    CPU[kcat/all]=$MED_CPU
    WALL[kcat/all]=$MED_WALL
    OUT[kcat/all]=-             # it writes nothing
}

# ---- sluice ----------------------------------------------------------------
# The outputs carry the bids' event times (2015) as record timestamps: with
# the default retention (7 days) the broker's first retention check, half a
# minute after it starts, deletes what was written so far (the records
# counted afterwards came up short). The output topics keep 100 years.
KEEP_MS=3153600000000
# The statements of query $1 writing topic $2, in our dialect (ksqlDB's).
sluice_sql() {
    cat <<'SQL'
CREATE STREAM bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
                   url VARCHAR, dateTime BIGINT, extra VARCHAR)
  WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
SQL
    case "$1" in
        q1) echo "CREATE STREAM q1 WITH (KAFKA_TOPIC='$2', RETENTION_MS=$KEEP_MS) AS SELECT auction, bidder, price * 0.908 AS price, channel, url, dateTime, extra FROM bid EMIT CHANGES;" ;;
        q2) echo "CREATE STREAM q2 WITH (KAFKA_TOPIC='$2', RETENTION_MS=$KEEP_MS) AS SELECT auction, price FROM bid WHERE auction % 123 = 0 EMIT CHANGES;" ;;
        count) echo "CREATE TABLE cnt WITH (KAFKA_TOPIC='$2', RETENTION_MS=$KEEP_MS) AS SELECT bidder, COUNT(*) AS n FROM bid
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY bidder EMIT FINAL;" ;;
    esac
}
SL_Q=""
sluice_prep() {
    local i=$1
    sluice_sql "$SL_Q" "sluice-$SL_Q-$i" > "$WORK/sluice-$SL_Q-$i.sql"
    rm -rf "$WORK/sluice-data"
}
sluice_q() {
    CMD=(env "SLUICE_SERVICE_ID=bench-$$-$SL_Q-$1" "$SLUICE" run -d "$WORK/sluice-data"
         --bootstrap-servers "$B" "$WORK/sluice-$SL_Q-$1.sql" --until-idle --quiet)
}
run_sluice() {
    SL_Q=$1
    log "$SL_Q: sluice x$RUNS"
    measure sluice_prep sluice_q || { log "sluice $SL_Q failed"; return 0; }
    CPU[sluice/$SL_Q]=$MED_CPU
    WALL[sluice/$SL_Q]=$MED_WALL
    OUT[sluice/$SL_Q]=$(topic_count "sluice-$SL_Q-$((RUNS - 1))")
}

# ---- Kafka Streams ---------------------------------------------------------
# Its output topics must exist (it creates only its internal ones): all of
# them are created up front, untimed, by one sluice invocation.
create_streams_topics() {
    local q i
    for q in $QUERIES; do
        for ((i = 0; i < RUNS; i++)); do
            echo "CREATE STREAM ks_${q}_$i (k VARCHAR KEY, v VARCHAR) WITH (KAFKA_TOPIC='streams-$q-$i', VALUE_FORMAT='KAFKA', PARTITIONS=1, RETENTION_MS=$KEEP_MS);"
        done
    done > "$WORK/streams-topics.sql"
    SLUICE_SERVICE_ID="bench-$$-topics" "$SLUICE" -d "$WORK/topics-data" --bootstrap-servers "$B" \
        -f "$WORK/streams-topics.sql" >/dev/null || die "creating Kafka Streams' output topics failed"
}
KS_Q=""
streams_prep() { rm -rf "$WORK/streams-state"; }
# --idle-ms: Kafka Streams' windowed count was seen reading nothing for
# more than 5 s in the middle of the input on a busy machine; a run ends
# when it has read every bid, and only fails after 60 s of nothing.
streams_q() {
    local opts
    read -r -a opts <<<"$STREAMS_JAVA_OPTS"
    CMD=(java "${opts[@]}" -cp "$STREAMS_CP" sluice.bench.NexmarkStreams
         --bootstrap-servers "$B" --query "$KS_Q" --application-id "bench-$$-$KS_Q-$1"
         --output "streams-$KS_Q-$1" --records "$EVENTS" --idle-ms 60000 --state-dir "$WORK/streams-state")
}
run_streams() {
    KS_Q=$1
    log "$KS_Q: Kafka Streams x$RUNS"
    measure streams_prep streams_q || { log "Kafka Streams $KS_Q failed"; return 0; }
    CPU[streams/$KS_Q]=$MED_CPU
    WALL[streams/$KS_Q]=$MED_WALL
    OUT[streams/$KS_Q]=$(topic_count "streams-$KS_Q-$((RUNS - 1))")
}

# ---- checks ----------------------------------------------------------------
CHECKS=()
check_outputs() {
    local q tool want
    for q in $QUERIES; do
        for tool in sluice streams; do
            [ -n "${OUT[$tool/$q]:-}" ] || continue
            case "$q" in
                q1) want=$EVENTS ;;
                q2) want=$WANT_Q2 ;;
                count) want=${OUT[streams/$q]:-${OUT[sluice/$q]}} ;;
            esac
            if [ "${OUT[$tool/$q]}" -eq "$want" ]; then
                CHECKS+=("ok: $tool $q wrote ${OUT[$tool/$q]} records")
            else
                CHECKS+=("MISMATCH: $tool $q wrote ${OUT[$tool/$q]} records, wanted $want")
            fi
        done
    done
}

# ---- the table -------------------------------------------------------------
# row TOOL QUERY KEY: one line from CPU/WALL/OUT[KEY]; ratios against
# Kafka Streams' CPU for the query and kcat's
row() {
    local tool=$1 q=$2 key=$3
    [ -n "${CPU[$key]:-}" ] || return 0
    awk -v tool="$tool" -v q="$q" -v n="$EVENTS" -v c="${CPU[$key]}" -v w="${WALL[$key]}" \
        -v ks="${CPU[streams/$q]:-0}" -v kc="${CPU[kcat/all]:-0}" -v out="${OUT[$key]}" 'BEGIN{
        epc = (c > 0) ? n / c : 0
        vks = (ks > 0 && c > 0) ? sprintf("%.1fx", ks / c) : "-"
        vkc = (kc > 0) ? sprintf("%.2fx", c / kc) : "-"
        printf "| %-5s | %-20s | %7.2f | %7.2f | %13.0f | %9.2f | %10s | %7s | %9s |\n",
            q, tool, w, c, epc, c * 1e6 / n, vks, vkc, out }'
}
table() {
    local q
    echo
    echo "Nexmark on a real Kafka broker (Apache Kafka 4.1.1, one partition), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
    echo "$EVENTS bids, $RATE events/s of event time, seed $SEED, median of $RUNS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cpu s = user + sys of the client process (JVM start included; the broker's own CPU not counted)"
    echo "vs streams = Kafka Streams' cpu / this cpu; vs kcat = this cpu / kcat -C's cpu (the floor)"
    echo
    echo "| query | tool                 |  wall s |   cpu s | events/s/core | cpu µs/ev | vs streams | vs kcat |   records |"
    echo "|-------|----------------------|---------|---------|---------------|-----------|------------|---------|-----------|"
    row "kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p' | head -1) -C" "(all)" kcat/all
    for q in $QUERIES; do
        row "sluice $("$SLUICE" --version | sed 's/^sluice //')" "$q" "sluice/$q"
        row "Kafka Streams $STREAMS_VERSION" "$q" "streams/$q"
    done
    echo
    [ -n "${LOAD_LINE:-}" ] && echo "sluice load: $LOAD_LINE"
    printf '%s\n' "${CHECKS[@]}"
}

# ---- main ------------------------------------------------------------------
ensure_tools
build
start_broker
load_bids
if wants streams; then create_streams_topics; fi
if wants kcat; then run_kcat; fi
for q in $QUERIES; do
    if wants sluice; then run_sluice "$q"; fi
    if wants streams; then run_streams "$q"; fi
done
check_outputs
table
[ "$KEEP" -eq 1 ] || rm -f "$DATA"
