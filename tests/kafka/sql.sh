#!/bin/sh
# sql.sh: the end-to-end SQL cases of tests/sql against a Kafka cluster.
#
# Runs every case named in sql_cases.txt (beside this script) with
# `sluice test --bootstrap-servers BOOTSTRAP`: each run names its topics
# uniquely and deletes them afterwards, with its queries' consumer groups
# (checked with Kafka's kafka-consumer-groups tool through broker.sh).
# Prints a line per case and "N passed, N failed"; exits 1 when one failed
# (or none ran).
# Usage: tests/kafka/sql.sh path/to/sluice BOOTSTRAP [CASE...]
set -u
SLUICE=${1:?usage: sql.sh path/to/sluice BOOTSTRAP [CASE...]}
BOOTSTRAP=${2:?usage: sql.sh path/to/sluice BOOTSTRAP [CASE...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../sql
if [ $# -eq 0 ]; then
    set -- $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/sql_cases.txt")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
# the consumer groups of test runs (_sluice-sluice-test-PID-MS-QUERY)
test_groups() {
    "$here/broker.sh" java org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
        --bootstrap-server "$BOOTSTRAP" --list 2>/dev/null | grep '^_sluice-sluice-test-' | sort
}
test_groups >"$tmp/groups.before"
for name in "$@"; do
    dir=$cases/$name
    set -- -s "$dir/statements.sql" -o "$dir/output.json"
    [ -f "$dir/input.json" ] && set -- "$@" -i "$dir/input.json"
    if TMPDIR=$tmp "$SLUICE" test --bootstrap-servers "$BOOTSTRAP" "$@" >"$tmp/out.txt" 2>&1 &&
        grep -q '^Test passed!$' "$tmp/out.txt"; then
        printf 'ok   kafka %s\n' "$name"
        pass=$((pass + 1))
    else
        printf 'FAIL kafka %s\n' "$name"
        sed 's/^/     /' "$tmp/out.txt"
        fail=$((fail + 1))
    fi
done
test_groups >"$tmp/groups.after"
left=$(comm -13 "$tmp/groups.before" "$tmp/groups.after")
if [ -n "$left" ]; then
    printf 'FAIL kafka: consumer groups left behind:\n%s\n' "$left"
    fail=$((fail + 1))
fi
printf 'kafka sql: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
