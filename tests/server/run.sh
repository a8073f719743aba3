#!/bin/sh
# `sluice server` driven with curl, as a user of ksqlDB's REST API would:
# statements and their errors on /ksql, pull and push queries on /query and
# /query-stream (streaming until LIMIT, close-query, a client that goes
# away, the push-query bound), /inserts-stream acks for good and bad rows,
# /healthcheck, /info, /status, /metrics, the body-size bound, the refusal
# to listen beyond loopback without TLS and basic auth, TLS with basic auth
# for real, SIGTERM (exit 0 with a query streaming), and a restart: deploy a
# queries file, push data, SIGTERM, start again, push more; every output
# record there once.
# Usage: tests/server/run.sh path/to/sluice
set -u
SLUICE=${1:?usage: run.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
for tool in curl jq; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "server/run.sh: SKIP: $tool is not installed (scripts/deps --test installs it)"
        exit 0
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/worker.sh"
tmp=$(mktemp -d)
bgpids=
cleanup() {
    for p in $bgpids; do kill "$p" 2>/dev/null; done
    kill_worker
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
fail=0
pass=0
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
ok() { pass=$((pass + 1)); }
# check DESCRIPTION JQ-EXPRESSION FILE: the expression is true of the file
check() {
    if jq -e "$2" "$3" >/dev/null 2>&1; then ok; else bad "$1"; echo "  got: $(head -c 600 "$3")"; fi
}

# post PATH BODY OUT: POST, the body in OUT, the status printed
post() {
    curl -sS -o "$3" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/vnd.ksql.v1+json' --data-binary "$2" "$URL$1"
}
get() { curl -sS -o "$2" -w '%{http_code}' "$URL$1"; }
# expect_status WHAT WANT GOT
expect_status() {
    if [ "$3" = "$2" ]; then ok; else bad "$1: HTTP $3, want $2"; fi
}
# wait_for WHAT COMMAND...: up to 30 s for COMMAND to succeed (a guard
# against hanging, not a measure of speed)
wait_for() {
    what=$1; shift
    i=0
    while [ $i -lt 300 ]; do
        if "$@"; then ok; return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    bad "$what"
    return 1
}
# count_rows STREAM: rows of a pull query over it (query-stream lines after the header)
count_rows() {
    post /query-stream "{\"sql\":\"SELECT * FROM $1;\"}" count.out >/dev/null
    echo $(( $(wc -l < count.out) - 1 ))
}
rows_are() { [ "$(count_rows "$1")" -eq "$2" ]; }
# metric NAME LABELS: its value in /metrics
metric() {
    m=$1
    [ -n "$2" ] && m="$1{$2}"
    curl -sS "$URL/metrics" | awk -v m="$m" '$1 == m { print $2 }'
}
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }

# ---------------------------------------------------------------- statements
start_worker main -d "$tmp/data" --max-push-queries 2 --max-body 4096
[ -n "$URL" ] || { printf '%d failed\n' "$fail"; exit 1; }

st=$(post /ksql '{"ksql":"CREATE STREAM clicks (user_id VARCHAR KEY, n INT, url VARCHAR) WITH (KAFKA_TOPIC='"'clicks'"', VALUE_FORMAT='"'JSON'"', PARTITIONS=1); CREATE STREAM ratio AS SELECT user_id, 100 / n AS r FROM clicks EMIT CHANGES;","streamsProperties":{"auto.offset.reset":"earliest"}}' ksql1.json)
expect_status "/ksql CREATE" 200 "$st"
check "/ksql answers one currentStatus per statement" \
    'length == 2 and all(.[]; .["@type"] == "currentStatus")' ksql1.json
check "/ksql gives ksqlDB's commandId and commandStatus" \
    '.[0].commandId == "stream/CLICKS/create" and .[0].commandStatus.status == "SUCCESS"' ksql1.json

st=$(post /ksql '{"ksql":"SHOW STREAMS; SHOW QUERIES;"}' ksql2.json)
expect_status "/ksql SHOW" 200 "$st"
check "SHOW STREAMS lists CLICKS and RATIO" \
    '.[0]["@type"] == "streams" and ([.[0].streams[].name] | index("CLICKS") and index("RATIO"))' ksql2.json
check "SHOW QUERIES lists the persistent query" \
    '.[1]["@type"] == "queries" and (.[1].queries | length) == 1' ksql2.json
qid=$(jq -r '.[1].queries[0].id' ksql2.json)

# sessionVariables: substituted for this request only
st=$(post /ksql '{"ksql":"DESCRIBE ${src};","sessionVariables":{"src":"clicks"}}' ksql3.json)
expect_status "/ksql with sessionVariables" 200 "$st"
check "DESCRIBE through a session variable" '.[0]["@type"] == "sourceDescription"' ksql3.json
# ksqlDB's SourceDescriptionEntity: the description nested, fields with schemas
check "DESCRIBE nests ksqlDB's sourceDescription" \
    '.[0].sourceDescription | .name == "CLICKS" and .type == "STREAM" and .extended == false
     and .topic == "clicks" and .partitions == 1 and (.readQueries | length) == 1
     and .readQueries[0].sinks == ["RATIO"] and .statistics == ""
     and .fields[0] == {"name":"USER_ID","schema":{"type":"STRING","fields":null,"memberSchema":null},"type":"KEY"}
     and (.fields[1] | has("type") | not)' ksql3.json
st=$(post /ksql '{"ksql":"DESCRIBE clicks EXTENDED; SHOW QUERIES;"}' ksql3x.json)
expect_status "/ksql DESCRIBE EXTENDED" 200 "$st"
check "DESCRIBE EXTENDED has the same shape, extended and with statistics" \
    '.[0].sourceDescription | .extended == true and (.statistics | test("consumer-total-messages"))
     and (.errorStats | test("consumer-failed-messages")) and .writeQueries == []' ksql3x.json
check "SHOW QUERIES gives ksqlDB's RunningQuery" \
    '.[1].queries[0] | .sinks == ["RATIO"] and .sinkKafkaTopics == ["RATIO"]
     and .statusCount == {"RUNNING":1} and .queryType == "PERSISTENT"' ksql3x.json

# errors: the status, the @type, the code, and what ran before the failure
st=$(post /ksql '{"ksql":"CREATE STREAM c2 (a INT) WITH (KAFKA_TOPIC='"'c2'"', VALUE_FORMAT='"'JSON'"', PARTITIONS=1); CREATE STREAM bad AS SELECT nope FROM clicks EMIT CHANGES;"}' err1.json)
expect_status "/ksql failing statement" 400 "$st"
check "statement_error 40001 naming the column, with the earlier entity" \
    '.["@type"] == "statement_error" and .error_code == 40001 and (.message | test("NOPE"))
     and (.statementText | test("CREATE STREAM bad")) and (.entities | length) == 1' err1.json
st=$(post /ksql '{"ksql":"SELECT * FROM clicks;"}' err2.json)
expect_status "/ksql with a SELECT" 400 "$st"
check "a SELECT on /ksql is error 40002" '.error_code == 40002' err2.json
st=$(post /ksql '{"ksql":"RUN SCRIPT '"'/etc/passwd'"';"}' err3.json)
expect_status "/ksql RUN SCRIPT" 400 "$st"
check "RUN SCRIPT is refused: the server opens no path a client names" \
    '.error_code == 40001 and (.message | test("file"))' err3.json
st=$(post /ksql '{"ksql":"DEFINE p = '"'/etc/passwd'"'; RUN SCRIPT '"'"'${p}'"'"';"}' err3b.json)
expect_status "/ksql RUN SCRIPT through a DEFINE" 400 "$st"
check "RUN SCRIPT is refused through a variable too" '.error_code == 40001 and (.message | test("file"))' err3b.json
st=$(post /ksql 'not json' err4.json)
expect_status "/ksql with a body that is not JSON" 400 "$st"
check "a bad body is generic_error 40000" '.["@type"] == "generic_error" and .error_code == 40000' err4.json
st=$(post /nowhere '{}' err5.json)
expect_status "an unknown path" 404 "$st"
st=$(get /ksql err6.json)
expect_status "GET on a POST endpoint" 405 "$st"
big=$(head -c 5000 /dev/zero | tr '\0' x)
st=$(post /ksql "{\"ksql\":\"$big\"}" err7.json)
expect_status "a body past --max-body" 413 "$st"
check "413 says what the limit is" '.error_code == 41300 and (.message | test("4096"))' err7.json

# ---------------------------------------------------------------- inserts
printf '%s\n' '{"target":"clicks"}' \
    '{"user_id":"u1","n":1,"url":"/a"}' \
    '{"USER_ID":"u2","N":2,"URL":"/b"}' \
    '{"user_id":"u3","nope":3}' \
    'not json' \
    '{"user_id":"u4","n":0,"url":"it'"'"'s; DROP STREAM clicks;"}' \
    '{"user_id":"u5","n":"five"}' > rows.jsonl
st=$(post /inserts-stream "$(cat rows.jsonl)" acks.jsonl)
expect_status "/inserts-stream" 200 "$st"
jq -s '.' acks.jsonl > acks.json 2>/dev/null || echo '[]' > acks.json
check "one ack per row, in order, seq from 0" '[.[].seq] == [0,1,2,3,4,5]' acks.json
check "good rows are acked ok, bad ones get an error" \
    '[.[].status] == ["ok","ok","error","error","ok","error"]' acks.json
check "an unknown column is named in its ack" '.[2].message | test("NOPE"; "i")' acks.json
st=$(post /inserts-stream '{"target":"nowhere"}' acks2.json)
expect_status "/inserts-stream to a missing stream" 400 "$st"

# a quote in a value stays a value: the stream is still there, the text intact
post /query-stream '{"sql":"SELECT url FROM clicks WHERE user_id = '"'u4'"';"}' q0.out >/dev/null
tail -n 1 q0.out > q0.row
check "a value with a quote and a semicolon is stored as text" \
    '.[0] == "it'"'"'s; DROP STREAM clicks;"' q0.row

# ---------------------------------------------------------------- queries
st=$(post /query-stream '{"sql":"SELECT user_id, n FROM clicks;"}' pull.out)
expect_status "/query-stream pull query" 200 "$st"
head -n 1 pull.out > pull.head
check "the header names the columns and their types" \
    '.columnNames == ["USER_ID","N"] and .columnTypes == ["STRING","INTEGER"] and (.queryId | length) > 0' pull.head
tail -n +2 pull.out | jq -s '.' > pull.rows
check "the pull query returns the three rows inserted, as arrays" \
    'length == 3 and (map(.[0]) | sort) == ["u1","u2","u4"]' pull.rows

st=$(post /query '{"ksql":"SELECT user_id, n FROM clicks EMIT CHANGES LIMIT 2;","streamsProperties":{"auto.offset.reset":"earliest"}}' push1.json)
expect_status "/query push query with LIMIT" 200 "$st"
check "/query is a JSON array: header, two rows, finalMessage" \
    'length == 4 and (.[0].header.schema | test("`USER_ID` STRING")) and (.[1].row.columns | length) == 2
     and .[3].finalMessage == "Limit Reached"' push1.json

st=$(post /query-stream '{"sql":"SELECT * FROM nowhere;"}' qerr1.json)
expect_status "/query-stream on a missing stream" 400 "$st"
check "... is a statement_error naming it" '.error_code == 40001 and (.message | test("NOWHERE"))' qerr1.json
st=$(post /query '{"ksql":"SELECT * FROM clicks; SELECT * FROM clicks;"}' qerr2.json)
expect_status "/query with two statements" 400 "$st"
check "... is error 40002" '.error_code == 40002' qerr2.json
st=$(post /inserts-stream "$(printf '{"target":"clicks"}\n{"user_id":"%s"}' "$big")" qerr3.json)
expect_status "/inserts-stream with a line past --max-body" 413 "$st"

# a push query from the latest offset streams the rows inserted after it started
curl -sS -N -X POST --data-binary '{"sql":"SELECT user_id, r FROM ratio EMIT CHANGES LIMIT 2;"}' \
    "$URL/query-stream" > push2.out 2>push2.err &
cpid=$!
bgpids="$bgpids $cpid"
wait_for "the push query's header arrives" test -s push2.out
post /inserts-stream "$(printf '%s\n' '{"target":"clicks"}' '{"user_id":"u6","n":4}' '{"user_id":"u7","n":5}')" acks3.jsonl >/dev/null
i=0; while kill -0 $cpid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $cpid 2>/dev/null; then bad "the push query did not end at its LIMIT"; kill $cpid; fi
tail -n +2 push2.out | jq -s '.' > push2.rows 2>/dev/null || echo '[]' > push2.rows
check "the push query got the two new rows, then ended" '. == [["u6",25],["u7",20]]' push2.rows

# close-query ends a push query without LIMIT; the unknown id is an error
curl -sS -N -X POST --data-binary '{"sql":"SELECT * FROM clicks EMIT CHANGES;"}' \
    "$URL/query-stream" > push3.out 2>/dev/null &
cpid=$!
bgpids="$bgpids $cpid"
wait_for "the header of the query to close arrives" test -s push3.out
qid3=$(head -n 1 push3.out | jq -r .queryId)
st=$(post /close-query "{\"queryId\":\"$qid3\"}" close.out)
expect_status "/close-query" 200 "$st"
i=0; while kill -0 $cpid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $cpid 2>/dev/null; then bad "close-query did not end the stream"; kill $cpid; else ok; fi
st=$(post /close-query '{"queryId":"transient_NOPE_1"}' close2.out)
expect_status "/close-query of an unknown id" 400 "$st"

# the push-query bound, and clients that go away: their queries end
for k in 1 2; do
    curl -sS -N -X POST --data-binary '{"sql":"SELECT * FROM clicks EMIT CHANGES;"}' \
        "$URL/query-stream" > "hold$k.out" 2>/dev/null &
    eval "hold$k=\$!"
    bgpids="$bgpids $!"
    wait_for "push query $k of 2 starts" test -s "hold$k.out"
done
st=$(post /query-stream '{"sql":"SELECT * FROM clicks EMIT CHANGES;"}' third.out)
expect_status "a third push query past --max-push-queries 2" 429 "$st"
check "429 is error 42900 and names the option" \
    '.error_code == 42900 and (.message | test("max-push-queries"))' third.out
wait_for "/metrics counts 2 push queries" metric_is sluice_push_queries "" 2 ||
    curl -sS "$URL/metrics" | grep push
# shellcheck disable=SC2154
kill "$hold1" "$hold2"
wait_for "the push queries of clients gone end" metric_is sluice_push_queries "" 0

# ---------------------------------------------------------------- status
st=$(get /healthcheck health.json)
expect_status "/healthcheck" 200 "$st"
check "healthy" '.isHealthy == true and .details.queries.isHealthy == true' health.json
st=$(get /info info.json)
expect_status "/info" 200 "$st"
check "/info is KsqlServerInfo, RUNNING" \
    '.KsqlServerInfo.serverStatus == "RUNNING" and .KsqlServerInfo.ksqlServiceId != null' info.json
st=$(get /status status.json)
expect_status "/status" 200 "$st"
check "/status has the commands run" \
    '.commandStatuses["stream/CLICKS/create"] == "SUCCESS" and .commandStatuses["stream/BAD/create"] == "ERROR"' status.json
st=$(get /status/stream/RATIO/create status1.json)
expect_status "/status of one command" 200 "$st"
check "/status of one command says SUCCESS" '.status == "SUCCESS"' status1.json

# 5 rows reached RATIO's input (u1 u2 u4 u6 u7); u4 has n = 0: 100 / 0 fails
wait_for "/metrics: the query read 5 records" metric_is sluice_query_records_in_total "query_id=\"$qid\"" 5
check_metrics() {
    curl -sS "$URL/metrics" > metrics.txt
    grep -q "^sluice_query_records_out_total{query_id=\"$qid\"} 4\$" metrics.txt &&
    grep -q "^sluice_query_records_failed_total{query_id=\"$qid\"} 1\$" metrics.txt &&
    grep -q "^sluice_query_lag_records{query_id=\"$qid\"} 0\$" metrics.txt &&
    grep -q '^# TYPE sluice_query_records_late_total counter$' metrics.txt &&
    grep -q '^sluice_query_state_bytes{' metrics.txt &&
    grep -q '^sluice_inserted_rows_total 5$' metrics.txt &&
    grep -q '^sluice_insert_errors_total 3$' metrics.txt
}
wait_for "/metrics: 4 out, 1 failed, no lag, inserts counted" check_metrics ||
    grep -v '^#' metrics.txt | head -30
post /query-stream '{"sql":"SELECT * FROM KSQL_PROCESSING_LOG;"}' plog.out >/dev/null
[ "$(grep -c 'by zero' plog.out)" -ge 1 ] && ok || bad "the failed record is in the processing log"

# SIGTERM while a push query streams: the query ends, exit 0
curl -sS -N -X POST --data-binary '{"sql":"SELECT * FROM clicks EMIT CHANGES;"}' \
    "$URL/query-stream" > push4.out 2>/dev/null &
cpid=$!
bgpids="$bgpids $cpid"
wait_for "a push query streams before SIGTERM" test -s push4.out
stop_worker
[ "$stop_rc" -eq 0 ] && ok || { bad "SIGTERM: exit $stop_rc, want 0"; cat main.err; }
i=0; while kill -0 $cpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $cpid 2>/dev/null && bad "the client's stream did not end at SIGTERM" || ok

# ---------------------------------------------------------------- exposure
"$SLUICE" server -d "$tmp/d2" --listen 0.0.0.0:0 >expose.out 2>expose.err
rc=$?
[ "$rc" -eq 2 ] && ok || bad "listening on 0.0.0.0 without TLS and auth: exit $rc, want 2"
grep -q "TLS" expose.err && grep -q "basic auth" expose.err && ok ||
    { bad "the refusal does not say TLS and basic auth are needed"; cat expose.err; }
if command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
    "$SLUICE" server -d "$tmp/d2" --listen 0.0.0.0:0 --tls-cert cert.pem --tls-key key.pem \
        >expose2.out 2>expose2.err
    rc=$?
    [ "$rc" -eq 2 ] && grep -q "basic auth" expose2.err && ok ||
        bad "TLS without basic auth beyond loopback: exit $rc, want 2 naming basic auth"
    printf '# users\nalice:s3cret\n' > users
    start_worker tls -d "$tmp/d2" --tls-cert cert.pem --tls-key key.pem --auth-file users \
        --max-connections 1
    case "$URL" in https://*) ok ;; *) bad "with --tls-cert the URL is not https: $URL" ;; esac
    st=$(curl -sS -k -o noauth.json -w '%{http_code}' "$URL/info")
    expect_status "HTTPS without credentials" 401 "$st"
    check "401 is a JSON error" '.error_code == 40100' noauth.json
    st=$(curl -sS -k -u alice:wrong -o wrong.json -w '%{http_code}' "$URL/info")
    expect_status "HTTPS with a wrong password" 401 "$st"
    st=$(curl -sS -k -u alice:s3cret -o info2.json -w '%{http_code}' "$URL/info")
    expect_status "HTTPS with the credentials" 200 "$st"
    check "HTTPS /info" '.KsqlServerInfo.serverStatus == "RUNNING"' info2.json
    # sluice --server: a script run on the worker prints what it prints locally
    cat > client.sql <<'SQL'
CREATE STREAM IF NOT EXISTS pets (id INT KEY, name VARCHAR)
  WITH (KAFKA_TOPIC='pets', VALUE_FORMAT='JSON', PARTITIONS=1);
DEFINE second = 'tom';
INSERT INTO pets (id, name) VALUES (1, '${first}');
RUN SCRIPT 'more.sql';
SET 'auto.offset.reset' = 'earliest';
SELECT * FROM pets EMIT CHANGES LIMIT 2;
SELECT * FROM pets WHERE id = 2;
DESCRIBE pets;
SELECT nope
  FROM pets;
SHOW STREAMS;
SQL
    echo "INSERT INTO pets (id, name) VALUES (2, '\${second}');" > more.sql
    "$SLUICE" -d "$tmp/local" -D first=rex -f client.sql > local.out 2> local.err
    lrc=$?
    "$SLUICE" --server "$URL" --server-auth alice:s3cret --server-cacert cert.pem \
        -D first=rex -f client.sql > remote.out 2> remote.err
    rrc=$?
    [ "$lrc" -eq 1 ] && [ "$rrc" -eq 1 ] && ok || bad "exit status of a failing script: local $lrc, --server $rrc, want 1"
    if cmp -s local.out remote.out && cmp -s local.err remote.err; then ok; else
        bad "--server prints something else than a local run"
        diff local.out remote.out | head -20; diff local.err remote.err | head -10
    fi
    grep -q "client.sql:10:8" remote.err && ok || { bad "the error does not point at the script's line"; cat remote.err; }
    # --continue: the statements after a failed one run too, exit 1, as locally
    printf 'SHOW STREAMS;\nSELECT nope FROM pets;\nCREATE STREAM oops WITH;\nDESCRIBE pets;\n' > cont.sql
    "$SLUICE" -d "$tmp/local" --continue -f cont.sql > lcont.out 2> lcont.err
    lrc=$?
    "$SLUICE" --server "$URL" --server-auth alice:s3cret --server-cacert cert.pem \
        --continue -f cont.sql > rcont.out 2> rcont.err
    rrc=$?
    [ "$lrc" -eq 1 ] && [ "$rrc" -eq 1 ] && ok || bad "--continue: exit local $lrc, --server $rrc, want 1"
    grep -q "^Name *: PETS" rcont.out && [ "$(grep -c "cont.sql:" rcont.err)" -eq 2 ] && ok ||
        { bad "--server --continue did not run past both errors"; cat rcont.out rcont.err; }
    if cmp -s lcont.out rcont.out && cmp -s lcont.err rcont.err; then ok; else
        bad "--server --continue prints something else than a local run"
        diff lcont.out rcont.out | head -20; diff lcont.err rcont.err | head -10
    fi
    "$SLUICE" --server "$URL" --server-auth alice:s3cret --server-cacert cert.pem \
        -f cont.sql > rstop.out 2> rstop.err
    rc=$?
    [ "$rc" -eq 1 ] && ! grep -q "^Name" rstop.out && ok ||
        bad "--server without --continue: exit $rc, or it ran past the failure"
    "$SLUICE" --server "$URL" --server-auth alice:wrong --server-cacert cert.pem -e "SHOW STREAMS;" \
        > /dev/null 2> wrongpw.err
    rc=$?
    [ "$rc" -eq 2 ] && ok || bad "--server with a wrong password: exit $rc, want 2"
    "$SLUICE" --server "http://127.0.0.1:1" -e "SHOW STREAMS;" > /dev/null 2> unreach.err
    rc=$?
    [ "$rc" -eq 2 ] && grep -q "cannot reach" unreach.err && ok ||
        bad "--server to nothing: exit $rc, want 2 saying it cannot reach the worker"
    printf 'SELECT * FROM pets WHERE id = 1;\n' | "$SLUICE" --server "$URL" --server-auth alice:s3cret \
        --server-cacert cert.pem > repl.out 2>&1
    grep -q '| 1 *| rex' repl.out && ok || { bad "the REPL against the worker"; cat repl.out; }

    # the connection bound: one connection streaming, the next request is told why
    curl -sS -k -u alice:s3cret -N -X POST --data-binary '{"sql":"SELECT * FROM KSQL_PROCESSING_LOG EMIT CHANGES;"}' \
        "$URL/query-stream" > hold3.out 2>/dev/null &
    cpid=$!
    bgpids="$bgpids $cpid"
    wait_for "a push query streams over TLS" test -s hold3.out
    st=$(curl -sS -k -u alice:s3cret -o busy.json -w '%{http_code}' "$URL/info")
    expect_status "a second connection past --max-connections 1" 503 "$st"
    check "503 names the limit" '.error_code == 50300 and (.message | test("max-connections"))' busy.json
    kill $cpid
    info_ok() { [ "$(curl -sS -k -u alice:s3cret -o /dev/null -w '%{http_code}' "$URL/info")" = 200 ]; }
    wait_for "the TLS client gone, its connection is given back" info_ok
    plain=$(echo "$URL" | sed 's/^https/http/')
    curl -sS -m 5 -o /dev/null "$plain/info" 2>/dev/null && bad "plain HTTP was answered on the TLS port" || ok
    stop_worker
    [ "$stop_rc" -eq 0 ] && ok || bad "TLS server: SIGTERM exit $stop_rc"
else
    echo "server/run.sh: no openssl: TLS not tested"
fi

# ---------------------------------------------------------------- restart
cat > app.sql <<'SQL'
CREATE STREAM IF NOT EXISTS events (id BIGINT KEY, v BIGINT)
  WITH (KAFKA_TOPIC='events', VALUE_FORMAT='JSON', PARTITIONS=2);
SET 'auto.offset.reset'='earliest';
CREATE STREAM IF NOT EXISTS events_out AS
  SELECT id, v, v * 10 AS w FROM events WHERE v % 4 <> 0 EMIT CHANGES;
SQL
# feed FROM TO: rows id = v = FROM..TO through /inserts-stream
feed() {
    { echo '{"target":"events"}'; seq "$1" "$2" | awk '{ printf "{\"id\":%d,\"v\":%d}\n", $1, $1 }'; } > feed.jsonl
    post /inserts-stream "$(cat feed.jsonl)" feed.acks >/dev/null
    n=$(grep -c '"status":"ok"' feed.acks)
    [ "$n" -eq $(($2 - $1 + 1)) ] && ok || bad "feed $1..$2: $n rows acked ok"
}
start_worker r1 -d "$tmp/d3" --queries-file app.sql
feed 1 200
wait_for "events_out has the first 150 rows" rows_are EVENTS_OUT 150
stop_worker
[ "$stop_rc" -eq 0 ] && ok || bad "restart: first SIGTERM exit $stop_rc"
start_worker r2 -d "$tmp/d3" --queries-file app.sql
grep -q "applied to .* before" r2.err && ok || { bad "the queries file was applied twice"; cat r2.err; }
# /status knows the statements of the journal, not only this process's
st=$(get /status status2.json)
expect_status "/status after a restart" 200 "$st"
check "/status after a restart lists the journaled statements" \
    '.commandStatuses["stream/EVENTS/create"] == "SUCCESS"
     and .commandStatuses["stream/EVENTS_OUT/create"] == "SUCCESS"' status2.json
st=$(get /status/stream/EVENTS_OUT/create status3.json)
expect_status "/status of a journaled command" 200 "$st"
check "/status of a journaled command says SUCCESS" '.status == "SUCCESS"' status3.json
feed 201 400
wait_for "events_out has all 300 rows after the restart" rows_are EVENTS_OUT 300
stop_worker
[ "$stop_rc" -eq 0 ] && ok || bad "restart: second SIGTERM exit $stop_rc"
"$SLUICE" dump EVENTS_OUT -d "$tmp/d3" --from-beginning > out.jsonl
jq -r '.value | fromjson | .V' out.jsonl | sort -n > got.txt
seq 1 400 | awk '$1 % 4 != 0' > want.txt
dups=$(uniq -d got.txt | wc -l)
[ "$dups" -eq 0 ] && ok || bad "$dups output records are there twice"
cmp -s want.txt got.txt && ok || bad "the output is not every expected record ($(wc -l < got.txt) of $(wc -l < want.txt))"

printf 'server: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
