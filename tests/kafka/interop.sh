#!/bin/bash
# interop.sh: sluice between Kafka clients it did not write.
#
# Checks that records produced by kcat (librdkafka's command-line client)
# with keys (a string, an empty one, none), headers (one, several, UTF-8,
# none) and a value sluice cannot decode are processed by sluice on a real
# broker, and that what sluice writes is read back, byte for byte, as it
# should be by kcat and by Kafka's own Java console consumer
# (org.apache.kafka.tools.consumer.ConsoleConsumer with
# --isolation-level read_committed, through `broker.sh java`): keys, values,
# record timestamps (ROWTIME carried over, or taken from a TIMESTAMP
# column), no headers on sluice's records (as ksqlDB: headers are read, not
# written), the header columns (HEADER('src') and HEADERS), and the skipped
# record in the processing log.
# Does not: set record timestamps from kcat (kcat 1.7 has no option for a
# produced record's timestamp: its records get the time they are sent,
# which is read back from the input topic and expected on the output); test
# exactly-once or aborted transactions (eos.sh does): the queries here run
# with the default processing guarantee.
# Usage: tests/kafka/interop.sh path/to/sluice BOOTSTRAP
set -u
SLUICE=${1:?usage: interop.sh path/to/sluice BOOTSTRAP}
B=${2:?usage: interop.sh path/to/sluice BOOTSTRAP}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
command -v kcat >/dev/null 2>&1 || { echo "interop.sh: kcat is missing (scripts/deps --test installs it)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0
run=$$-$(date +%s)          # names of this run: service, topics
svc=interop-$run
in=interop-in-$run          # kcat's records
tin=interop-ts-$run         # records whose value carries their event time

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
# same WHAT WANT GOT: the two files are equal
same() {
    if cmp -s "$2" "$3"; then ok; else bad "$1:"; diff -u "$2" "$3" | sed 's/^/     /'; fi
}
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; sed 's/^/     /' "$1"; fi
}

# kcat's view of a topic: key length (-1 for none) and key, headers,
# timestamp, value
kcat_read() {
    kcat -C -b "$B" -t "$1" -e -q -f '%K:%k|%h|%T|%s\n' 2>>kcat-err.txt
}
# the Java console consumer's view: timestamp type and value, headers, key
# (null.literal for none), value; it stops 5 s after the last record
java_read() {
    "$here/broker.sh" java org.apache.kafka.tools.consumer.ConsoleConsumer \
        --bootstrap-server "$B" --topic "$1" --partition 0 --offset earliest \
        --isolation-level read_committed --timeout-ms 5000 \
        --property print.timestamp=true --property print.headers=true \
        --property print.key=true --property key.separator='|' \
        --property null.literal='(null)' 2>java-err.txt
}

# ---- the streams (topics created by sluice; the broker creates none) ----
cat > ddl.sql <<SQL
CREATE STREAM clicks (id VARCHAR KEY, v INT, src BYTES HEADER('src'))
  WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM clicks_h (id VARCHAR KEY, v INT, hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS)
  WITH (KAFKA_TOPIC='$in', VALUE_FORMAT='JSON');
CREATE STREAM readings (id VARCHAR KEY, v INT, t BIGINT)
  WITH (KAFKA_TOPIC='$tin', VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='t');
SQL
cat > queries.sql <<SQL
SET 'auto.offset.reset'='earliest';
CREATE STREAM big WITH (KAFKA_TOPIC='interop-big-$run') AS
  SELECT id, v * 10 AS v10, FROM_BYTES(src, 'utf8') AS src, ROWTIME AS rt
  FROM clicks WHERE v > 1 EMIT CHANGES;
CREATE STREAM tagged WITH (KAFKA_TOPIC='interop-tagged-$run') AS
  SELECT id, hs, ARRAY_LENGTH(hs) AS n FROM clicks_h EMIT CHANGES;
CREATE STREAM timed WITH (KAFKA_TOPIC='interop-timed-$run') AS
  SELECT id, v, ROWTIME AS rt FROM readings EMIT CHANGES;
SQL
if env SLUICE_SERVICE_ID="$svc" "$SLUICE" -d w --bootstrap-servers "$B" -f ddl.sql >out.txt 2>&1; then ok; else
    bad "creating the streams"; cat out.txt; fi

# ---- kcat produces: keys, headers, a bad value ----
produce() { kcat -P -b "$B" -t "$in" "$@" 2>>kcat-err.txt || bad "kcat -P $*"; }
printf 'k1\t{"v":1}\nk2\t{"v":2}\n' | produce -K '\t' -H src=kcat -H trace=t1
printf 'k3\t{"v":3}\n' | produce -K '\t' -H src=other
printf 'k4\tnot json\n' | produce -K '\t' -H src=bad
printf '\t{"v":5}\n' | produce -K '\t' -H "$(printf 'src=caf\303\251')"
printf '{"v":6}\n' | produce
printf 'r1\t{"v":1,"t":1700000000123}\nr2\t{"v":2,"t":1500000000000}\n' |
    kcat -P -b "$B" -t "$tin" -K '\t' 2>>kcat-err.txt || bad "kcat -P $tin"

kcat_read "$in" > in.txt
# the time kcat's records were given when sent: line N of the input
ts() { sed -n "${1}p" in.txt | cut -d'|' -f3; }
cat > want-in.txt <<EOF
2:k1|src=kcat,trace=t1|$(ts 1)|{"v":1}
2:k2|src=kcat,trace=t1|$(ts 2)|{"v":2}
2:k3|src=other|$(ts 3)|{"v":3}
2:k4|src=bad|$(ts 4)|not json
0:|src=café|$(ts 5)|{"v":5}
-1:||$(ts 6)|{"v":6}
EOF
same "kcat's records as kcat reads them back" want-in.txt in.txt
case "$(ts 1)" in ''|*[!0-9]*) bad "no timestamp on kcat's records: '$(ts 1)'" ;; *) ok ;; esac

# ---- sluice processes them ----
if env SLUICE_SERVICE_ID="$svc" "$SLUICE" run -d w --bootstrap-servers "$B" queries.sql --until-idle >out.txt 2>err.txt; then ok; else
    bad "sluice run: exit $?"; cat out.txt err.txt; fi
expect_in err.txt "CSAS_BIG_" "run names the filter query"
expect_in err.txt ": 6 read, 4 written, 1 filtered, 1 failed" "the filter skipped and counted the bad record"
expect_in err.txt ": 6 read, 5 written, 0 filtered, 1 failed" "the headers query skipped and counted the bad record"
expect_in err.txt ": 2 read, 2 written, 0 filtered, 0 failed" "the TIMESTAMP query read both records"

# ---- kcat reads sluice's output ----
cat > want-big.txt <<EOF
2:k2||$(ts 2)|{"V10":20,"SRC":"kcat","RT":$(ts 2)}
2:k3||$(ts 3)|{"V10":30,"SRC":"other","RT":$(ts 3)}
0:||$(ts 5)|{"V10":50,"SRC":"café","RT":$(ts 5)}
-1:||$(ts 6)|{"V10":60,"SRC":null,"RT":$(ts 6)}
EOF
kcat_read "interop-big-$run" > big.txt
same "kcat reads the filter's output" want-big.txt big.txt
# header values are BYTES: base64 in JSON ("kcat" a2NhdA==, "t1" dDE=,
# "other" b3RoZXI=, "café" Y2Fmw6k=)
cat > want-tagged.txt <<EOF
2:k1||$(ts 1)|{"HS":[{"KEY":"src","VALUE":"a2NhdA=="},{"KEY":"trace","VALUE":"dDE="}],"N":2}
2:k2||$(ts 2)|{"HS":[{"KEY":"src","VALUE":"a2NhdA=="},{"KEY":"trace","VALUE":"dDE="}],"N":2}
2:k3||$(ts 3)|{"HS":[{"KEY":"src","VALUE":"b3RoZXI="}],"N":1}
0:||$(ts 5)|{"HS":[{"KEY":"src","VALUE":"Y2Fmw6k="}],"N":1}
-1:||$(ts 6)|{"HS":[],"N":0}
EOF
kcat_read "interop-tagged-$run" > tagged.txt
same "kcat reads the headers query's output" want-tagged.txt tagged.txt
cat > want-timed.txt <<'EOF'
2:r1||1700000000123|{"V":1,"RT":1700000000123}
2:r2||1500000000000|{"V":2,"RT":1500000000000}
EOF
kcat_read "interop-timed-$run" > timed.txt
same "kcat reads the record timestamps sluice wrote" want-timed.txt timed.txt
if [ -s kcat-err.txt ]; then bad "kcat wrote to stderr:"; cat kcat-err.txt; else ok; fi

# ---- Kafka's Java consumer reads it, read_committed ----
# as the console consumer prints them: CreateTime:TS|headers|key|value
to_java() {
    awk -F'|' '{ split($1, k, ":"); key = (k[1] == "-1") ? "(null)" : substr($1, length(k[1]) + 2)
                 v = $4; for (i = 5; i <= NF; i++) v = v "|" $i
                 printf "CreateTime:%s|NO_HEADERS|%s|%s\n", $3, key, v }' "$1"
}
for q in big tagged timed; do
    to_java "want-$q.txt" > "want-java-$q.txt"
    java_read "interop-$q-$run" > "java-$q.txt"
    same "the Java consumer reads $q" "want-java-$q.txt" "java-$q.txt"
    expect_in java-err.txt "Processed a total of $(wc -l < "want-$q.txt") messages" "the Java consumer's count of $q"
done

# ---- the skipped record is in the processing log ----
# (its topic as SHOW STREAMS names it)
env SLUICE_SERVICE_ID="$svc" "$SLUICE" -d w --bootstrap-servers "$B" -e 'SHOW STREAMS;' > streams.txt 2>&1
plog=$(awk -F'|' '$2 ~ /^ *KSQL_PROCESSING_LOG *$/ { gsub(/ /, "", $3); print $3 }' streams.txt)
[ -n "$plog" ] && ok || { bad "SHOW STREAMS names no topic for KSQL_PROCESSING_LOG"; cat streams.txt; }
kcat -C -b "$B" -t "${plog:-none}" -e -q -f '%s\n' 2>/dev/null | grep -F "\"TOPIC\":\"$in\"" > plog.txt
[ "$(wc -l < plog.txt)" -eq 2 ] && ok || { bad "processing log: $(wc -l < plog.txt) records for $in, wanted 2 (one per query)"; cat plog.txt; }
expect_in plog.txt '"OFFSET":3,"ERROR_KIND":"DESERIALIZATION"' "the processing log names the bad record"

printf 'kafka interop: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
