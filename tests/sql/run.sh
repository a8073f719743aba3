#!/bin/sh
# End-to-end SQL cases: each folder here holds statements.sql, output.json and
# (usually) input.json, in ksqlDB's ksql-test-runner formats; `sluice test`
# runs each on a fresh temporary store and compares the output topics.
# Usage: tests/sql/run.sh path/to/sluice [CASE...]
# Prints a line per case and "N passed, N failed"; exits 1 when one failed.
set -u
SLUICE=${1:?usage: run.sh path/to/sluice [CASE...]}
shift
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
    set -- $(cd "$here" && for d in */; do [ -f "$d/statements.sql" ] && printf '%s\n' "${d%/}"; done)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for name in "$@"; do
    dir=$here/$name
    if [ ! -f "$dir/statements.sql" ] || [ ! -f "$dir/output.json" ]; then
        printf 'FAIL %s: no statements.sql or output.json\n' "$name"
        fail=$((fail + 1))
        continue
    fi
    set -- -s "$dir/statements.sql" -o "$dir/output.json"
    [ -f "$dir/input.json" ] && set -- "$@" -i "$dir/input.json"
    if TMPDIR=$tmp "$SLUICE" test "$@" >"$tmp/out.txt" 2>&1 && grep -q '^Test passed!$' "$tmp/out.txt"; then
        printf 'ok   %s\n' "$name"
        pass=$((pass + 1))
    else
        printf 'FAIL %s\n' "$name"
        sed 's/^/     /' "$tmp/out.txt"
        fail=$((fail + 1))
    fi
done
printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
