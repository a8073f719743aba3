#!/bin/sh
# `sluice migrate --server URL`: versioned deployments applied through a
# running worker, which owns its data directory, as a user deploys to one:
# new / create / apply --next / apply --all / info / validate against a
# server on a free loopback port; apply twice (the second applies nothing
# and writes no event); the history is in the worker's engine (seen from a
# second project copy, read with curl); a failing migration (exit 1,
# recorded as ERROR with its reason, the statements before it applied); a
# changed applied file (validate and apply fail); basic auth from the
# project's properties; a worker that cannot be reached (exit 2).
# Usage: tests/server/migrate.sh path/to/sluice
set -u
SLUICE=${1:?usage: migrate.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
for tool in curl jq; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "server/migrate.sh: SKIP: $tool is not installed (scripts/deps --test installs it)"
        exit 0
    fi
done
here=$(cd "$(dirname "$0")" && pwd)
. "$here/worker.sh"
tmp=$(mktemp -d)
cleanup() {
    kill_worker
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
fail=0
pass=0
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }
ok() { pass=$((pass + 1)); }

# expect_exit CODE DESCRIPTION -- command...: output in out.txt, err.txt
expect_exit() {
    want=$1; what=$2; shift 3
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; cat out.txt err.txt; fi
}
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; cat "$1"; fi
}
expect_eq() {
    if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', wanted '$2'"; fi
}
# events: the worker's MIGRATION_EVENTS as JSON lines (a pull query with curl)
events() {
    curl -sS -X POST -H 'Content-Type: application/vnd.ksql.v1+json' \
        --data-binary '{"sql":"SELECT * FROM MIGRATION_EVENTS;"}' "$URL/query-stream" |
        jq -c 'if type == "array" then . else empty end'
}

start_worker main -d "$tmp/data" || exit 1

# ---- a project whose properties name the worker ----
expect_exit 0 "migrate new" -- "$SLUICE" migrate new proj
P=proj/sluice-migrations.properties
printf 'server.url=%s\n' "$URL" >> "$P"
mig() { "$SLUICE" migrate --config-file "$P" "$@"; }
expect_exit 0 "migrate create" -- mig create "create users"
expect_exit 0 "migrate create again" -- mig create views
cat > proj/migrations/V000001__create_users.sql <<'SQL'
CREATE STREAM IF NOT EXISTS users (id STRING KEY, name STRING)
  WITH (KAFKA_TOPIC='users', PARTITIONS=1, VALUE_FORMAT='JSON');
SQL
cat > proj/migrations/V000002__views.sql <<'SQL'
CREATE STREAM IF NOT EXISTS named AS SELECT id, name FROM users WHERE name = '${who}';
SHOW PROPERTIES;
SQL
expect_exit 2 "apply without how far" -- mig apply
expect_exit 0 "info before apply" -- mig info
expect_in out.txt "Current migration version: 0" "nothing applied yet"
grep -q "^2 .*views .*PENDING" out.txt && ok || { bad "info shows version 2 PENDING"; cat out.txt; }
expect_exit 0 "apply --next" -- mig apply --next
expect_in out.txt "now at version 1" "--next applies one version"
expect_exit 0 "apply --all" -- mig -D who=ann apply --all
expect_in out.txt "now at version 2" "--all applies the rest"
expect_in out.txt "Created query with ID CSAS_NAMED_" "the worker ran the migration's statements"
# the history's own SET 'auto.offset.reset' does not reach the migrations
grep "auto.offset.reset" out.txt | grep -q "latest" && ok ||
    { bad "the migration saw auto.offset.reset changed by the history's DDL"; grep offset out.txt; }
[ -d sluice-data ] && bad "migrate --server opened a data directory here" || ok
curl -sS -X POST -H 'Content-Type: application/vnd.ksql.v1+json' \
    --data-binary '{"ksql":"DESCRIBE named;"}' -o desc.json "$URL/ksql"
jq -e '.[0].sourceDescription.name == "NAMED"' desc.json >/dev/null && ok ||
    { bad "the stream of migration 2 is not on the worker"; cat desc.json; }
n_events=$(events | wc -l)
expect_eq "$n_events" 4 "two versions, RUNNING and MIGRATED each, are events on the worker"

expect_exit 0 "apply --all twice" -- mig -D who=ann apply --all
expect_in out.txt "nothing to apply" "the second apply applies nothing"
expect_eq "$(events | wc -l)" "$n_events" "the second apply records nothing"

# another machine: a copy of the migrations, the worker named on the command line
mkdir -p elsewhere && cp -r proj/migrations elsewhere/ && : > elsewhere/sluice-migrations.properties
expect_exit 0 "info from a project copy" -- \
    "$SLUICE" migrate --config-file elsewhere/sluice-migrations.properties --server "$URL" info
expect_in out.txt "Current migration version: 2" "the recorded version is seen from elsewhere"
grep -q "^2 .*views .*MIGRATED" out.txt && ok || { bad "info shows version 2 MIGRATED"; cat out.txt; }
expect_exit 0 "validate" -- mig validate
expect_in out.txt "the 2 applied migrations match" "validate checks both"

# ---- a changed applied file ----
echo "-- edited" >> proj/migrations/V000001__create_users.sql
expect_exit 1 "validate an edited file" -- mig validate
expect_in err.txt "V000001__create_users.sql changed after it was applied" "validate names the file"
expect_exit 1 "apply refuses after an edit" -- mig apply --all
sed -i '$d' proj/migrations/V000001__create_users.sql

# ---- a failing migration: exit 1, recorded as ERROR with its reason ----
mig create broken >/dev/null 2>&1
cat > proj/migrations/V000003__broken.sql <<'SQL'
CREATE STREAM IF NOT EXISTS part_one (a INT) WITH (KAFKA_TOPIC='part_one', PARTITIONS=1, VALUE_FORMAT='JSON');
CREATE STREAM bad AS SELECT "it's ${x}" FROM part_one;
SQL
expect_exit 1 "a failing migration" -- mig apply --all
expect_in err.txt "recorded as ERROR" "the failure is recorded"
expect_in err.txt "V000003__broken.sql:2:" "the error points at the failed statement"
expect_exit 0 "info after the failure" -- mig info
grep -q "^3 .*broken .*ERROR" out.txt && ok || { bad "info shows version 3 in ERROR"; cat out.txt; }
expect_in out.txt "Current migration version: 2" "a failed version is not current"
events | jq -e 'select(.[1] == 3 and .[3] == "ERROR") | .[7] | contains("it'"'"'s ${x}")' >/dev/null &&
    ok || { bad "the recorded reason keeps the failed statement's text"; events; }
curl -sS -X POST -H 'Content-Type: application/vnd.ksql.v1+json' \
    --data-binary '{"ksql":"DESCRIBE part_one;"}' -o desc.json "$URL/ksql"
jq -e '.[0].sourceDescription.name == "PART_ONE"' desc.json >/dev/null && ok ||
    { bad "the statement before the failed one is not applied"; cat desc.json; }
printf "CREATE STREAM IF NOT EXISTS part_one (a INT) WITH (KAFKA_TOPIC='part_one', PARTITIONS=1, VALUE_FORMAT='JSON');\n" \
    > proj/migrations/V000003__broken.sql
expect_exit 0 "the fixed migration applies" -- mig apply --until 3
expect_in out.txt "now at version 3" "--until applies up to the version"

# ---- bad connections ----
expect_exit 2 "-d with a server URL" -- mig -d "$tmp/other" info
expect_exit 2 "an unreachable worker" -- mig --server http://127.0.0.1:1 apply --all
expect_in err.txt "cannot reach the worker" "the error says the worker cannot be reached"
stop_worker
expect_exit 2 "the project's worker stopped" -- mig info

# ---- basic auth from the project's properties ----
start_worker auth -d "$tmp/data" --auth alice:s3cret || exit 1
printf 'server.url=%s\nserver.auth=alice:wrong\n' "$URL" > elsewhere/sluice-migrations.properties
expect_exit 2 "a wrong password" -- "$SLUICE" migrate --config-file elsewhere/sluice-migrations.properties info
expect_exit 0 "--server-auth wins over server.auth" -- \
    "$SLUICE" migrate --config-file elsewhere/sluice-migrations.properties --server-auth alice:s3cret info
expect_in out.txt "Current migration version: 3" "the history survived the worker's restart"
stop_worker

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
