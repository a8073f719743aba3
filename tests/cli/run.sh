#!/bin/sh
# End-to-end checks of the sluice command line, as a user runs it:
# options, exit codes, error rendering, variables, output formats.
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

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
