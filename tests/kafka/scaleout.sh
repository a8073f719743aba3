#!/bin/sh
# scaleout.sh: two workers with one service id share the partitions of a
# 4-partition input on a real broker, and one takes over when the other is
# killed with SIGKILL.
#
# Two `sluice run` workers (data directories w1 and w2, same
# ksql.service.id) run a filter (CSAS) and a COUNT per key (CTAS, grouped
# by the input key, so its state is per partition), and a COUNT grouped by
# n % 31 (not the input key: two stages through the repartition topic
# _sluice-SERVICE-QUERY-repartition, the second under its own group
# _sluice-SERVICE-QUERY-repartition). Checked, as a user sees
# it in each worker's log ("sluice: group G: partitions ... assigned; this
# worker owns partitions P"):
# - each worker owns 2 of the 4 partitions of each query, the two disjoint,
#   and of each stage of the COUNT by n % 31;
# - while the input is loaded in small chunks, w2 is killed with kill -9;
#   w1 then owns all 4 partitions and restores the state of w2's from the
#   changelog ("state of CTAS_... partition P restored ...: N changelog
#   records applied", N > 0), for the COUNT by n % 31 those of the
#   repartition partitions w2 owned (so w2 aggregated its share);
# - at the end (w1 stopped with SIGTERM, then `sluice run --until-idle` on
#   w1's data directory), the filter's output holds every expected record
#   and the final count of every key is at least its number of input
#   records: nothing lost;
# - a pull query on w2's data directory (its local state stopped at the
#   kill) answers what w1 committed since (the rows every worker writes
#   are caught up from their changelog before a pull query reads them);
# - the count by n % 31 is right too (never below the input, the excess
#   within the same kind of bound, over every partition);
# - TERMINATE of the aggregation deletes its changelog topic, and of the
#   COUNT by n % 31 its repartition topic; before that, the repartition
#   topic holds fewer records than the input: stage 2 deleted those below
#   its committed positions;
# - duplicates (at-least-once) stay within the stated bound: what was read
#   but not committed when partitions moved, measured from the input by
#   record timestamps (the load time): for w2's partitions, the records of
#   its last commit interval (commit.interval.ms, 1000 here) plus 2 s (the
#   batch in flight and its delivery) before the kill; for w1's, those of
#   the same span plus 2 s before the end of the takeover, since during
#   that rebalance a commit of w1 may be refused (its generation ended) and
#   its own partitions come back to it from their last committed
#   positions. The load is paced so that the workers keep up with it.
# Usage: tests/kafka/scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]
# (SCALEOUT_KEEP=1 keeps the work directory, the workers' logs in it.)
set -u
SLUICE=${1:?usage: scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]}
B=${2:?usage: scaleout.sh path/to/sluice BOOTSTRAP [RECORDS]}
RECORDS=${3:-12000}
KEYS=40
MODS=31
CHUNK=300
INTERVAL=1000
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/workers.sh"         # owned, wait_owned, shared, last_run, logs_clean
tmp=$(mktemp -d)
w1=
w2=
loader=
cleanup() {
    [ -n "$w1" ] && kill -9 "$w1" 2>/dev/null
    [ -n "$w2" ] && kill -9 "$w2" 2>/dev/null
    [ -n "$loader" ] && kill "$loader" 2>/dev/null
    [ -n "${SCALEOUT_KEEP:-}" ] && echo "scaleout.sh: kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
now_ms() { date +%s%3N; }

run=scale-$$-$(date +%s)
printf 'bootstrap.servers=%s\nksql.service.id=%s\n' "$B" "$run" > kafka.properties
cat > app.sql <<SQL
CREATE STREAM src (id VARCHAR KEY, n INT)
  WITH (KAFKA_TOPIC='in-$run', VALUE_FORMAT='JSON', PARTITIONS=4);
SET 'auto.offset.reset'='earliest';
SET 'commit.interval.ms'='$INTERVAL';
CREATE STREAM kept WITH (KAFKA_TOPIC='kept-$run') AS
  SELECT id, n FROM src WHERE n % 3 <> 0 EMIT CHANGES;
CREATE TABLE counts WITH (KAFKA_TOPIC='counts-$run') AS
  SELECT id, COUNT(*) AS c FROM src GROUP BY id EMIT CHANGES;
CREATE TABLE bymod WITH (KAFKA_TOPIC='bymod-$run') AS
  SELECT n % $MODS AS m, AS_VALUE(n % $MODS) AS mm, COUNT(*) AS c FROM src GROUP BY n % $MODS EMIT CHANGES;
SQL
awk -v n="$RECORDS" -v k="$KEYS" 'BEGIN {
    for (i = 1; i <= n; i++) printf "{\"id\":\"k%d\",\"n\":%d}\n", i % k, i }' > input.jsonl
"$SLUICE" -d w1 --config-file kafka.properties -f app.sql >setup.out 2>&1 ||
    { cat setup.out; echo "scaleout.sh: the statements failed" >&2; exit 1; }
kq=$(sed -n 's/.*query with ID \(CSAS_[A-Z0-9_]*\).*/\1/p' setup.out)
cq=$(sed -n 's/.*query with ID \(CTAS_COUNTS[A-Z0-9_]*\).*/\1/p' setup.out)
mq=$(sed -n 's/.*query with ID \(CTAS_BYMOD[A-Z0-9_]*\).*/\1/p' setup.out)
[ -n "$kq" ] && [ -n "$cq" ] && [ -n "$mq" ] || { cat setup.out; echo "scaleout.sh: no query ids" >&2; exit 1; }
split -l "$CHUNK" -d -a 3 input.jsonl chunk.

"$SLUICE" run -d w1 --config-file kafka.properties >w1.out 2>w1.err &
w1=$!
"$SLUICE" run -d w2 --config-file kafka.properties >w2.out 2>w2.err &
w2=$!

# ---- sharing: 2 partitions each, disjoint (both stages of $mq too) ----
shared "at the start" "$kq" "$cq" "$mq" "$mq-repartition"
w2parts=$(owned w2 "$cq")
w2rparts=$(owned w2 "$mq-repartition")
echo "scaleout.sh: w1 owns $(owned w1 "$cq"), w2 owns $w2parts (of $cq); w2 owns $w2rparts of $mq's repartition topic"

# ---- the input flows; w2 is killed half way ----
{
    for c in chunk.*; do
        "$SLUICE" load --config-file kafka.properties -q "in-$run" "$c" --key id \
            >>load.out 2>&1 || echo "$c" >> load.failed
        echo "$c" >> loaded
        sleep 0.2
    done
} &
loader=$!
half=$(( (RECORDS / CHUNK) / 2 ))
n=0
while [ "$(cat loaded 2>/dev/null | wc -l)" -lt "$half" ] && [ "$n" -lt 1200 ]; do
    sleep 0.1
    n=$((n + 1))
done
# w2 must have committed aggregation state by now: a commit interval has passed
kill -9 "$w2"
kill_ms=$(now_ms)
wait "$w2" 2>/dev/null
w2=
echo "scaleout.sh: w2 killed with SIGKILL"

# ---- takeover: w1 owns everything and restores w2's state ----
for q in "$kq" "$cq" "$mq" "$mq-repartition"; do
    wait_owned w1 "$q" 0,1,2,3 && ok || bad "$q: after the kill w1 owns '$(owned w1 "$q")'"
done
takeover_ms=$(now_ms)
# restored_from W Q P: the changelog records W applied restoring partition P of Q
restored_from() {
    sed -n "s/^sluice: state of $2 partition $3 restored .*: \([0-9]*\) changelog records applied/\1/p" \
        "$1.err" | tail -n 1
}
# restore_all Q PARTS: w1 restored Q's partitions PARTS, each with records
restore_all() {
    total=0
    for p in $(echo "$2" | tr ',' ' '); do
        n=0
        while [ -z "$(restored_from w1 "$1" "$p")" ] && [ "$n" -lt 600 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        r=$(restored_from w1 "$1" "$p")
        [ -n "$r" ] && [ "$r" -gt 0 ] && total=$((total + r)) ||
            bad "w1 did not restore partition $p of $1 from its changelog"
    done
    [ "$total" -gt 0 ] && ok
}
restore_all "$cq" "$w2parts"
restored=$total
restore_all "$mq" "$w2rparts"
mrestored=$total

wait "$loader"
loader=
[ -f load.failed ] && { bad "loading $(cat load.failed) failed"; cat load.out; }
kill -TERM "$w1"
wait "$w1" || bad "w1 exited $? on SIGTERM"
w1=
last_run kafka.properties

# ---- the bound: w2's partitions' input in its last commit interval ----
"$SLUICE" dump --config-file kafka.properties "in-$run" --from-beginning >in.json 2>dump.err ||
    { cat dump.err; bad "dump in-$run"; }
bound=$(awk -F'[:,]' -v parts=",$w2parts," -v k0=$((kill_ms - INTERVAL - 2000)) -v k1="$kill_ms" \
    -v t0=$((takeover_ms - INTERVAL - 4000)) -v t1="$takeover_ms" '
    { p = $2; ts = $6 }
    index(parts, "," p ",") ? ts >= k0 && ts <= k1 : ts >= t0 && ts <= t1 { n++ }
    END { print n + 0 }' in.json)

# the aggregation not grouped by the input key: a record stage 1 re-reads
# on any partition may reach a group of w1's as well as w2's, so its bound
# spans every partition
mbound=$(awk -F'[:,]' -v k0=$((kill_ms - INTERVAL - 2000)) -v k1="$kill_ms" \
    -v t0=$((takeover_ms - INTERVAL - 4000)) -v t1="$takeover_ms" '
    { ts = $6 } (ts >= k0 && ts <= k1) || (ts >= t0 && ts <= t1) { n++ }
    END { print n + 0 }' in.json)

# ---- the filter: every kept record, duplicates within the bound ----
awk -F'"n":' '{ n = $2 + 0; if (n % 3 != 0) print n }' input.jsonl | sort > want-kept.txt
"$SLUICE" dump --config-file kafka.properties "kept-$run" --from-beginning >kept.json 2>dump.err ||
    { cat dump.err; bad "dump kept-$run"; }
sed -n 's/.*\\"N\\":\([0-9]*\).*/\1/p' kept.json | sort > got-kept.txt
missing=$(sort -u got-kept.txt | comm -23 want-kept.txt - | wc -l)
dups=$(( $(wc -l < got-kept.txt) - $(sort -u got-kept.txt | wc -l) ))
[ "$missing" -eq 0 ] && ok || bad "kept-$run: $missing records missing"
[ "$dups" -le "$bound" ] && ok || bad "kept-$run: $dups duplicates, more than the bound $bound"

# ---- the counts: never below the input, the excess within the bound ----
"$SLUICE" dump --config-file kafka.properties "counts-$run" --from-beginning >counts.json \
    2>dump.err || { cat dump.err; bad "dump counts-$run"; }
awk -F'"key":' '{ split($2, a, ",\"value\":"); last[a[1]] = a[2] }
    END { for (k in last) print k, last[k] }' counts.json |
    sed -n 's/^"\([^"]*\)" .*\\"C\\":\([0-9]*\).*/\1 \2/p' | sort > got_counts.txt
awk -F'"id":"' '{ split($2, a, "\""); c[a[1]]++ } END { for (k in c) print k, c[k] }' \
    input.jsonl | sort > want_counts.txt
lost=$(join -a 1 -e 0 -o 0,1.2,2.2 want_counts.txt got_counts.txt |
       awk '$3 < $2 { n++ } END { print n + 0 }')
excess=$(join want_counts.txt got_counts.txt | awk '$3 > $2 { e += $3 - $2 } END { print e + 0 }')
[ "$(wc -l < got_counts.txt)" -eq "$KEYS" ] && [ "$lost" -eq 0 ] && ok ||
    { bad "counts-$run: $lost keys counted short (want, got):"; diff want_counts.txt got_counts.txt | head -n 10; }
[ "$excess" -le "$bound" ] && ok || bad "counts-$run: counted $excess too many, more than the bound $bound"

# ---- GROUP BY n % 31: both workers aggregate, nothing lost ----
"$SLUICE" dump --config-file kafka.properties "bymod-$run" --from-beginning >bymod.json \
    2>dump.err || { cat dump.err; bad "dump bymod-$run"; }
awk -F'"key":' '{ split($2, a, ",\"value\":"); last[a[1]] = a[2] }
    END { for (k in last) print last[k] }' bymod.json |
    sed -n 's/.*\\"MM\\":\([0-9]*\).*\\"C\\":\([0-9]*\).*/\1 \2/p' | sort > got_bymod.txt
awk -F'"n":' -v m="$MODS" '{ c[($2 + 0) % m]++ } END { for (k in c) print k, c[k] }' input.jsonl |
    sort > want_bymod.txt
mlost=$(join -a 1 -e 0 -o 0,1.2,2.2 want_bymod.txt got_bymod.txt |
        awk '$3 < $2 { n++ } END { print n + 0 }')
mexcess=$(join want_bymod.txt got_bymod.txt | awk '$3 > $2 { e += $3 - $2 } END { print e + 0 }')
[ "$(wc -l < got_bymod.txt)" -eq "$MODS" ] && [ "$mlost" -eq 0 ] && ok ||
    { bad "bymod-$run: $mlost groups counted short (want, got):"; diff want_bymod.txt got_bymod.txt | head; }
[ "$mexcess" -le "$mbound" ] && ok ||
    bad "bymod-$run: counted $mexcess too many, more than the bound $mbound"

# ---- a pull query on w2's data directory (its local state stopped at the
# kill) answers with what w1 committed since: mat is caught up first ----
printf 'SELECT id, c FROM counts;\n' > pull.sql
"$SLUICE" -d w2 --config-file kafka.properties -f pull.sql 2>pull.err |
    sed -n 's/^| \(k[0-9]*\) *| \([0-9]*\) *|$/\1 \2/p' | sort > pulled.txt
cmp -s pulled.txt got_counts.txt && ok ||
    { bad "a pull query on the killed worker's data directory differs from the topic (topic, pulled):";
      diff got_counts.txt pulled.txt | head -n 10; }

# ---- TERMINATE deletes the query's changelog (and consumer group) ----
printf 'TERMINATE %s;\n' "$cq" > term.sql
changelog="_sluice-$run-$cq-changelog"
"$SLUICE" dump --config-file kafka.properties "$changelog" --from-beginning -n 1 \
    >/dev/null 2>&1 || bad "no changelog topic $changelog before TERMINATE"
"$SLUICE" -d w1 --config-file kafka.properties -f term.sql >term.out 2>&1 ||
    { cat term.out; bad "TERMINATE $cq failed"; }
"$SLUICE" dump --config-file kafka.properties "$changelog" --from-beginning -n 1 \
    >dump.out 2>&1 && bad "TERMINATE $cq left its changelog topic $changelog"
grep -q "does not exist" dump.out && ok || { bad "dump after TERMINATE:"; cat dump.out; }

# ---- stage 2 deletes the repartition records it has committed ----
repart="_sluice-$run-$mq-repartition"
"$SLUICE" dump --config-file kafka.properties "$repart" --from-beginning >repart.json \
    2>dump.err || { cat dump.err; bad "dump $repart"; }
# every input record was appended there at least once: fewer left means
# the start offsets moved up
rleft=$(wc -l < repart.json)
rfirst=$(awk -F'[:,]' '!($2 in f) { f[$2] = $4 } END { for (p in f) printf "%s:%s ", p, f[p] }' \
    repart.json)
[ "$rleft" -lt "$RECORDS" ] && ok ||
    bad "$repart still holds $rleft records of $RECORDS: nothing was purged"

# ---- TERMINATE deletes the repartition topic ----
printf 'TERMINATE %s;\n' "$mq" > term.sql
"$SLUICE" dump --config-file kafka.properties "$repart" --from-beginning -n 1 \
    >/dev/null 2>&1 || bad "no repartition topic $repart before TERMINATE"
"$SLUICE" -d w1 --config-file kafka.properties -f term.sql >term.out 2>&1 ||
    { cat term.out; bad "TERMINATE $mq failed"; }
"$SLUICE" dump --config-file kafka.properties "$repart" --from-beginning -n 1 \
    >dump.out 2>&1 && bad "TERMINATE $mq left its repartition topic $repart"
grep -q "does not exist" dump.out && ok || { bad "dump after TERMINATE:"; cat dump.out; }

printf 'kafka scaleout: %d records, w2 (partitions %s, repartition %s) killed; w1 restored %d + %d changelog records; duplicates: kept %d, counts +%d (bound %d), bymod +%d (bound %d); repartition topic holds %d records (first offsets %s)\n' \
    "$RECORDS" "$w2parts" "$w2rparts" "$restored" "$mrestored" "$dups" "$excess" "$bound" "$mexcess" "$mbound" "$rleft" "$rfirst"
logs_clean w1.err last.err
printf 'kafka scaleout: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
