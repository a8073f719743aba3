#!/bin/sh
# eos_scaleout.sh: two workers of one service share a 4-partition input
# under processing.guarantee = exactly_once_v2 on a real broker, and each in
# turn is killed with SIGKILL while the input flows; the committed output
# has nothing missing and nothing twice.
#
# Two `sluice run` workers (data directories w1 and w2, same
# ksql.service.id, exactly_once_v2 in their config file) run a filter
# (CSAS) and a COUNT per key in tumbling windows of one minute over an
# event-time column (CTAS, grouped by the input key). The input is loaded
# in chunks through a gate the script opens a third at a time:
# - both workers own 2 of the 4 partitions of each query, the two disjoint;
# - a sixth of the way in, w2 is killed with kill -9; once w1 owns all 4
#   partitions (w2's session timed out) w2 starts again on its data
#   directory, and the two share again;
# - half way in, w1 is killed the same way, w2 takes everything over, w1
#   starts again and the two share again;
# - at the end both stop on SIGTERM and `sluice run --until-idle` on w1's
#   data directory consumes what is left.
# The output topics are then read with kcat (librdkafka's command-line
# client, not sluice) with isolation.level=read_committed:
# - the filter: exactly the input records that pass it, once each;
# - the counts: for every key and window, the last count equals awk's count
#   of the input, and the counts of a key and window strictly increase in
#   the topic (a count written twice, or going back, would be output of a
#   batch counted twice: an aborted transaction's records are invisible,
#   and a worker taking over restores the state of the last commit).
# Usage: tests/kafka/eos_scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]
# (EOS_SCALEOUT_KEEP=1 keeps the work directory, the workers' logs in it.)
set -u
SLUICE=${1:?usage: eos_scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]}
B=${2:?usage: eos_scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]}
RECORDS=${3:-12000}
KEYS=40
CHUNK=200
STEP_MS=250             # event time between two input records
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
command -v kcat >/dev/null 2>&1 ||
    { echo "eos_scaleout.sh: kcat is missing (scripts/deps --test installs it)" >&2; exit 1; }
command -v jq >/dev/null 2>&1 ||
    { echo "eos_scaleout.sh: jq is missing (scripts/deps --test installs it)" >&2; exit 1; }
. "$here/workers.sh"         # owned, wait_owned, shared, last_run, logs_clean
tmp=$(mktemp -d)
w1=
w2=
loader=
cleanup() {
    [ -n "$w1" ] && kill -9 "$w1" 2>/dev/null
    [ -n "$w2" ] && kill -9 "$w2" 2>/dev/null
    [ -n "$loader" ] && kill "$loader" 2>/dev/null
    [ -n "${EOS_SCALEOUT_KEEP:-}" ] && echo "eos_scaleout.sh: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

run=eoss-$$-$(date +%s)
printf 'bootstrap.servers=%s\nksql.service.id=%s\n' "$B" "$run" > kafka.properties
{ cat kafka.properties; echo 'processing.guarantee=exactly_once_v2'; } > worker.properties
cat > app.sql <<SQL
CREATE STREAM src (id VARCHAR KEY, n INT, ts BIGINT)
  WITH (KAFKA_TOPIC='in-$run', VALUE_FORMAT='JSON', PARTITIONS=4, TIMESTAMP='ts');
SET 'auto.offset.reset'='earliest';
CREATE STREAM kept WITH (KAFKA_TOPIC='kept-$run') AS
  SELECT id, n FROM src WHERE n % 3 <> 0 EMIT CHANGES;
CREATE TABLE counts WITH (KAFKA_TOPIC='counts-$run') AS
  SELECT id, AS_VALUE(id) AS who, WINDOWSTART AS ws, COUNT(*) AS c FROM src
  WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY id EMIT CHANGES;
SQL
# the input: n = 1..RECORDS, keys k0..k39 round the clock, event time
# STEP_MS apart, the last a minute or two before now (recent: the broker's
# retention keeps it; not ahead: a Kafka 4 broker refuses records more than
# an hour ahead, log.message.timestamp.after.max.ms)
t0=$(( ($(date +%s) * 1000 - RECORDS * STEP_MS - 60000) / 60000 * 60000 ))
awk -v n="$RECORDS" -v k="$KEYS" -v t0="$t0" -v step="$STEP_MS" 'BEGIN {
    for (i = 1; i <= n; i++)
        printf "{\"id\":\"k%d\",\"n\":%d,\"ts\":%.0f}\n", i % k, i, t0 + i * step }' > input.jsonl
"$SLUICE" -d w1 --config-file kafka.properties -f app.sql >setup.out 2>&1 ||
    { cat setup.out; echo "eos_scaleout.sh: the statements failed" >&2; exit 1; }
kq=$(sed -n 's/.*query with ID \(CSAS_[A-Z0-9_]*\).*/\1/p' setup.out)
cq=$(sed -n 's/.*query with ID \(CTAS_COUNTS[A-Z0-9_]*\).*/\1/p' setup.out)
[ -n "$kq" ] && [ -n "$cq" ] || { cat setup.out; echo "eos_scaleout.sh: no query ids" >&2; exit 1; }
split -l "$CHUNK" -d -a 3 input.jsonl chunk.
chunks=$(ls chunk.* | wc -l)

# start W: worker W (w1 or w2) in the background on data directory W; its
# log W.err starts empty (what it said before a kill is in W.err.N), so
# owned() reads what this run of W says
start() {
    [ -s "$1.err" ] && mv "$1.err" "$1.err.$(ls "$1".err* | wc -l)"
    "$SLUICE" run -d "$1" --config-file worker.properties >>"$1.out" 2>>"$1.err" &
    eval "$1=\$!"
}
# loaded: chunks loaded so far; open_gate N: the loader may load N chunks
loaded() { cat loaded 2>/dev/null | wc -l; }
open_gate() { echo "$1" > gate; }
# wait_loaded N: until N chunks are loaded (5 minutes at most)
wait_loaded() {
    n=0
    while [ "$(loaded)" -lt "$1" ] && [ "$n" -lt 3000 ] && [ -n "$loader" ] &&
          kill -0 "$loader" 2>/dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
}
# kill_and_take_over VICTIM SURVIVOR: kill -9 VICTIM, SURVIVOR owns all
# 4 partitions of both queries, VICTIM starts again, the two share again
kill_and_take_over() {
    eval "victim=\$$1"
    kill -9 "$victim"
    wait "$victim" 2>/dev/null
    eval "$1="
    echo "eos_scaleout.sh: $1 killed with SIGKILL after $(loaded) chunks"
    for q in "$kq" "$cq"; do
        wait_owned "$2" "$q" 0,1,2,3 && ok ||
            bad "after $1's kill $2 owns '$(owned "$2" "$q")' of $q"
    done
    start "$1"
    shared "$1 started again" "$kq" "$cq"
}

start w1
start w2
shared "at the start" "$kq" "$cq"

# ---- the input flows through a gate; each worker killed in turn ----
open_gate $((chunks / 3))
{
    i=0
    for c in chunk.*; do
        i=$((i + 1))
        while [ "$(cat gate)" -lt "$i" ]; do sleep 0.1; done
        "$SLUICE" load --config-file kafka.properties -q "in-$run" "$c" --key id \
            >>load.out 2>&1 || echo "$c" >> load.failed
        echo "$c" >> loaded
        sleep 0.2
    done
} &
loader=$!
wait_loaded $((chunks / 6))
kill_and_take_over w2 w1
open_gate $((2 * chunks / 3))
wait_loaded $((chunks / 2))
kill_and_take_over w1 w2
open_gate "$chunks"
wait "$loader"
loader=
[ -f load.failed ] && { bad "loading $(cat load.failed) failed"; cat load.out; }

# ---- both stop; the last run consumes what is left ----
for w in w1 w2; do
    eval "p=\$$w"
    kill -TERM "$p"
    wait "$p" || bad "$w exited $? on SIGTERM"
    eval "$w="
done
last_run worker.properties

# read_committed TOPIC: the values of TOPIC's committed records, as kcat
# reads them (partition by partition in offset order)
read_committed() {
    kcat -C -b "$B" -t "$1" -e -q -X isolation.level=read_committed -f '%s\n' \
        2>>kcat.err
}

# ---- the filter: every record that passes it, once ----
awk -F'"n":' '{ n = $2 + 0; if (n % 3 != 0) print n }' input.jsonl | sort -n > want-kept.txt
read_committed "kept-$run" | jq -r '.N' | sort -n > got-kept.txt
if cmp -s want-kept.txt got-kept.txt; then
    ok
else
    bad "kept-$run: $(wc -l < got-kept.txt) records, wanted $(wc -l < want-kept.txt);" \
        "missing: $(sort -u got-kept.txt | comm -23 want-kept.txt - | wc -l)," \
        "twice or more: $(uniq -d got-kept.txt | wc -l)"
fi

# ---- the counts: per key and window, the last equals awk's, and they
# strictly increase ----
read_committed "counts-$run" | jq -r '[.WHO, .WS, .C] | @tsv' > counts.tsv
awk -F'\t' '{ last[$1 " " $2] = $3 } END { for (k in last) print k, last[k] }' counts.tsv |
    sort > got_counts.txt
awk -F'"' -v w=60000 '{ split($0, a, "\"ts\":"); ts = a[2] + 0
        c[$4 " " sprintf("%.0f", ts - ts % w)]++ }
    END { for (k in c) print k, c[k] }' input.jsonl | sort > want_counts.txt
if cmp -s want_counts.txt got_counts.txt; then
    ok
else
    bad "counts-$run: the last count per key and window differs from awk's (want, got):"
    diff want_counts.txt got_counts.txt | head -n 10
fi
awk -F'\t' '{ k = $1 " " $2 } (k in last) && $3 + 0 <= last[k] { print; n++ }
    { last[k] = $3 + 0 } END { exit n > 0 }' counts.tsv > not_increasing.txt && ok ||
    { bad "counts-$run: $(wc -l < not_increasing.txt) counts not above the one before for their key and window:";
      head -n 5 not_increasing.txt; }
[ -s kcat.err ] && { bad "kcat complained:"; head -n 5 kcat.err; }

printf 'kafka eos scaleout: %d records in %d chunks, w2 then w1 killed; kept %d of %d, %d counts for %d key windows\n' \
    "$RECORDS" "$chunks" "$(wc -l < got-kept.txt)" "$(wc -l < want-kept.txt)" \
    "$(wc -l < counts.tsv)" "$(wc -l < want_counts.txt)"
logs_clean w1.err* w2.err* last.err
printf 'kafka eos scaleout: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
