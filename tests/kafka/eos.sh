#!/bin/sh
# eos.sh: exactly-once on Kafka (processing.guarantee = exactly_once_v2)
# through a worker killed with SIGKILL again and again.
#
# A filter query (CSAS), a COUNT per key in tumbling windows (CTAS), a
# COUNT grouped by n % 13 (not the input key: two stages through a
# repartition topic, each with its own transactions) and, over the same
# input read as a TABLE (the last n per id), a COUNT and SUM grouped by
# n % 7 (two stages too: stage 1 keeps each id's row and sends a change as a
# retraction and an addition) run in `sluice run`
# while the input is loaded in chunks; the worker is killed
# with kill -9 at a random moment while it works through a chunk, KILLS
# times, each time started again (the committed output so far is shown). At
# the end a last run consumes what is left (--until-idle), and the
# committed output, read read_committed with `sluice dump`, must equal the
# expected output: every record that passes the filter exactly once (none
# missing, none twice), for every key a final count equal to the number of
# its input records, and for every n % 13 the same; for every n % 7 the
# number and sum of the ids' last n in that group.
# The worker runs with processing.guarantee=exactly_once_v2 in its config
# file; the loads and dumps run without it (reads are read_committed).
# Usage: tests/kafka/eos.sh path/to/sluice BOOTSTRAP [RECORDS [KILLS]]
set -u
SLUICE=${1:?usage: eos.sh path/to/sluice BOOTSTRAP [RECORDS [KILLS]]}
B=${2:?usage: eos.sh path/to/sluice BOOTSTRAP [RECORDS [KILLS]]}
RECORDS=${3:-40000}
KILLS=${4:-6}
KEYS=40
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
tmp=$(mktemp -d)
worker=
cleanup() {
    [ -n "$worker" ] && kill -9 "$worker" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

run=eos-$$-$(date +%s)
printf 'bootstrap.servers=%s\nksql.service.id=%s\n' "$B" "$run" > kafka.properties
{ cat kafka.properties; echo 'processing.guarantee=exactly_once_v2'; } > worker.properties
cat > app.sql <<SQL
CREATE STREAM src (id VARCHAR KEY, n INT)
  WITH (KAFKA_TOPIC='in-$run', VALUE_FORMAT='JSON', PARTITIONS=2);
SET 'auto.offset.reset'='earliest';
SET 'commit.interval.ms'='200';
CREATE STREAM kept WITH (KAFKA_TOPIC='kept-$run') AS
  SELECT id, n FROM src WHERE n % 3 <> 0 EMIT CHANGES;
CREATE STREAM even WITH (KAFKA_TOPIC='even-$run') AS
  SELECT id, n FROM kept WHERE n % 2 = 0 EMIT CHANGES;
CREATE TABLE counts WITH (KAFKA_TOPIC='counts-$run') AS
  SELECT id, AS_VALUE(id) AS who, COUNT(*) AS c FROM src WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY id EMIT CHANGES;
CREATE TABLE bymod WITH (KAFKA_TOPIC='bymod-$run') AS
  SELECT n % 13 AS m, AS_VALUE(n % 13) AS mm, COUNT(*) AS c FROM src GROUP BY n % 13 EMIT CHANGES;
CREATE TABLE latest (id VARCHAR PRIMARY KEY, n INT)
  WITH (KAFKA_TOPIC='in-$run', VALUE_FORMAT='JSON');
CREATE TABLE bylast WITH (KAFKA_TOPIC='bylast-$run') AS
  SELECT n % 7 AS m, AS_VALUE(n % 7) AS mm, COUNT(*) AS c, SUM(n) AS s FROM latest
  GROUP BY n % 7 EMIT CHANGES;
SQL

# the input: n = 1..RECORDS, keys k0..k39 round the clock
awk -v n="$RECORDS" -v k="$KEYS" 'BEGIN {
    for (i = 1; i <= n; i++) printf "{\"id\":\"k%d\",\"n\":%d}\n", i % k, i }' > input.jsonl
"$SLUICE" -d w --config-file kafka.properties -f app.sql >setup.out 2>&1 ||
    { cat setup.out; echo "eos.sh: the statements failed" >&2; exit 1; }
per=$(( (RECORDS + KILLS) / (KILLS + 1) ))
split -l "$per" -d -a 3 input.jsonl chunk.
# loads a chunk in small commits, so the input keeps coming
load() {
    "$SLUICE" load --config-file kafka.properties -q -b 500 "in-$run" "$1" --key id \
        >>load.out 2>&1 || { echo "$1" >> load.failed; }
}

start_worker() {
    "$SLUICE" run -d w --config-file worker.properties "$@" \
        >>worker.out 2>>worker.err &
    worker=$!
}
# the records of a topic committed so far
committed() {
    "$SLUICE" dump --config-file kafka.properties "$1" --from-beginning 2>/dev/null | wc -l
}

# the worker has said it runs its queries: its start-up is over
# and its consumer groups have given it the partitions of its 5 queries
# (7 groups: bymod's and bylast's two stages have one each; after a kill,
# once the killed worker's session timed out)
started() {
    n=0
    while { [ "$(grep -c 'running until' worker.err)" -lt "$1" ] ||
            [ "$(grep -c 'assigned; this worker owns' worker.err)" -lt $(($1 * 7)) ]; } &&
        [ "$n" -lt 600 ] && kill -0 "$worker" 2>/dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
}

# a chunk of input loaded after each start-up, and kill -9 between 0.3 and
# 1.5 s later: mid-stream, while the queries work through it (they commit
# every 200 ms, so a kill comes after commits of the run, between two)
touch worker.err
kills=0
starts=0
progress=
while [ "$kills" -lt "$KILLS" ] && [ "$starts" -lt $((KILLS * 3)) ]; do
    starts=$((starts + 1))
    start_worker
    started "$starts"
    chunk=$(ls chunk.* 2>/dev/null | head -n 1)
    [ -n "$chunk" ] && { load "$chunk"; rm -f "$chunk"; } &
    loader=$!
    sleep "$(awk -v s="$$$kills" 'BEGIN { srand(s); printf "%.1f", 0.3 + rand() * 1.2 }')"
    kill -9 "$worker" 2>/dev/null && kills=$((kills + 1))
    wait "$worker" 2>/dev/null
    worker=
    wait "$loader"
    progress="$progress $(committed "kept-$run")"
done
for chunk in chunk.*; do
    [ -f "$chunk" ] && load "$chunk"
done
start_worker --until-idle
n=0
while kill -0 "$worker" 2>/dev/null && [ "$n" -lt 3000 ]; do      # 5 minutes at most
    sleep 0.1
    n=$((n + 1))
done
kill -9 "$worker" 2>/dev/null && echo "eos.sh: the last run did not become idle" >&2
wait "$worker"
status=$?
worker=
[ "$status" -eq 0 ] && ok || { bad "the last run exited $status"; tail -n 20 worker.err; }
[ -f load.failed ] && { bad "loading $(cat load.failed) failed"; cat load.out; }

# ---- the filters: each record kept exactly once ----
# check_filter TOPIC AWK-CONDITION
check_filter() {
    awk -F'"n":' "{ n = \$2 + 0; if ($2) print n }" input.jsonl | sort -n > "want-$1.txt"
    "$SLUICE" dump --config-file kafka.properties "$1" --from-beginning >"$1.json" 2>dump.err ||
        { cat dump.err; bad "dump $1"; }
    sed -n 's/.*\\"N\\":\([0-9]*\).*/\1/p' "$1.json" | sort -n > "got-$1.txt"
    if cmp -s "want-$1.txt" "got-$1.txt"; then
        ok
    else
        bad "$1: $(wc -l < "got-$1.txt") records, wanted $(wc -l < "want-$1.txt");" \
            "missing: $(comm -23 "want-$1.txt" "got-$1.txt" | wc -l)," \
            "twice or more: $(uniq -d "got-$1.txt" | wc -l)"
    fi
}
check_filter "kept-$run" 'n % 3 != 0'
# a query reading another's output, read_committed past its transaction
# markers (the last run could not end --until-idle otherwise)
check_filter "even-$run" 'n % 3 != 0 && n % 2 == 0'

# ---- the counts: the last count of every key and window adds up ----
"$SLUICE" dump --config-file kafka.properties "counts-$run" --from-beginning >counts.json \
    2>dump.err || { cat dump.err; bad "dump counts-$run"; }
# the last value per record key (key and window), then per id the sum
awk -F'"key":' '{ split($2, a, ",\"value\":"); last[a[1]] = a[2] }
    END { for (k in last) print last[k] }' counts.json |
    sed -n 's/.*\\"WHO\\":\\"\([^\\]*\)\\".*\\"C\\":\([0-9]*\).*/\1 \2/p' |
    awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort > got_counts.txt
awk -F'"id":"' '{ split($2, a, "\""); c[a[1]]++ } END { for (k in c) print k, c[k] }' \
    input.jsonl | sort > want_counts.txt
if cmp -s want_counts.txt got_counts.txt; then
    ok
else
    bad "counts-$run: per key counts differ (want, got):"
    diff want_counts.txt got_counts.txt | head -n 10
fi

# ---- GROUP BY n % 13, through the repartition topic: exact counts ----
"$SLUICE" dump --config-file kafka.properties "bymod-$run" --from-beginning >bymod.json \
    2>dump.err || { cat dump.err; bad "dump bymod-$run"; }
awk -F'"key":' '{ split($2, a, ",\"value\":"); last[a[1]] = a[2] }
    END { for (k in last) print last[k] }' bymod.json |
    sed -n 's/.*\\"MM\\":\([0-9]*\).*\\"C\\":\([0-9]*\).*/\1 \2/p' | sort > got_bymod.txt
awk -F'"n":' '{ c[($2 + 0) % 13]++ } END { for (k in c) print k, c[k] }' input.jsonl |
    sort > want_bymod.txt
if cmp -s want_bymod.txt got_bymod.txt; then
    ok
else
    bad "bymod-$run: counts per n % 13 differ (want, got):"
    diff want_bymod.txt got_bymod.txt | head -n 10
fi

# ---- the TABLE grouped by n % 7: each id's last row, in its group once ----
"$SLUICE" dump --config-file kafka.properties "bylast-$run" --from-beginning >bylast.json \
    2>dump.err || { cat dump.err; bad "dump bylast-$run"; }
# groups left empty end with a count of 0
awk -F'"key":' '{ split($2, a, ",\"value\":"); last[a[1]] = a[2] }
    END { for (k in last) print last[k] }' bylast.json |
    sed -n 's/.*\\"MM\\":\([0-9]*\).*\\"C\\":\([0-9]*\).*\\"S\\":\([0-9]*\).*/\1 \2 \3/p' |
    awk '$2 != 0' | sort > got_bylast.txt
awk -F'"id":"' '{ split($2, a, "\""); split($2, b, "\"n\":"); last[a[1]] = b[2] + 0 }
    END { for (k in last) { c[last[k] % 7]++; s[last[k] % 7] += last[k] }
          for (m in c) print m, c[m], s[m] }' input.jsonl | sort > want_bylast.txt
if [ -s want_bylast.txt ] && cmp -s want_bylast.txt got_bylast.txt; then
    ok
else
    bad "bylast-$run: count and sum per n % 7 of the ids' last rows differ (want, got):"
    diff want_bylast.txt got_bylast.txt | head -n 10
fi

printf 'kafka eos: %d records, the worker killed %d times (kept records committed at each kill:%s); kept %d of %d, %d keys counted, %d groups of n %% 13, %d of n %% 7 over the table\n' \
    "$RECORDS" "$kills" "$progress" "$(wc -l < "got-kept-$run.txt")" \
    "$(wc -l < "want-kept-$run.txt")" "$(wc -l < got_counts.txt)" "$(wc -l < got_bymod.txt)" \
    "$(wc -l < got_bylast.txt)"
if grep -q '^%[0-7]|\|AddressSanitizer\|runtime error' worker.err; then
    bad "the worker wrote librdkafka lines or sanitizer reports:"
    grep '^%[0-7]|\|AddressSanitizer\|runtime error' worker.err | head -n 5
fi
[ "$kills" -eq "$KILLS" ] && ok || bad "the worker was killed $kills times, not $KILLS (it exited by itself)"
printf 'kafka eos: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
