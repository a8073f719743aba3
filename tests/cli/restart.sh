#!/bin/sh
# Restart test: a persistent query killed with SIGKILL mid-stream, started
# again, must leave an output topic with every expected record exactly once.
#
# One process owns a data directory, so records are loaded between runs:
# for each chunk of input, `sluice load` appends it, `sluice run app.sql`
# starts in the background and is killed with kill -9 after a short while
# (usually mid-stream: the log says how far it got). Finally
# `sluice run app.sql --until-idle` finishes the work, and `sluice dump` of
# the output topic is compared with the records computed here with jq:
# none missing, none twice, each key's records in input order.
# Usage: tests/cli/restart.sh path/to/sluice
set -u
SLUICE=${1:?usage: restart.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
if ! command -v jq >/dev/null 2>&1; then
    echo "restart.sh: SKIP: jq is not installed (scripts/deps --test installs it)"
    exit 0
fi
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"
export SLUICE_DATA_DIR="$tmp/data"
fail=0
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

CHUNKS=4
PER_CHUNK=${RESTART_PER_CHUNK:-40000}

# IF NOT EXISTS: a kill between two statements of the first run leaves the
# file half applied, and the next run applies it again
cat > app.sql <<'SQL'
CREATE STREAM IF NOT EXISTS clicks (user_id VARCHAR KEY, url VARCHAR, n BIGINT)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=2);
SET 'auto.offset.reset'='earliest';
CREATE STREAM IF NOT EXISTS clicks_out AS
  SELECT user_id, url, n, n * 2 AS n2 FROM clicks WHERE n % 3 <> 0 EMIT CHANGES;
SQL

# the input: n = 1..CHUNKS*PER_CHUNK, user u(n % 37), in CHUNKS files
awk -v chunks="$CHUNKS" -v per="$PER_CHUNK" 'BEGIN {
    for (c = 0; c < chunks; c++) {
        f = "chunk" c ".jsonl"
        for (i = 1; i <= per; i++) {
            n = c * per + i
            printf "{\"user_id\":\"u%d\",\"url\":\"/p/%d\",\"n\":%d}\n", n % 37, n % 101, n > f
        }
        close(f)
    }
}'

# kill_after SECONDS: start the worker, kill -9 it after SECONDS
kill_after() {
    "$SLUICE" run app.sql >run.out 2>run.err &
    pid=$!
    sleep "$1"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
}

expected_so_far=0
for c in $(seq 0 $((CHUNKS - 1))); do
    "$SLUICE" load clicks "chunk$c.jsonl" --key user_id --partitions 2 --quiet || bad "load of chunk $c failed"
    expected_so_far=$(( (c + 1) * PER_CHUNK - ( (c + 1) * PER_CHUNK / 3 ) ))
    # a different moment each round, from early to late
    applied=no
    [ -f "$SLUICE_DATA_DIR/applied-files" ] && applied=yes
    kill_after "0.$((2 + 2 * c))"
    if [ "$applied" = yes ] && ! grep -q "applied to .* before" run.err; then
        bad "round $c: the same app.sql was not recognised as applied"; cat run.err
    fi
    got=$("$SLUICE" dump CLICKS_OUT --from-beginning 2>/dev/null | wc -l)
    if [ "$got" -lt "$expected_so_far" ]; then
        echo "round $c: killed mid-stream at $got of $expected_so_far output records"
    else
        echo "round $c: the worker had caught up ($got records) before the kill"
    fi
done

if "$SLUICE" run app.sql --until-idle >final.out 2>final.err; then :; else
    bad "run --until-idle exited $?"; cat final.err
fi
"$SLUICE" dump CLICKS_OUT --from-beginning > dump.jsonl || bad "dump failed"

# what should be there, and what is, as sorted "key value" lines
cat chunk*.jsonl | jq -c 'select(.n % 3 != 0) | [.user_id, {URL: .url, N: .n, N2: (.n * 2)}]' \
    | sort > want.txt
jq -c '[.key, (.value | fromjson)]' dump.jsonl | sort > got.txt
want=$(wc -l < want.txt)
got=$(wc -l < got.txt)
dups=$(uniq -d got.txt | wc -l)
[ "$dups" -eq 0 ] || bad "$dups output records appear more than once"
if ! cmp -s want.txt got.txt; then
    bad "output differs from the expected records ($got written, $want expected)"
    echo "missing (first 5):"; comm -23 want.txt got.txt | head -5
    echo "unexpected (first 5):"; comm -13 want.txt got.txt | head -5
fi
# per key, the order of the input (n increasing along the offsets of its partition)
jq -r '[.partition, .offset, .key, (.value | fromjson | .N)] | @tsv' dump.jsonl \
    | sort -k1,1n -k2,2n | awk -F'\t' '{ if ($3 in last && last[$3] >= $4) bad++; last[$3] = $4 }
                                       END { exit bad > 0 }' \
    || bad "records of one key are out of input order"

if [ "$fail" -eq 0 ]; then
    echo "restart: $got records, as expected, none missing, none twice"
fi
printf '%d failed\n' "$fail"
[ "$fail" -eq 0 ]
