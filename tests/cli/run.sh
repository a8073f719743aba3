#!/bin/sh
# End-to-end checks of the sluice command line, as a user runs it:
# options, exit codes, error rendering, variables, output formats, and the
# subcommands run, load, dump and test.
# Usage: tests/cli/run.sh path/to/sluice
set -u
SLUICE=${1:?usage: run.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

# expect_exit CODE DESCRIPTION -- command...
expect_exit() {
    want=$1; what=$2; shift 3
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; cat out.txt err.txt; fi
}
# expect_in FILE TEXT DESCRIPTION
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; cat "$1"; fi
}
expect_not_in() {
    if grep -qF -- "$2" "$1"; then bad "$3: '$2' unexpectedly in $1"; cat "$1"; else ok; fi
}

expect_exit 0 "--help" -- "$SLUICE" --help
expect_in out.txt "usage: sluice" "--help prints usage"
expect_in out.txt "--data-dir" "--help names --data-dir"

expect_exit 0 "--version" -- "$SLUICE" --version
expect_in out.txt "sluice " "--version prints the version"

expect_exit 2 "unknown option" -- "$SLUICE" --no-such-option
expect_exit 2 "bad --output" -- "$SLUICE" --output xml -e "SELECT 1;"
expect_exit 2 "bad -D" -- "$SLUICE" -D novalue -e "SELECT 1;"

expect_exit 0 "constant select" -- "$SLUICE" -e "SELECT 1 + 2 AS x, UCASE('a');"
expect_in out.txt "X" "column name from the alias"
expect_in out.txt "3" "1 + 2 is computed"
expect_in out.txt "A" "UCASE('a') is computed"
expect_in out.txt "KSQL_COL_1" "unaliased column named as ksqlDB does"

expect_exit 0 "json output" -- "$SLUICE" --output json -e "SELECT 1 + 2 AS x;"
expect_in out.txt '"X"' "json names the column"
expect_in out.txt '3' "json has the value"

# a syntax error: line, column, the line itself and a caret
printf 'SELECT 1;\nSELECT 1 +* 2;\n' > bad.sql
expect_exit 1 "syntax error in a file" -- "$SLUICE" -f bad.sql
expect_in err.txt "bad.sql:2:" "error names file and line"
expect_in err.txt "SELECT 1 +* 2" "error shows the line"
expect_in err.txt "^" "error has a caret"

# statements after a failure do not run
printf "SELECT UCASE('first') AS a;\nSELECT nosuchfunction(1);\nSELECT UCASE('third') AS c;\n" > stop.sql
expect_exit 1 "a failing statement stops the script" -- "$SLUICE" -f stop.sql
expect_in out.txt "FIRST" "statement before the error ran"
expect_not_in out.txt "THIRD" "statement after the error did not run"
expect_in err.txt "NOSUCHFUNCTION" "error names the function"

# variables: -D and DEFINE, substituted as tokens
expect_exit 0 "-D variable" -- "$SLUICE" -D greeting=hello -e "SELECT UCASE('\${greeting}') AS g;"
expect_in out.txt "HELLO" "-D value substituted inside a literal"
expect_exit 0 "DEFINE variable" -- "$SLUICE" -e "DEFINE n = '41'; SELECT \${n} + 1 AS v;"
expect_in out.txt "42" "DEFINE value substituted as a token"
expect_exit 1 "undefined variable" -- "$SLUICE" -e "SELECT \${nope} AS v;"
expect_in err.txt "nope" "error names the variable"
expect_exit 1 "a variable cannot add a statement" -- "$SLUICE" -D 'v=1; DROP STREAM s' -e "SELECT \${v} AS v;"

# DDL into the catalog, SHOW and DESCRIBE
cat > ddl.sql <<'SQL'
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR, ts BIGINT)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=2);
SHOW STREAMS;
DESCRIBE clicks;
SQL
expect_exit 0 "create and describe a stream" -- "$SLUICE" -f ddl.sql
expect_in out.txt "CLICKS" "SHOW STREAMS lists the stream"
expect_in out.txt "USER_ID" "DESCRIBE lists the key column"
expect_in out.txt "(key)" "DESCRIBE marks the key"

printf 'CREATE STREAM s (a INT, a BIGINT) WITH (KAFKA_TOPIC=%s, VALUE_FORMAT=%s, PARTITIONS=1);\n' "'t'" "'JSON'" > dup.sql
expect_exit 1 "duplicate column" -- "$SLUICE" -f dup.sql
expect_in err.txt "dup.sql:1:" "duplicate column error has a position"

expect_exit 0 "functions are listed" -- "$SLUICE" -e "SHOW FUNCTIONS; DESCRIBE FUNCTION substring;"
expect_in out.txt "REGEXP_EXTRACT" "SHOW FUNCTIONS lists REGEXP_EXTRACT"
expect_in out.txt "SUBSTRING" "DESCRIBE FUNCTION names the function"

# statements read from stdin when it is not a terminal
printf "SELECT LCASE('PIPED') AS p;\n" | "$SLUICE" >out.txt 2>err.txt
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "stdin script exit $rc"; cat err.txt; fi
expect_in out.txt "piped" "stdin statements run"


# ---- subcommands ----
expect_exit 0 "--help lists the commands" -- "$SLUICE" --help
expect_in out.txt "run FILE" "--help names run"
expect_in out.txt "load TOPIC FILE" "--help names load"
expect_in out.txt "dump TOPIC" "--help names dump"
expect_in out.txt "test -s" "--help names test"
expect_exit 0 "help run" -- "$SLUICE" help run
expect_in out.txt "--until-idle" "help run shows run's options"
expect_exit 2 "help of no command" -- "$SLUICE" help nosuch
expect_exit 2 "subcommand after an option" -- "$SLUICE" -d x run app.sql
expect_in err.txt "the command goes first" "a misplaced subcommand is explained"
expect_exit 2 "run with two files" -- "$SLUICE" run a.sql b.sql
expect_exit 2 "load without a file" -- "$SLUICE" load topic
expect_exit 2 "load with a bad format" -- "$SLUICE" load t x.txt --format xml

# ---- load and dump ----
D=$tmp/data1
printf '{"id":"a","n":1,"ts":1000}\n{"ID":"b","n":2,"ts":2000}\n\n{"id":null,"n":3,"ts":3000}\n' > recs.jsonl
expect_exit 0 "load JSON lines with key and timestamp" -- "$SLUICE" load -d "$D" people recs.jsonl --key id --timestamp ts
expect_in out.txt "loaded 3 records into people" "load says how many"
expect_in out.txt "records/s" "load prints the rate"
expect_exit 0 "dump from the beginning" -- "$SLUICE" dump -d "$D" people --from-beginning
expect_in out.txt '{"partition":0,"offset":0,"timestamp":1000,"key":"a","value":"{\"id\":\"a\",\"n\":1,\"ts\":1000}"}' "dump writes the first record exactly"
expect_in out.txt '"offset":1,"timestamp":2000,"key":"b"' "the key field matches case-insensitively"
expect_in out.txt '"offset":2,"timestamp":3000,"key":null' "a null key field gives a null key"
expect_exit 0 "dump --limit" -- "$SLUICE" dump -d "$D" people --from-beginning --limit 2
[ "$(wc -l < out.txt)" -eq 2 ] && ok || bad "dump --limit 2 wrote $(wc -l < out.txt) lines"
expect_exit 1 "dump of a missing topic" -- "$SLUICE" dump -d "$D" nosuch --from-beginning
# without --from-beginning dump waits for new records; SIGTERM ends it cleanly
"$SLUICE" dump -d "$D" people >follow.out 2>follow.err &
fpid=$!
n=0   # its pid in the lock file: the signal handler is in place by then
while [ $n -lt 300 ] && ! grep -q "pid $fpid" "$D/LOCK" 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
kill -TERM $fpid
wait $fpid
rc=$?
[ "$rc" -eq 0 ] && ok || bad "dump (following) after SIGTERM exited $rc"
[ ! -s follow.out ] && ok || bad "dump without --from-beginning printed old records"

printf '{"id":"c","n":4}\n{"id":"d"\n' > bad.jsonl
expect_exit 1 "a line without the timestamp field is skipped" -- "$SLUICE" load -d "$D" people bad.jsonl --key id --timestamp ts
expect_in err.txt "line 1 skipped" "the skipped line is named"
expect_in err.txt "line 2 skipped" "a malformed line with --key is named"
expect_exit 1 "load into a topic with other partitions" -- "$SLUICE" load -d "$D" people recs.jsonl --partitions 3
expect_in err.txt "exists with 1 partition" "the partition count is explained"

printf 'id,name\n7,"Smith, J"\n8,"two\nlines"\n' > recs.csv
expect_exit 0 "load CSV with a header and a BIGINT key" -- "$SLUICE" load -d "$D" csvt recs.csv --header --key id --key-type bigint --partitions 2
expect_in out.txt "loaded 2 records into csvt (2 partitions)" "the header line is not loaded"
expect_exit 0 "dump the CSV topic" -- "$SLUICE" dump -d "$D" csvt --from-beginning
expect_in out.txt '"key":"AAAAAAAAAAc=","key_encoding":"base64","value":"7,\"Smith, J\""' "a binary key is base64, the value kept as written"
expect_in out.txt '"value":"8,\"two\nlines\""' "a quoted newline stays inside one record"

# ---- run ----
D=$tmp/data2
cat > app.sql <<'SQL'
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR, n INT)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
CREATE STREAM big_clicks AS SELECT user_id, url, n FROM clicks WHERE n > 1 EMIT CHANGES;
SQL
printf '{"user_id":"u1","url":"/a","n":1}\n{"user_id":"u2","url":"/b","n":2}\n{"user_id":"u1","url":"/c","n":3}\n' > clicks.jsonl
expect_exit 0 "load before the first run" -- "$SLUICE" load -d "$D" clicks clicks.jsonl --key user_id
expect_exit 0 "run --until-idle" -- "$SLUICE" run -d "$D" app.sql --until-idle
expect_in err.txt "1 persistent query" "run says how many queries run"
expect_in err.txt "3 read, 2 written, 1 filtered, 0 failed" "run prints the query's counts"
expect_exit 0 "dump the query's output" -- "$SLUICE" dump -d "$D" BIG_CLICKS --from-beginning
[ "$(wc -l < out.txt)" -eq 2 ] && ok || bad "BIG_CLICKS has $(wc -l < out.txt) records, wanted 2"
expect_in out.txt '"key":"u2"' "the second click is there"
expect_in out.txt '"key":"u1","value":"{\"URL\":\"/c\",\"N\":3}"' "the third click is there"
expect_exit 0 "the same file again" -- "$SLUICE" run -d "$D" app.sql --until-idle
expect_in err.txt "was applied to" "an applied file is not applied twice"
expect_exit 0 "no duplicates after a second run" -- "$SLUICE" dump -d "$D" BIG_CLICKS --from-beginning
[ "$(wc -l < out.txt)" -eq 2 ] && ok || bad "after a rerun BIG_CLICKS has $(wc -l < out.txt) records"
printf 'CREATE STREAM nope (a INT) WITH (KAFKA_TOPIC=%s, VALUE_FORMAT=%s);\n' "'nope'" "'JSON'" > broken.sql
expect_exit 1 "run with a failing statement" -- "$SLUICE" run -d "$D" broken.sql --until-idle

# SIGTERM ends a worker with status 0; meanwhile the data directory is locked
"$SLUICE" run -d "$D" >run.out 2>run.err &
wpid=$!
n=0
while [ $n -lt 100 ] && ! grep -q "running until" run.err 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
expect_exit 1 "a second process on the same data directory" -- "$SLUICE" dump -d "$D" BIG_CLICKS --from-beginning
expect_in err.txt "in use by process $wpid" "the lock error names the worker"
kill -TERM $wpid
wait $wpid
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "run after SIGTERM exited $rc"; cat run.err; }

# ---- test: a mismatch is reported and fails ----
mkdir -p case
cat > case/statements.sql <<'SQL'
CREATE STREAM src (id VARCHAR KEY, v INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM dst AS SELECT id, v * 10 AS v10 FROM src EMIT CHANGES;
SQL
cat > case/input.json <<'JSON'
{"inputs": [{"topic": "src", "key": "a", "value": {"V": 1}, "timestamp": 5},
            {"topic": "src", "key": "b", "value": {"V": 2}, "timestamp": 6}]}
JSON
cat > case/good.json <<'JSON'
{"outputs": [{"topic": "DST", "key": "a", "value": {"V10": 10}, "timestamp": 5},
             {"topic": "DST", "key": "b", "value": {"V10": 20}}]}
JSON
cat > case/wrong.json <<'JSON'
{"outputs": [{"topic": "DST", "key": "a", "value": {"V10": 10}},
             {"topic": "DST", "key": "b", "value": {"V10": 21}}]}
JSON
cat > case/order.json <<'JSON'
{"outputs": [{"topic": "DST", "key": "a", "value": {"V10": 10}, "timestamp": 6},
             {"topic": "DST", "key": "b", "value": {"V10": 20}}]}
JSON
expect_exit 0 "sluice test passes" -- "$SLUICE" test -s case/statements.sql -i case/input.json -o case/good.json
expect_in out.txt "Test passed!" "a passing test says so"
expect_exit 1 "sluice test fails on a wrong value" -- "$SLUICE" test -s case/statements.sql -i case/input.json -o case/wrong.json
expect_in out.txt 'MISSING      {"topic":"DST","key":"b","value":{"V10":21}}' "the expected record is shown missing"
expect_in out.txt 'UNEXPECTED   {"topic":"DST","key":"b","value":{"V10":20},"timestamp":6}' "the record written is shown"
expect_not_in out.txt "Test passed!" "a failing test does not pass"
expect_exit 1 "sluice test fails on a wrong timestamp" -- "$SLUICE" test -s case/statements.sql -i case/input.json -o case/order.json
expect_exit 1 "sluice test with a failing statement" -- "$SLUICE" test -s broken.sql -o case/good.json
expect_exit 1 "sluice test with malformed JSON" -- "$SLUICE" test -s case/statements.sql -i broken.sql -o case/good.json
expect_exit 2 "sluice test without -o" -- "$SLUICE" test -s case/statements.sql
mkdir -p tt
TMPDIR=$tmp/tt "$SLUICE" test -s case/statements.sql -i case/input.json -o case/wrong.json >/dev/null 2>&1
[ -z "$(ls tt)" ] && ok || bad "sluice test left its data directory behind: $(ls tt)"

# --continue runs the statements after a failure, and still exits 1
expect_exit 1 "--continue keeps going" -- "$SLUICE" --continue -d "$tmp/cont-data" -e "SELECT 1 AS a; SELECT nope(1); SELECT 1 +* 2; SELECT UCASE('after') AS c;"
expect_in out.txt "AFTER" "the statement after two failures ran"
expect_in err.txt "NOPE" "the first failure is reported"
expect_in err.txt "mismatched input" "the second failure is reported"

# processing-log entries carry the failed record's bytes only when asked
P="$tmp/plog-data"
expect_exit 0 "a query that logs failed rows" -- "$SLUICE" -d "$P" -e "SET 'auto.offset.reset'='earliest'; SET 'ksql.logging.processing.rows.include'='true'; CREATE STREAM pin (v INT) WITH (KAFKA_TOPIC='pin', VALUE_FORMAT='JSON', PARTITIONS=1); CREATE STREAM pout AS SELECT v FROM pin;"
printf '{"v": "abc"}\n{"v": 5}\n' > plog.jsonl
expect_exit 0 "load a bad and a good record" -- "$SLUICE" load -d "$P" pin plog.jsonl
expect_exit 0 "run until idle" -- "$SLUICE" run -d "$P" --until-idle
expect_exit 0 "read the processing log" -- "$SLUICE" -d "$P" -e "SELECT ERROR_KIND, RECORD FROM KSQL_PROCESSING_LOG;"
expect_in out.txt "eyJ2IjogImFiYyJ9" "the failed record's bytes, base64"
expect_exit 0 "the good record came through" -- "$SLUICE" -d "$P" -e "SELECT v FROM pout;"
expect_in out.txt "| 5 " "the good record is in the output"

# a property that nothing acts on yet says so instead of pretending
expect_exit 0 "SET of a property with no effect yet" -- "$SLUICE" -d "" -e "SET 'num.stream.threads'='8'; SET 'auto.offset.reset'='earliest';"
expect_in out.txt "'num.stream.threads' has no effect yet" "the note names the property"
expect_not_in out.txt "'auto.offset.reset' has no effect" "an honoured property has no note"

# transient results keep the SELECT list's column order (persistent sinks put keys first)
O="$tmp/order-data"
cat > order.sql <<'SQL'
CREATE STREAM o (id INT KEY, name VARCHAR) WITH (KAFKA_TOPIC='o', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO o (id, name) VALUES (7, 'seven');
SELECT name, id FROM o;
SQL
expect_exit 0 "pull query in SELECT order" -- "$SLUICE" -d "$O" -f order.sql
expect_in out.txt "| NAME  | ID |" "columns shown in the order the SELECT names them"
expect_in out.txt "| seven | 7  |" "values follow the same order"

# ---- configuration: layers, refused properties, an unreachable Kafka ----
# (tests/kafka/cli.sh checks the same against a real broker)

# a cluster nobody listens at: one clear message, exit 2, no librdkafka lines
expect_exit 2 "an unreachable Kafka cluster" -- "$SLUICE" --bootstrap-servers 127.0.0.1:1 -e 'SHOW TOPICS;'
expect_in err.txt "cannot reach Kafka at 127.0.0.1:1:" "the message names the cluster"
expect_in err.txt "Connection refused" "the message says why"
expect_in err.txt "no answer within 5000 ms" "the default bound is 5 s"
[ "$(wc -l < err.txt)" -eq 1 ] && ok || { bad "unreachable Kafka: more than one line on stderr"; cat err.txt; }
expect_not_in err.txt "%3|" "no librdkafka log lines"
expect_not_in out.txt "Kafka Topic" "nothing ran"
expect_exit 2 "a shorter connect timeout" -- env SLUICE_PROP_SLUICE_KAFKA_CONNECT_TIMEOUT_MS=300 "$SLUICE" --bootstrap-servers 127.0.0.1:1 -e 'SHOW TOPICS;'
expect_in err.txt "no answer within 300 ms" "the bound comes from the environment"
for cmd in "run --until-idle" "dump topic --from-beginning" "load topic recs.jsonl" "test -s case/statements.sql -o case/good.json"; do
    # shellcheck disable=SC2086
    expect_exit 2 "sluice $cmd on an unreachable cluster" -- "$SLUICE" $cmd --bootstrap-servers 127.0.0.1:1
    expect_in err.txt "cannot reach Kafka at 127.0.0.1:1" "sluice $cmd says so"
done

# properties that load code or run commands are refused wherever they come from
printf 'bootstrap.servers=127.0.0.1:1\n# a comment\nplugin.library.paths=/tmp/evil.so\n' > evil.properties
expect_exit 2 "a refused property in the config file" -- "$SLUICE" --config-file evil.properties -e 'SELECT 1;'
expect_in err.txt "'plugin.library.paths' (evil.properties:3) is refused" "the error names the property and file:line"
expect_not_in err.txt "cannot reach" "nothing was opened"
for cmd in "run" "dump t" "load t recs.jsonl" "test -s case/statements.sql -o case/good.json"; do
    # shellcheck disable=SC2086
    expect_exit 2 "sluice $cmd --config-file with a refused property" -- "$SLUICE" $cmd --config-file evil.properties
    expect_in err.txt "evil.properties:3" "sluice $cmd names the line"
done
expect_exit 2 "a refused property in the environment" -- env SLUICE_PROP_SASL_KERBEROS_KINIT_CMD='touch pwned' "$SLUICE" -d "$tmp/env-data" -e 'SELECT 1;'
expect_in err.txt "SLUICE_PROP_SASL_KERBEROS_KINIT_CMD" "the error names the variable"
[ ! -e pwned ] && ok || bad "a refused command ran"
printf 'sasl.mechanism=GSSAPI\n' > gssapi.properties
expect_exit 2 "Kerberos (kinit) is refused" -- "$SLUICE" --config-file gssapi.properties -d "$tmp/gss" -e 'SELECT 1;'
expect_in err.txt "GSSAPI" "the error says why"
expect_exit 2 "a missing config file" -- "$SLUICE" --config-file nosuch.properties -e 'SELECT 1;'
expect_in err.txt "nosuch.properties" "the error names the file"
printf 'ksql.service.id=no spaces please\n' > badid.properties
expect_exit 2 "an invalid service id" -- "$SLUICE" --config-file badid.properties -e 'SELECT 1;'
expect_in err.txt "badid.properties:1" "the error names the line"

# unknown keys: a warning, and the rest applies
printf 'listeners=http://0.0.0.0:8088\nksql.streams.auto.offset.reset=earliest\n' > ksql.properties
expect_exit 0 "a config file with an unknown key" -- "$SLUICE" --config-file ksql.properties -d "$tmp/ksql-data" -e 'SHOW PROPERTIES;'
expect_in err.txt "ksql.properties:1: unknown property 'listeners'" "the unknown key is named"
grep -q "auto.offset.reset *| SESSION *| earliest" out.txt && ok || { bad "the config file's auto.offset.reset is not in force"; cat out.txt; }

# precedence: command line > SLUICE_* > config file
printf 'sluice.data.dir=%s\n' "$tmp/from-file" > dirs.properties
expect_exit 0 "data dir from the file" -- "$SLUICE" --config-file dirs.properties -e 'SELECT 1;'
[ -d "$tmp/from-file" ] && ok || bad "the config file's data directory was not used"
expect_exit 0 "data dir from the environment" -- env SLUICE_CONFIG_FILE=dirs.properties SLUICE_DATA_DIR="$tmp/from-env" "$SLUICE" -e 'SELECT 1;'
[ -d "$tmp/from-env" ] && ok || bad "SLUICE_DATA_DIR did not win over the file"
expect_exit 0 "data dir from the command line" -- env SLUICE_DATA_DIR="$tmp/from-env2" "$SLUICE" --config-file dirs.properties -d "$tmp/from-cli" -e 'SELECT 1;'
[ -d "$tmp/from-cli" ] && [ ! -d "$tmp/from-env2" ] && ok || bad "-d did not win over SLUICE_DATA_DIR"
# the subcommands read the same layers: dump finds the store the file names
printf 'sluice.data.dir=%s\n' "$tmp/data1" > store.properties
expect_exit 0 "dump --config-file" -- "$SLUICE" dump --config-file store.properties people --from-beginning
expect_in out.txt '"key":' "dump read the store the config file names"

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
