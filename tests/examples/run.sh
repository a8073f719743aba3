#!/bin/sh
# The clickstream example end to end, as its README walks through it: a
# worker on a free loopback port, deploy.sh twice (the second run changes
# nothing), generate.sh feeding clicks through /inserts-stream, then what a
# user checks: the clicks per user and window in the table equal what awk
# counts from the generated clicks, the error stream holds exactly the 5xx
# clicks, the enrichment classified every click as awk does, and the
# queries of the README answer from the REPL (`sluice --server`) and curl.
# Usage: tests/examples/run.sh path/to/sluice
set -u
SLUICE=${1:?usage: run.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
export SLUICE
EX=$(cd "$(dirname "$0")/../../examples/clickstream" && pwd)
for tool in curl jq; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "examples/run.sh: SKIP: $tool is not installed (scripts/deps --test installs it)"
        exit 0
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../server/worker.sh"
tmp=$(mktemp -d)
cleanup() {
    kill_worker
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
# same DESCRIPTION WANT GOT: two files hold the same lines
same() {
    if cmp -s "$2" "$3"; then ok; else
        bad "$1 ($(wc -l < "$3") lines, want $(wc -l < "$2"))"
        diff "$2" "$3" | head -10
    fi
}
# wait_for COMMAND...: up to 60 s for COMMAND to succeed (a guard against
# hanging, not a measure of speed)
wait_for() {
    i=0
    while [ $i -lt 600 ]; do
        "$@" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# pull SQL OUT: the rows of a pull query, one JSON array a line
pull() {
    curl -sS -X POST "$URL/query-stream" --data-binary "{\"sql\":\"$1\"}" > pull.raw
    tail -n +2 pull.raw > "$2"
}

# ---------------------------------------------------------------- the worker
start_worker server -d "$tmp/data" || exit 1

# ---------------------------------------------------------------- deploy, twice
"$EX/deploy.sh" "$URL" -D clicks_topic=site_clicks > deploy1.out 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "deploy.sh: exit $rc"; cat deploy1.out; }
[ "$(grep -c '^Created query with ID' deploy1.out)" -eq 3 ] && ok ||
    { bad "the first deployment starts the three queries"; cat deploy1.out; }
"$EX/deploy.sh" "$URL" -D clicks_topic=site_clicks > deploy2.out 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "deploy.sh again: exit $rc"; cat deploy2.out; }
if grep -q 'Created' deploy2.out || [ "$(grep -c 'nothing changed' deploy2.out)" -ne 4 ]; then
    bad "the second deployment changes nothing"; cat deploy2.out
else ok; fi
curl -sS -X POST "$URL/ksql" -d '{"ksql":"SHOW QUERIES;"}' > queries.json
[ "$(jq '.[0].queries | length' queries.json)" = 3 ] && ok || bad "three queries run after two deployments"
"$SLUICE" --server "$URL" -e 'DESCRIBE clicks EXTENDED;' > describe.out 2>&1
grep -q '^Kafka topic *: site_clicks ' describe.out && ok ||
    { bad "-D clicks_topic=site_clicks given to deploy.sh names the topic"; cat describe.out; }

# ---------------------------------------------------------------- feed
# 600 clicks, 700 ms of event time apart: seven windows of 60 s
gen() { "$EX/generate.sh" -n 600 -b 200 -s 7 -t 1767225600000 -i 700 "$@"; }
gen > clicks.jsonl
gen --url "$URL" > gen.out 2> gen.err
rc=$?
[ "$rc" -eq 0 ] && grep -q '600 clicks inserted' gen.err && ok ||
    { bad "generate.sh --url: exit $rc"; cat gen.err; }

# ---------------------------------------------------------------- what awk says
# user, ts, status, path (without the query string), agent, one click a line
clicks_tsv() {
    awk '{
    match($0, /"user_id":"[^"]*"/); user = substr($0, RSTART + 11, RLENGTH - 12)
    match($0, /"url":"[^"]*"/); url = substr($0, RSTART + 7, RLENGTH - 8)
    match($0, /"user_agent":"[^"]*"/); agent = substr($0, RSTART + 14, RLENGTH - 15)
    match($0, /"status":[0-9]*/); status = substr($0, RSTART + 9, RLENGTH - 9)
    match($0, /"ts":[0-9]*/); ts = substr($0, RSTART + 5, RLENGTH - 5)
    path = url; sub(/^https:\/\/[^\/]*/, "", path); sub(/\?.*/, "", path)
    printf "%s\t%s\t%s\t%s\t%s\n", user, ts, status, path, agent
}'
}
clicks_tsv < clicks.jsonl > clicks.tsv
[ "$(wc -l < clicks.tsv)" -eq 600 ] && ok || bad "awk read $(wc -l < clicks.tsv) clicks of 600"
# clicks per user and 60 s window
count_windows() {
    awk -F '\t' '{ n[sprintf("%s\t%.0f", $1, $2 - $2 % 60000)]++ }
        END { for (k in n) print k "\t" n[k] }' | sort
}
count_windows < clicks.tsv > want_counts.txt
# the 5xx clicks
awk -F '\t' '$3 >= 500 { print $1 "\t" $4 "\t" $3 "\t" $2 }' clicks.tsv | sort > want_errors.txt
[ -s want_errors.txt ] && ok || bad "the generated clicks have no 5xx (the check below would be empty)"
# devices, as app.sql classifies agents
awk -F '\t' '{ a = tolower($5)
    d = a ~ /bot|crawler|spider/ ? "bot" : $5 ~ /Mobile|Android|iPhone/ ? "mobile" : "desktop"
    n[d]++ } END { for (d in n) print d "\t" n[d] }' clicks.tsv | sort > want_devices.txt

# ---------------------------------------------------------------- the results
counts_match() {
    pull "SELECT user_id, WINDOWSTART, clicks FROM clicks_per_user;" counts.rows
    jq -r '@tsv' counts.rows | sort > got_counts.txt
    cmp -s want_counts.txt got_counts.txt
}
wait_for counts_match
same "clicks per user and window (pull query on the table) equal awk's counts" \
    want_counts.txt got_counts.txt

errors_complete() {
    pull "SELECT user_id, path, status, ts FROM click_errors;" errors.rows
    [ "$(wc -l < errors.rows)" -ge "$(wc -l < want_errors.txt)" ]
}
wait_for errors_complete
jq -r '@tsv' errors.rows | sort > got_errors.txt
same "the error stream holds exactly the 5xx clicks" want_errors.txt got_errors.txt

devices_complete() {
    pull "SELECT device FROM clicks_enriched;" devices.rows
    [ "$(wc -l < devices.rows)" -ge 600 ]
}
wait_for devices_complete
jq -r '.[0]' devices.rows | sort | uniq -c | awk '{ print $2 "\t" $1 }' > got_devices.txt
same "every click classified by device as awk does" want_devices.txt got_devices.txt

# ---------------------------------------------------------------- as the README queries
# the REPL against the worker: a pull query for one user
u=$(head -n 1 want_counts.txt | cut -f 1)
printf "SELECT user_id, clicks FROM clicks_per_user WHERE user_id = '%s';\nexit\n" "$u" |
    "$SLUICE" --server "$URL" > repl.out 2>&1
want=$(grep -c "^$u	" want_counts.txt)
[ "$(grep -c "| $u " repl.out)" -eq "$want" ] && ok ||
    { bad "the REPL shows $u's $want windows"; cat repl.out; }
# a push query from the REPL's -e, ended by its LIMIT
"$SLUICE" --server "$URL" -e "SET 'auto.offset.reset' = 'earliest';
SELECT user_id, status FROM click_errors EMIT CHANGES LIMIT 3;" > push_repl.out 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c '^|user_[0-9]* *|5[0-9][0-9] *|$' push_repl.out)" -eq 3 ] && ok ||
    { bad "a push query with LIMIT 3 from sluice --server: exit $rc"; cat push_repl.out; }
# curl: a push query with LIMIT streams its rows and ends
curl -sS -m 60 -X POST "$URL/query-stream" \
    -d '{"sql":"SELECT user_id, path, status FROM click_errors EMIT CHANGES LIMIT 5;","properties":{"auto.offset.reset":"earliest"}}' \
    > push.out
[ "$(tail -n +2 push.out | jq -s 'length == 5 and all(.[]; .[2] >= 500)')" = true ] && ok ||
    { bad "curl: a push query with LIMIT 5 gives five 5xx clicks"; cat push.out; }
# curl: a pull query for one user, as /query (the JSON array form)
curl -sS -X POST "$URL/query" \
    -d "{\"ksql\":\"SELECT * FROM clicks_per_user WHERE user_id = '$u';\"}" > pull_query.json
[ "$(jq '[.[] | select(.row)] | length' pull_query.json)" -eq "$want" ] && ok ||
    { bad "curl /query: $u's $want windows"; head -c 600 pull_query.json; }

# nothing failed on the way: no record reached the processing log
pull "SELECT * FROM KSQL_PROCESSING_LOG;" plog.rows
[ ! -s plog.rows ] && ok || { bad "records in the processing log"; head -5 plog.rows; }

# ---------------------------------------------------------------- a restart
# SIGTERM, start again: deploy.sh still changes nothing, 60 more clicks
# (the next ones of the same seed) count on top of the first, once each
stop_worker
[ "$stop_rc" -eq 0 ] && ok || bad "the worker's exit after SIGTERM: $stop_rc"
start_worker restart -d "$tmp/data" || exit 1
"$EX/deploy.sh" "$URL" -D clicks_topic=site_clicks > deploy3.out 2>&1
if grep -q 'Created' deploy3.out || [ "$(grep -c 'nothing changed' deploy3.out)" -ne 4 ]; then
    bad "deploying after a restart changes nothing"; cat deploy3.out
else ok; fi
"$EX/generate.sh" -n 660 -b 200 -s 7 -t 1767225600000 -i 700 | tail -n 60 > more.jsonl
{ echo '{"target":"clicks"}'; cat more.jsonl; } |
    curl -sS -X POST "$URL/inserts-stream" --data-binary @- > more.acks
[ "$(grep -c '"status":"ok"' more.acks)" -eq 60 ] && ok || bad "60 more clicks inserted after the restart"
cat clicks.jsonl more.jsonl | clicks_tsv | count_windows > want_counts.txt
wait_for counts_match
same "after the restart, clicks per user and window equal awk's counts of all 660" \
    want_counts.txt got_counts.txt

stop_worker
[ "$stop_rc" -eq 0 ] && ok || bad "the worker's exit after the second SIGTERM: $stop_rc"

printf 'examples: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
