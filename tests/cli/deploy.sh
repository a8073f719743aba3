#!/bin/sh
# Deployment scripts as a user runs them against the embedded engine:
# applying the same script twice changes nothing the second time; CREATE OR
# REPLACE upgrades a query in place (same id, no reprocessing) or is refused
# with the reason; a failing statement gives exit 1 and leaves the earlier
# ones applied; --output json gives one document per statement; ASSERT
# TOPIC / STREAM / TABLE; variables that try to inject stay literals or are
# rejected; `sluice migrate` records what it applied in the engine.
# Usage: tests/cli/deploy.sh path/to/sluice
set -u
SLUICE=${1:?usage: deploy.sh path/to/sluice}
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
expect_in() {
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $1:"; cat "$1"; fi
}
expect_not_in() {
    if grep -qF -- "$2" "$1"; then bad "$3: '$2' unexpectedly in $1"; cat "$1"; else ok; fi
}
expect_eq() {
    if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', wanted '$2'"; fi
}

D=$tmp/data
sq() { "$SLUICE" -d "$D" "$@"; }
# every query consumes its inputs to the end, then the process exits
settle() { "$SLUICE" run -d "$D" --until-idle -q >/dev/null 2>&1 || bad "run --until-idle failed"; }
count() { "$SLUICE" dump -d "$D" "$1" --from-beginning 2>/dev/null | wc -l | tr -d ' '; }
journal() { count _sluice_journal; }
queries() { sq -e 'SHOW QUERIES;' 2>&1 | grep -o '[A-Z]*_[A-Z_]*_[0-9]*' | sort | tr '\n' ' '; }

# ---- the same deployment twice ----
cat > app.sql <<'SQL'
CREATE STREAM IF NOT EXISTS clicks (user_id STRING KEY, url STRING, n INT)
  WITH (KAFKA_TOPIC='${topic}', PARTITIONS=2, VALUE_FORMAT='JSON');
SET 'auto.offset.reset'='earliest';
CREATE OR REPLACE STREAM big AS SELECT user_id, url, n FROM clicks WHERE n > ${min};
CREATE TABLE IF NOT EXISTS per_user AS SELECT user_id, COUNT(*) AS c FROM clicks GROUP BY user_id;
DROP STREAM IF EXISTS retired;
ASSERT STREAM big;
ASSERT TABLE per_user;
SQL
expect_exit 0 "first deployment" -- sq -D topic=clicks -D min=1 -f app.sql
expect_in out.txt "Created query with ID CSAS_BIG_" "the first deployment starts the query"
sq -e "INSERT INTO clicks (user_id, url, n) VALUES ('a', '/a', 1);
       INSERT INTO clicks (user_id, url, n) VALUES ('b', '/b', 5);
       INSERT INTO clicks (user_id, url, n) VALUES ('c', '/c', 7);" >/dev/null 2>&1
settle
big1=$(count BIG)
expect_eq "$big1" 2 "records with n > 1 reach BIG"
j1=$(journal)
q1=$(queries)
expect_exit 0 "the same deployment again" -- sq -D topic=clicks -D min=1 -f app.sql
expect_in out.txt "nothing changed" "the second deployment says nothing changed"
expect_not_in out.txt "Created query" "the second deployment starts no query"
settle
expect_eq "$(journal)" "$j1" "the second deployment journals nothing"
expect_eq "$(queries)" "$q1" "the same queries after the second deployment"
expect_eq "$(count BIG)" "$big1" "no duplicate output after the second deployment"

# ---- an upgrade in place: changed WHERE, a column appended ----
sed -e 's/n FROM clicks WHERE n > ${min}/n, n * 10 AS n10 FROM clicks WHERE n > ${min} AND url <> '"'"'\/x'"'"'/' app.sql > app2.sql
expect_exit 0 "an upgrade that keeps the state" -- sq -D topic=clicks -D min=0 -f app2.sql
expect_in out.txt "Replaced query with ID" "the query is replaced in place"
expect_eq "$(queries)" "$q1" "the replaced query keeps its id"
sq -e "INSERT INTO clicks (user_id, url, n) VALUES ('d', '/d', 1);
       INSERT INTO clicks (user_id, url, n) VALUES ('e', '/x', 9);" >/dev/null 2>&1
settle
# earlier records are not read again: only d (n = 1 now passes) is added
expect_eq "$(count BIG)" "$((big1 + 1))" "the upgraded query goes on where it stopped"
"$SLUICE" dump -d "$D" BIG --from-beginning > big.txt 2>&1
expect_in big.txt 'N10' "new records carry the appended column"
expect_not_in big.txt '"key":"e"' "the new WHERE applies"
# a restart replays the replacement
expect_exit 0 "describe after a restart" -- sq -e 'DESCRIBE big; SHOW QUERIES;'
expect_in out.txt "N10" "the appended column survives a restart"
expect_in out.txt "n * 10 AS n10" "SHOW QUERIES shows the new statement"
expect_eq "$(queries)" "$q1" "one query for BIG after a restart"

# ---- upgrades that cannot keep the state are refused, nothing changes ----
j2=$(journal)
expect_exit 1 "a removed column is refused" -- sq -e "CREATE OR REPLACE STREAM big AS SELECT user_id, n FROM clicks;"
expect_in err.txt "cannot replace query CSAS_BIG_" "the refusal names the query"
expect_in err.txt "columns may only be added at the end" "the refusal says why"
expect_exit 1 "a new GROUP BY is refused" -- sq -e "CREATE OR REPLACE TABLE per_user AS SELECT url, COUNT(*) AS c FROM clicks GROUP BY url;"
expect_in err.txt "GROUP BY differs" "the GROUP BY change is named"
expect_exit 1 "a new aggregate is refused" -- sq -e "CREATE OR REPLACE TABLE per_user AS SELECT user_id, COUNT(*) AS c, SUM(n) AS s FROM clicks GROUP BY user_id;"
expect_in err.txt "aggregate functions differ" "the aggregate change is named"
expect_exit 1 "another source is refused" -- sq -e "CREATE OR REPLACE STREAM big AS SELECT * FROM big2;"
expect_exit 0 "nothing changed by the refusals" -- sq -e 'DESCRIBE big;'
expect_in out.txt "N10" "BIG keeps its columns"
expect_eq "$(journal)" "$j2" "refusals journal nothing"
# a source without a query: columns may be appended, nothing else
expect_exit 0 "a column appended to a source" -- sq -e "CREATE OR REPLACE STREAM clicks (user_id STRING KEY, url STRING, n INT, ref STRING) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');"
expect_in out.txt "Stream replaced" "the source is replaced"
expect_exit 1 "a retyped column is refused" -- sq -e "CREATE OR REPLACE STREAM clicks (user_id STRING KEY, url STRING, n BIGINT, ref STRING) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');"
expect_in err.txt "columns may only be added at the end" "the retyped column is explained"
expect_exit 1 "a new topic is refused" -- sq -e "CREATE OR REPLACE STREAM clicks (user_id STRING KEY, url STRING, n INT, ref STRING) WITH (KAFKA_TOPIC='other', VALUE_FORMAT='JSON', PARTITIONS=1);"
expect_in err.txt "its topic would change" "the topic change is explained"

# ---- a failing statement: exit 1, the earlier ones stay applied ----
cat > partial.sql <<'SQL'
CREATE STREAM first_s (a INT) WITH (KAFKA_TOPIC='first_s', PARTITIONS=1, VALUE_FORMAT='JSON');
CREATE STREAM broken AS SELECT no_such_column FROM first_s;
CREATE STREAM third_s (a INT) WITH (KAFKA_TOPIC='third_s', PARTITIONS=1, VALUE_FORMAT='JSON');
SQL
expect_exit 1 "a failing statement" -- sq -f partial.sql
expect_in out.txt "Stream created" "the first statement was reported as applied"
expect_in err.txt "partial.sql:2:" "the failure names its line"
expect_exit 0 "what the failed script left" -- sq -e 'SHOW STREAMS;'
expect_in out.txt "FIRST_S" "the statement before the failure stays applied"
expect_not_in out.txt "THIRD_S" "the statement after the failure did not run"

# ---- --output json: one document per statement ----
printf "DEFINE x = '1';\nSHOW STREAMS;\nASSERT STREAM clicks;\nCREATE STREAM IF NOT EXISTS clicks (a INT) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');\n" > four.sql
expect_exit 0 "json output" -- sq --output json -f four.sql
expect_eq "$(wc -l < out.txt | tr -d ' ')" 4 "one JSON line per statement"
expect_eq "$(grep -c '^{"@type":' out.txt)" 4 "every line is a JSON document"
expect_in out.txt '"@type":"assert_stream"' "ASSERT answers an assert entity"

# ---- ASSERT ----
expect_exit 0 "assertions that hold" -- sq -e "ASSERT TOPIC clicks WITH (PARTITIONS=2); ASSERT NOT EXISTS TOPIC nothing_here TIMEOUT 1 SECONDS; ASSERT EXISTS STREAM big; ASSERT NOT EXISTS TABLE big;"
expect_in out.txt "Topic clicks exists." "ASSERT TOPIC says the topic exists"
expect_in out.txt "Topic NOTHING_HERE does not exist." "ASSERT NOT EXISTS TOPIC says so"
expect_exit 1 "a missing topic" -- sq -e "ASSERT TOPIC nothing_here TIMEOUT 200 MILLISECONDS; SHOW STREAMS;"
expect_in err.txt "Topic NOTHING_HERE does not exist" "the failed assertion says why"
expect_not_in out.txt "Stream Name" "a failed assertion stops the script"
expect_exit 1 "a partition count that differs" -- sq -e "ASSERT TOPIC clicks WITH (PARTITIONS=3) TIMEOUT 100 MILLISECONDS;"
expect_in err.txt "For config partitions, expected 3 got 2" "the mismatch is named"
expect_exit 1 "an unknown topic property" -- sq -e "ASSERT TOPIC clicks WITH (FOO=1) TIMEOUT 100 MILLISECONDS;"
expect_in err.txt "Cannot assert unknown topic property: FOO" "unknown properties are refused"
expect_exit 1 "a table asserted as a stream" -- sq -e "ASSERT STREAM per_user TIMEOUT 100 MILLISECONDS;"
expect_in err.txt "Stream PER_USER does not exist" "the kind must match"
expect_exit 1 "ASSERT NOT EXISTS of an existing table" -- sq -e "ASSERT NOT EXISTS TABLE per_user TIMEOUT 100 MILLISECONDS;"
expect_in err.txt "Table PER_USER exists" "the failed NOT EXISTS says so"

# ---- variables that try to inject ----
inj="x'; DROP STREAM clicks; --"
expect_exit 0 "an injection inside a literal stays a literal" -- sq -D "v=$inj" -e "INSERT INTO clicks (user_id, url, n) VALUES ('inj', '\${v}', 2);"
settle
"$SLUICE" dump -d "$D" clicks --from-beginning > clicks.txt 2>&1
expect_in clicks.txt "DROP STREAM clicks; --" "the value was stored as text"
expect_exit 1 "an injection as a token is rejected" -- sq -D "v=$inj" -e "SELECT * FROM clicks WHERE url = \${v};"
expect_exit 1 "a ';' in a value is rejected" -- sq -D "v=1; DROP STREAM clicks" -e "SELECT \${v} AS x;"
expect_exit 0 "the stream survived" -- sq -e 'DESCRIBE clicks;'
expect_in out.txt "CLICKS" "clicks was not dropped"

# ---- sluice migrate ----
M=$tmp/mdata
expect_exit 0 "migrate new" -- "$SLUICE" migrate new proj
[ -d proj/migrations ] && [ -f proj/sluice-migrations.properties ] && ok || bad "migrate new made no project"
printf 'sluice.data.dir=%s\n' "$M" >> proj/sluice-migrations.properties
P=proj/sluice-migrations.properties
mig() { "$SLUICE" migrate --config-file "$P" "$@"; }
expect_exit 0 "migrate create" -- mig create "create users"
expect_in out.txt "V000001__create_users.sql" "create names the first version"
expect_exit 0 "migrate create again" -- mig create views
expect_in out.txt "V000002__views.sql" "create takes the next version"
cat > proj/migrations/V000001__create_users.sql <<'SQL'
CREATE STREAM IF NOT EXISTS users (id STRING KEY, name STRING) WITH (KAFKA_TOPIC='users', PARTITIONS=1, VALUE_FORMAT='JSON');
SQL
cat > proj/migrations/V000002__views.sql <<'SQL'
CREATE STREAM IF NOT EXISTS named AS SELECT id, name FROM users WHERE name = '${who}';
SQL
expect_exit 2 "apply without how far" -- mig apply
expect_exit 0 "info before apply" -- mig info
expect_in out.txt "PENDING" "unapplied versions are pending"
expect_exit 0 "apply --next" -- mig apply --next
expect_in out.txt "now at version 1" "--next applies one version"
expect_exit 0 "apply --all" -- mig -D who=ann apply --all
expect_in out.txt "now at version 2" "--all applies the rest"
jm=$("$SLUICE" dump -d "$M" _sluice_journal --from-beginning 2>/dev/null | wc -l)
expect_exit 0 "apply --all twice" -- mig -D who=ann apply --all
expect_in out.txt "nothing to apply" "the second apply applies nothing"
expect_eq "$("$SLUICE" dump -d "$M" _sluice_journal --from-beginning 2>/dev/null | wc -l)" "$jm" "the second apply changes nothing"
# another working directory, same engine: the history is in the engine
mkdir elsewhere && cp -r proj/migrations elsewhere/ && printf 'sluice.data.dir=%s\n' "$M" > elsewhere/sluice-migrations.properties
expect_exit 0 "info from another project copy" -- "$SLUICE" migrate --config-file elsewhere/sluice-migrations.properties info
expect_in out.txt "Current migration version: 2" "the recorded version is seen from elsewhere"
grep -q "^2 .*views .*MIGRATED" out.txt && ok || { bad "info shows version 2 as MIGRATED"; cat out.txt; }
expect_exit 0 "the versions table" -- "$SLUICE" -d "$M" -e "SELECT VERSION, STATE FROM MIGRATION_EVENTS;"
expect_in out.txt "MIGRATED" "the events are a stream in the engine"
expect_exit 0 "validate" -- mig validate
echo "-- edited" >> proj/migrations/V000001__create_users.sql
expect_exit 1 "validate an edited file" -- mig validate
expect_in err.txt "V000001__create_users.sql changed after it was applied" "validate names the file"
expect_exit 1 "apply refuses after an edit" -- mig apply --all
sed -i '$d' proj/migrations/V000001__create_users.sql
# a failing migration: exit 1, recorded as ERROR, the next apply retries it
mig create broken >/dev/null 2>&1
printf "CREATE STREAM IF NOT EXISTS part_one (a INT) WITH (KAFKA_TOPIC='part_one', PARTITIONS=1, VALUE_FORMAT='JSON');\nCREATE STREAM bad AS SELECT nope FROM part_one;\n" > proj/migrations/V000003__broken.sql
expect_exit 1 "a failing migration" -- mig apply --all
expect_in err.txt "recorded as ERROR" "the failure is recorded"
expect_exit 0 "info after the failure" -- mig info
grep -q "^3 .*broken .*ERROR" out.txt && ok || { bad "info shows version 3 in ERROR"; cat out.txt; }
expect_in out.txt "Current migration version: 2" "a failed version is not current"
printf "CREATE STREAM IF NOT EXISTS part_one (a INT) WITH (KAFKA_TOPIC='part_one', PARTITIONS=1, VALUE_FORMAT='JSON');\n" > proj/migrations/V000003__broken.sql
expect_exit 0 "the fixed migration applies" -- mig apply --until 3
expect_in out.txt "now at version 3" "--until applies up to the version"

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
