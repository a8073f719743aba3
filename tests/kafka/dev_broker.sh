#!/usr/bin/env bash
# dev_broker.sh: `sluice dev-broker` as a user and a fault-injection test
# see it.
#
# Starts a dev broker of 3 brokers, checks its control endpoint's answers
# (ok, and clear errors for bad commands), then:
#  1. applies a statement file with `sluice run --until-idle`: a CREATE
#     STREAM with PARTITIONS=3, INSERT VALUES, a CSAS filter (sluice
#     creates both topics through the control endpoint: the mock cluster
#     has no Admin API); reads the output back with `sluice dump` and
#     compares it with what the filter keeps; a service id the dev broker
#     was not told about gets its command topic too;
#  2. with a worker (`sluice run`) running the same query, loads more
#     records while a broker that leads partitions of both topics is down
#     and the next Produce and Fetch requests fail (NOT_LEADER_FOR_PARTITION),
#     brings the broker back, and checks that every record the filter keeps
#     arrives (duplicates are allowed: commits are at-least-once on Kafka)
#     and that the worker stops cleanly with no failed record.
# The dev broker and the worker are stopped by PID whatever happens.
# Usage: tests/kafka/dev_broker.sh path/to/sluice
set -uo pipefail

sluice=${1:?usage: dev_broker.sh path/to/sluice}
[ -x "$sluice" ] || { echo "dev_broker.sh: $sluice is not an executable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-dev-broker.XXXXXX")
broker_pid=
worker_pid=
stop() {
    for pid in $worker_pid $broker_pid; do
        kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "dev_broker.sh: FAIL: $*" >&2
    for f in broker.err worker.out worker.err; do
        [ -s "$work/$f" ] && { echo "--- $f" >&2; tail -n 20 "$work/$f" >&2; }
    done
    exit 1
}

# ---- the dev broker ----
"$sluice" dev-broker --brokers 3 >"$work/broker.out" 2>"$work/broker.err" &
broker_pid=$!
for _ in $(seq 300); do
    grep -q '^CONTROL=' "$work/broker.out" && break
    kill -0 "$broker_pid" 2>/dev/null || fail "the dev broker exited at start"
    sleep 0.1
done
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$work/broker.out")
control=$(sed -n 's/^CONTROL=//p' "$work/broker.out")
[ -n "$bootstrap" ] && [ -n "$control" ] || fail "no BOOTSTRAP= and CONTROL= lines"
[ "$(tr ',' '\n' <<<"$bootstrap" | grep -c '^127\.0\.0\.1:[0-9][0-9]*$')" -eq 3 ] ||
    fail "BOOTSTRAP does not list 3 brokers on 127.0.0.1: $bootstrap"
echo "dev_broker.sh: dev broker at $bootstrap, control at $control"

# One control command; prints the answer line.
ctl() {
    local answer
    exec 3<>"/dev/tcp/${control%:*}/${control##*:}" || fail "cannot connect to $control"
    printf '%s\n' "$*" >&3
    IFS= read -r -t 30 answer <&3
    exec 3>&-
    printf '%s\n' "$answer"
}
ok() {
    local answer
    answer=$(ctl "$@")
    [ "$answer" = ok ] || fail "control '$*' answered '$answer'"
}
refused() {     # COMMAND... -- PATTERN: an error answer containing PATTERN
    local pattern=${*: -1} answer
    answer=$(ctl "${@:1:$#-2}")
    case $answer in
    "error: "*"$pattern"*) ;;
    *) fail "control '${*:1:$#-2}' answered '$answer', wanted an error about '$pattern'" ;;
    esac
}

ok topic ctl-check 3
refused topic ctl-check 3 -- "already exists"
refused topic 'bad/name' 1 -- "invalid topic name"
refused topic t 0 -- "partition count"
refused down 4 -- "no broker '4'"
refused leader orders 0 7 -- "no broker '7'"
refused errors produce 1 NO_SUCH_ERROR -- "no Kafka error"
refused errors nosuchapi 1 1 -- "no API"
refused frobnicate -- "unknown command"
refused topic -- "usage: topic"

# ---- 1. statements against the dev broker ----
cat >"$work/app.sql" <<'EOF'
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM orders (id INT KEY, item VARCHAR, qty INT)
    WITH (kafka_topic = 'orders', value_format = 'JSON', partitions = 3);
INSERT INTO orders (id, item, qty) VALUES (1, 'apple', 5);
INSERT INTO orders (id, item, qty) VALUES (2, 'pear', 50);
INSERT INTO orders (id, item, qty) VALUES (3, 'plum', 11);
INSERT INTO orders (id, item, qty) VALUES (4, 'fig', 10);
CREATE STREAM big AS SELECT id, item, qty FROM orders WHERE qty > 10;
EOF
export SLUICE_DATA_DIR="$work/data"
"$sluice" run "$work/app.sql" --until-idle --bootstrap-servers "$bootstrap" \
    >"$work/worker.out" 2>"$work/worker.err" || fail "sluice run --until-idle failed"

# the values of BIG's records, sorted (dump writes the JSON text of each value)
big_values() {
    "$sluice" dump BIG --from-beginning --data-dir "$work/dump" --bootstrap-servers "$bootstrap" \
        >"$work/big.jsonl" ||
        fail "sluice dump BIG failed"
    sed -n 's/.*"value":"\(.*\)"}$/\1/p' "$work/big.jsonl" | sed 's/\\"/"/g' | sort
}
got=$(big_values)
want=$(printf '%s\n' '{"ITEM":"pear","QTY":50}' '{"ITEM":"plum","QTY":11}' | sort)
[ "$got" = "$want" ] || fail "BIG holds
$got
wanted
$want"
echo "dev_broker.sh: CSAS filter on the dev broker: ok"
"$sluice" --bootstrap-servers "$bootstrap" --data-dir "$work/show" -e 'SHOW ALL TOPICS;' \
    >"$work/topics.out" 2>&1 || fail "SHOW ALL TOPICS failed"
grep -Eq '^\| orders +\| 3 ' "$work/topics.out" || fail "orders was not created with 3 partitions:
$(cat "$work/topics.out")"
grep -Eq '^\| BIG +\| 3 ' "$work/topics.out" || fail "the sink BIG was not created:
$(cat "$work/topics.out")"
SLUICE_SERVICE_ID=dev-other "$sluice" --bootstrap-servers "$bootstrap" --data-dir "$work/other" \
    -e 'SHOW ALL TOPICS;' >"$work/topics.out" 2>&1 || fail "another service id: $(cat "$work/topics.out")"
grep -q '_sluice-dev-other-command' "$work/topics.out" ||
    fail "another service id has no command topic: $(cat "$work/topics.out")"
echo "dev_broker.sh: topics created by statements on the dev broker: ok"

# ---- 2. faults while a worker runs the query ----
"$sluice" run --bootstrap-servers "$bootstrap" >"$work/worker.out" 2>"$work/worker.err" &
worker_pid=$!
# the faults come once the worker has replayed the command topic and runs
# the query (its first line says how many it runs)
for _ in $(seq 600); do
    grep -q 'persistent quer' "$work/worker.err" && break
    kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited at start"
    sleep 0.1
done
grep -q '^sluice run: 1 persistent query ' "$work/worker.err" ||
    fail "the worker did not resume the query CSAS_BIG_1"

n=300
for i in $(seq 1000 $((1000 + n - 1))); do
    printf '{"ID":%d,"ITEM":"i%d","QTY":%d}\n' "$i" "$i" $((i % 20))
done >"$work/more.jsonl"
# broker 2 leads a partition of each topic, and goes down with records to
# write to both; the next Produce requests fail with a retriable error
ok leader orders 1 2
ok leader BIG 1 2
ok down 2
ok errors produce 5 NOT_LEADER_FOR_PARTITION
ok errors fetch 5 NOT_LEADER_FOR_PARTITION     # the worker's reads
"$sluice" load orders "$work/more.jsonl" --key ID --key-type int --data-dir "$work/load" \
    --bootstrap-servers "$bootstrap" \
    >"$work/load.out" 2>&1 &
load_pid=$!
sleep 2         # the outage lasts while records wait for broker 2
# keys 1000.. land on every partition, and a load commits only once every
# record is delivered: it cannot have finished while broker 2 is down
kill -0 "$load_pid" 2>/dev/null || fail "sluice load finished while broker 2 was down"
ok up 2
wait "$load_pid" || { cat "$work/load.out" >&2; fail "sluice load failed"; }

want=$( (printf '%s\n' '{"ITEM":"pear","QTY":50}' '{"ITEM":"plum","QTY":11}'
         for i in $(seq 1000 $((1000 + n - 1))); do
             [ $((i % 20)) -gt 10 ] && printf '{"ITEM":"i%d","QTY":%d}\n' "$i" $((i % 20))
         done) | sort)
nwant=$(wc -l <<<"$want")
# wait for the worker to catch up (bounded: a lost record never arrives)
for _ in $(seq 120); do
    got=$(big_values | sort -u)
    [ "$got" = "$want" ] && break
    kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited during the faults"
    sleep 1
done
missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got") | wc -l)
extra=$(comm -13 <(printf '%s\n' "$want") <(printf '%s\n' "$got") | wc -l)
[ "$missing" -eq 0 ] && [ "$extra" -eq 0 ] ||
    fail "after the faults BIG misses $missing of $nwant records and has $extra unexpected ones"
total=$(wc -l <"$work/big.jsonl")
echo "dev_broker.sh: after broker 2 down/up and Produce/Fetch errors: all $nwant records" \
    "($((total - nwant)) duplicates)"

kill -TERM "$worker_pid"
wait "$worker_pid"
status=$?
worker_pid=
[ "$status" -eq 0 ] || fail "the worker exited with $status after SIGTERM"
grep -q 'CSAS_BIG_1: .* 0 failed' "$work/worker.err" || fail "the worker reported failed records"

kill -TERM "$broker_pid"
wait "$broker_pid"
status=$?
broker_pid=
[ "$status" -eq 0 ] || fail "the dev broker exited with $status after SIGTERM"
echo "dev_broker.sh: ok"
