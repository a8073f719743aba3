#!/bin/sh
# timestamps.sh: a record the broker would refuse for its timestamp is a
# bad record of the query that wrote it, not a stopped query.
#
# The broker refuses a record timestamped more than
# message.timestamp.after.max.ms (an hour, Kafka 4's default) ahead of its
# clock, and drops the rest of its batch with it. A CSAS whose event time
# is a column reads good records (now) and one two hours ahead; once
# at-least-once and once under exactly_once_v2, `sluice run --until-idle`
# must end with the query running (exit 0, no "stopped on error"), the bad
# record counted as failed, every good record in the sink (read
# read_committed by `sluice dump`) exactly once, and the bad one in the
# processing log with its kind, topic and timestamp. `sluice load
# --timestamp` skips such a record and names its line.
# Usage: tests/kafka/timestamps.sh path/to/sluice BOOTSTRAP
set -u
SLUICE=${1:?usage: timestamps.sh path/to/sluice BOOTSTRAP}
B=${2:?usage: timestamps.sh path/to/sluice BOOTSTRAP}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; cat "$1"; fi
}
expect_not_in() {
    if grep -qF -- "$2" "$1"; then bad "$3: '$2' unexpectedly in $1"; cat "$1"; else ok; fi
}

GOOD=40
# one run: $1 names it, $2 is the processing.guarantee
check() {
    name=$1
    run=ts-$name-$$-$(date +%s)
    mkdir "$name"
    cd "$name" || return
    printf 'bootstrap.servers=%s\nksql.service.id=%s\n' "$B" "$run" > kafka.properties
    { cat kafka.properties; echo "processing.guarantee=$2"; } > worker.properties
    cat > app.sql <<SQL
CREATE STREAM src (id VARCHAR KEY, n INT, ts BIGINT)
  WITH (KAFKA_TOPIC='in-$run', VALUE_FORMAT='JSON', PARTITIONS=2, TIMESTAMP='ts');
SET 'auto.offset.reset'='earliest';
CREATE STREAM copied WITH (KAFKA_TOPIC='out-$run') AS SELECT id, n FROM src EMIT CHANGES;
SQL
    now=$(($(date +%s) * 1000))
    future=$((now + 2 * 3600 * 1000))
    # the bad record in the middle, among good ones of the same key
    # (the times as strings: awk's %d stops at 2^31)
    awk -v g="$GOOD" -v now="$now" -v fut="$future" 'BEGIN {
        for (i = 1; i <= g; i++) {
            printf "{\"id\":\"k%d\",\"n\":%d,\"ts\":%s}\n", i % 4, i, now
            if (i == g / 2) printf "{\"id\":\"k1\",\"n\":0,\"ts\":%s}\n", fut
        } }' > input.jsonl
    "$SLUICE" -d w --config-file kafka.properties -f app.sql > setup.out 2>&1 ||
        { bad "$name: the statements failed"; cat setup.out; cd ..; return; }
    "$SLUICE" load --config-file kafka.properties -q "in-$run" input.jsonl --key id > load.out 2>&1 ||
        { bad "$name: the load failed"; cat load.out; cd ..; return; }
    if "$SLUICE" run -d w --config-file worker.properties --until-idle > run.out 2> run.err; then
        ok
    else
        bad "$name: sluice run exited $?"
        cat run.err
    fi
    expect_not_in run.err "stopped on error" "$name: the query keeps running"
    expect_in run.err "$((GOOD + 1)) read, $GOOD written, 0 filtered, 1 failed" \
        "$name: the bad record is counted as failed"
    "$SLUICE" dump --config-file kafka.properties "out-$run" --from-beginning > out.jsonl 2>dump.err
    [ "$(wc -l < out.jsonl)" -eq "$GOOD" ] && ok ||
        { bad "$name: the sink has $(wc -l < out.jsonl) records, wanted $GOOD"; cat dump.err; }
    # every good n once, the bad one (n 0) not at all
    sed 's/.*\\"N\\":\([0-9]*\).*/\1/' out.jsonl | sort -n | uniq > ns.txt
    seq 1 "$GOOD" > want.txt
    cmp -s ns.txt want.txt && ok || { bad "$name: the sink's records are not 1..$GOOD once each"; diff want.txt ns.txt | head; }
    "$SLUICE" dump --config-file kafka.properties "${run}sluice_processing_log" --from-beginning 2>/dev/null |
        grep -F "out-$run" > pl.jsonl
    [ "$(wc -l < pl.jsonl)" -eq 1 ] && ok ||
        { bad "$name: $(wc -l < pl.jsonl) processing-log entries name the sink, wanted 1"; cat pl.jsonl; }
    expect_in pl.jsonl 'ERROR_KIND\":\"PRODUCTION' "$name: the entry's kind"
    expect_in pl.jsonl "timestamp $future" "$name: the entry names the record's timestamp"
    expect_in pl.jsonl "message.timestamp.after.max.ms" "$name: the entry names the setting"
    # sluice load skips such a record too, and says so (exit 1)
    printf '{"id":"a","ts":%s}\n{"id":"b","ts":%s}\n{"id":"c","ts":%s}\n' \
        "$now" "$future" "$now" > load.jsonl
    "$SLUICE" load --config-file kafka.properties "in-$run" load.jsonl --key id --timestamp ts \
        > load2.out 2> load2.err
    [ $? -eq 1 ] && ok || bad "$name: load of a refused record did not exit 1"
    expect_in load2.out "loaded 2 records" "$name: load writes the good records"
    expect_in load2.err "line 2 skipped: timestamp $future" "$name: load names the refused line"
    cd ..
}

check alos at_least_once
check eos exactly_once_v2

printf 'kafka timestamps: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
