#!/bin/sh
# cli.sh: the sluice command line against a real Kafka cluster.
#
# Checks what a user of several workers sees: statements go to the command
# topic of their service id (ksql.service.id), so a second invocation with
# the same id sees the same streams and queries and one with another id
# sees none of them; the configuration layers (config file, SLUICE_*
# variables, options) pick the cluster and the service; load, dump and run
# work on Kafka; under exactly-once a second process of a service replays
# the command topic (past its transactions' commit markers) and adds a
# query while the first runs, and both name the queries alike; librdkafka
# writes nothing to stderr on the way.
# Usage: tests/kafka/cli.sh path/to/sluice BOOTSTRAP
set -u
SLUICE=${1:?usage: cli.sh path/to/sluice BOOTSTRAP}
B=${2:?usage: cli.sh path/to/sluice BOOTSTRAP}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0
fail=0
run=$$-$(date +%s)         # names of this run: services, topics
svc=cli-$run
other=cli-other-$run

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
expect_exit() {
    want=$1; what=$2; shift 3
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; cat out.txt err.txt; fi
}
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; cat "$1"; fi
}
expect_re() {       # an extended regular expression
    if grep -qE -- "$2" "$1"; then ok; else bad "$3: /$2/ not in $1:"; cat "$1"; fi
}
expect_not_in() {
    if grep -qF -- "$2" "$1"; then bad "$3: '$2' unexpectedly in $1"; cat "$1"; else ok; fi
}
quiet_stderr() {    # no librdkafka log lines ("%3|...")
    if grep -q '^%[0-7]|' err.txt; then bad "$1: librdkafka lines on stderr"; cat err.txt; else ok; fi
}

# ---- one service id, two invocations: the same catalog ----
cat > app.sql <<SQL
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR, n INT)
  WITH (KAFKA_TOPIC='clicks-$run', VALUE_FORMAT='JSON', PARTITIONS=2);
SET 'auto.offset.reset'='earliest';
CREATE STREAM big_clicks WITH (KAFKA_TOPIC='big-clicks-$run') AS
  SELECT user_id, url, n FROM clicks WHERE n > 1 EMIT CHANGES;
SQL
expect_exit 0 "statements on Kafka" -- env SLUICE_SERVICE_ID="$svc" "$SLUICE" -d w1 --bootstrap-servers "$B" -f app.sql
quiet_stderr "statements on Kafka"
expect_exit 0 "a second worker of the service" -- env SLUICE_SERVICE_ID="$svc" "$SLUICE" -d w2 --bootstrap-servers "$B" -e 'SHOW STREAMS; SHOW QUERIES;'
expect_in out.txt "CLICKS" "the second worker sees the stream"
expect_in out.txt "BIG_CLICKS" "the second worker sees the query's sink"
expect_in out.txt "CSAS_BIG_CLICKS_" "the second worker runs the query"
quiet_stderr "a second worker"
expect_exit 0 "another service" -- env SLUICE_SERVICE_ID="$other" "$SLUICE" -d w3 --bootstrap-servers "$B" -e 'SHOW STREAMS; SHOW QUERIES; SHOW ALL TOPICS;'
expect_not_in out.txt "CLICKS " "another service id does not see the stream"
expect_not_in out.txt "CSAS_BIG_CLICKS_" "another service id does not run the query"
expect_in out.txt "_sluice-$svc-command" "the command topic is named after the service id"
expect_in out.txt "_sluice-$other-command" "each service has its own command topic"

# ---- the configuration file names the cluster and the service ----
printf 'bootstrap.servers=%s\nksql.service.id=%s\n' "$B" "$svc" > kafka.properties
expect_exit 0 "the cluster and service from a config file" -- "$SLUICE" -d w4 --config-file kafka.properties -e 'SHOW STREAMS;'
expect_in out.txt "BIG_CLICKS" "the config file's service id is used"
expect_exit 0 "SLUICE_SERVICE_ID over the config file" -- env SLUICE_SERVICE_ID="$other" "$SLUICE" -d w5 --config-file kafka.properties -e 'SHOW STREAMS;'
expect_not_in out.txt "BIG_CLICKS" "the environment wins over the file"
expect_exit 0 "SLUICE_CONFIG_FILE" -- env SLUICE_CONFIG_FILE=kafka.properties "$SLUICE" -d w6 -e 'SHOW STREAMS;'
expect_in out.txt "BIG_CLICKS" "the file named by SLUICE_CONFIG_FILE is read"

# ---- load, run, dump on Kafka ----
printf '{"user_id":"u1","url":"/a","n":1}\n{"user_id":"u2","url":"/b","n":2}\n{"user_id":"u1","url":"/c","n":3}\n' > clicks.jsonl
expect_exit 0 "load into a Kafka topic" -- "$SLUICE" load --bootstrap-servers "$B" "clicks-$run" clicks.jsonl --key user_id
expect_in out.txt "loaded 3 records" "load says how many"
quiet_stderr "load"
expect_exit 0 "run the service's queries until idle" -- "$SLUICE" run -d w7 --config-file kafka.properties --until-idle
expect_in err.txt "on Kafka at $B (service id $svc)" "run says where it runs"
expect_in err.txt "3 read, 2 written, 1 filtered" "the query processed the records"
quiet_stderr "run"
expect_exit 0 "dump the output topic" -- "$SLUICE" dump --config-file kafka.properties "big-clicks-$run" --from-beginning
[ "$(wc -l < out.txt)" -eq 2 ] && ok || { bad "big-clicks has $(wc -l < out.txt) records, wanted 2"; cat out.txt; }
expect_in out.txt '"key":"u2"' "the second click is there"
expect_in out.txt '\"URL\":\"/c\"' "the third click is there"
# the other service's query (same query id, own consumer group) starts
# from the beginning, not from the first service's committed position
sed "s/big-clicks-$run/big-clicks-other-$run/" app.sql > other.sql
expect_exit 0 "the same statements in another service" -- env SLUICE_SERVICE_ID="$other" "$SLUICE" run -d w8 --bootstrap-servers "$B" other.sql --until-idle
expect_in err.txt "3 read, 2 written, 1 filtered" "another service's query reads everything itself"

# ---- SHOW TOPICS EXTENDED: a query's group, its consumers and its lag ----
# asked from a service without queries, so nothing of the asking process
# joins a group meanwhile
show=cli-show-$run
"$SLUICE" run -d w7 --config-file kafka.properties >run.out 2>run.err &
runpid=$!
for _ in $(seq 1 150); do
    grep -q 'assigned' run.err && break
    sleep 0.2
done
expect_exit 0 "SHOW TOPICS EXTENDED" -- env SLUICE_SERVICE_ID="$show" "$SLUICE" -d w9 --bootstrap-servers "$B" -e 'SHOW TOPICS EXTENDED;'
expect_re out.txt "^\| clicks-$run +\| 2 +\| 1 +\| 3 +\| 1 +\| 2 +\|$" "the input: one consumer, two groups"
expect_re out.txt "^\| _sluice-$svc-CSAS_BIG_CLICKS_1 +\| clicks-$run +\| 1 +\| 0 +\|$" "the running query's group: one consumer, no lag"
expect_re out.txt "^\| _sluice-$other-CSAS_BIG_CLICKS_1 +\| clicks-$run +\| 0 +\| 0 +\|$" "the other service's group: no consumer, no lag"
kill "$runpid"
wait "$runpid"
expect_exit 0 "load more" -- "$SLUICE" load --bootstrap-servers "$B" "clicks-$run" clicks.jsonl --key user_id
expect_exit 0 "SHOW TOPICS EXTENDED as JSON" -- env SLUICE_SERVICE_ID="$show" "$SLUICE" -d w9 --bootstrap-servers "$B" -o json -e 'SHOW TOPICS EXTENDED;'
expect_in out.txt '"@type":"kafka_topics_extended"' "ksqlDB's entity"
expect_in out.txt "{\"name\":\"_sluice-$svc-CSAS_BIG_CLICKS_1\",\"consumers\":0,\"lag\":3}" "the stopped query's group is 3 records behind"

# ---- exactly-once: commits must beat the transaction timeout ----
# (one invocation: the statements need no replay of the command topic)
eos=cli-eos-$run
expect_exit 1 "commit.interval.ms at the transaction timeout" -- env SLUICE_SERVICE_ID="$eos" SLUICE_PROP_PROCESSING_GUARANTEE=exactly_once_v2 "$SLUICE" -d w30 --bootstrap-servers "$B" --continue -e "CREATE STREAM e (id INT KEY, v INT) WITH (KAFKA_TOPIC='eos-$run', VALUE_FORMAT='JSON', PARTITIONS=1); SET 'commit.interval.ms'='10000'; CREATE STREAM e2 AS SELECT * FROM e; SET 'commit.interval.ms'='9999'; CREATE STREAM e3 AS SELECT * FROM e; SHOW ALL TOPICS;"
expect_in err.txt "commit.interval.ms is 10000, not below the producer's transaction.timeout.ms (10000) that processing.guarantee=exactly_once_v2 runs with" "the refusal names both properties"
expect_not_in out.txt "CSAS_E2_" "the refused query does not start"
expect_in out.txt "Created query with ID CSAS_E3_" "a commit.interval.ms below the timeout is taken"
# the processing log is the service's own, named as ksqlDB's
expect_in out.txt "| ${eos}sluice_processing_log " "the processing log topic is named after the service id"

# ---- exactly-once: a second process of the service replays the command
# topic (its entries are transactions: a commit marker follows each one)
# and applies a statement while the first process runs ----
eos2=cli-eos2-$run
printf 'bootstrap.servers=%s\nksql.service.id=%s\nprocessing.guarantee=exactly_once_v2\n' "$B" "$eos2" > eos.properties
cat > eos1.sql <<SQL
CREATE STREAM x (id VARCHAR KEY, n INT) WITH (KAFKA_TOPIC='eos2-$run', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM x1 AS SELECT * FROM x EMIT CHANGES;
SQL
"$SLUICE" run -d w40 --config-file eos.properties eos1.sql >run.out 2>run.err &
runpid=$!
for _ in $(seq 1 150); do
    grep -q 'assigned' run.err && break
    sleep 0.2
done
expect_exit 0 "exactly-once: a second process applies a statement" -- "$SLUICE" -d w41 --config-file eos.properties -e 'CREATE STREAM x2 AS SELECT * FROM x WHERE n > 1 EMIT CHANGES;'
expect_in out.txt "Created query with ID CSAS_X2_" "the second process runs its statement"
expect_not_in err.txt "could not be read" "the second process read the whole command topic"
expect_exit 0 "exactly-once: a third process" -- "$SLUICE" -d w42 --config-file eos.properties -e 'SHOW QUERIES;'
# a query is named by its statement's offset in the command topic: the
# first process must have taken the offset its entry got (past the
# marker of the entry before), not the end before that marker was written
x1=$(sed -n 's/^Created query with ID \(CSAS_X1_[0-9]*\)$/\1/p' run.out)
expect_in out.txt "| ${x1:-CSAS_X1_?} " "the first process's query has the name it was created with"
expect_in out.txt "CSAS_X2_" "the second process's query is in the service"
quiet_stderr "a third process under exactly-once"
kill "$runpid"
wait "$runpid"
[ $? -eq 0 ] && ok || { bad "the exactly-once worker did not stop cleanly"; cat run.err; }

# ---- one-shot invocations beside a running worker ----
# each joins the query's group and leaves while the group rebalances:
# librdkafka 2.0 aborts when such a member is destroyed at the wrong
# moment (log/kafka.c, member_close); every one must exit 0
"$SLUICE" run -d w7 --config-file kafka.properties >run.out 2>run.err &
runpid=$!
for _ in $(seq 1 150); do
    grep -q 'assigned' run.err && break
    sleep 0.2
done
for i in 1 2 3 4; do
    expect_exit 0 "one-shot $i beside a worker" -- env SLUICE_SERVICE_ID="$svc" "$SLUICE" -d "w1$i" --bootstrap-servers "$B" -e 'SHOW QUERIES;'
    expect_in out.txt "CSAS_BIG_CLICKS_1" "one-shot $i sees the query"
done
kill "$runpid"
wait "$runpid"
[ $? -eq 0 ] && ok || { bad "the worker beside the one-shots did not stop cleanly"; cat run.err; }

printf 'kafka cli: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
