#!/bin/sh
# Kill -9 in the middle of windowed aggregations (the oracle's queries:
# tumbling and hopping windows, EMIT FINAL), start again, repeatedly: the
# final output topics must equal sqlite3's batch answer, every window
# exactly once (no final row lost, none written twice, no window's state
# counted twice). See common.sh for the events, queries and rules.
#
# One process owns a data directory, so the bids are loaded in chunks
# between runs: for each chunk, `sluice load` appends it, then
# `sluice run app.sql` starts in the background and is killed with kill -9
# after a short while, earlier or later each round. Finally
# `sluice run app.sql --until-idle` finishes the work and the output topics
# are dumped and compared.
#
# usage: tests/agg/restart.sh path/to/sluice [path/to/nexmark_gen]
#   environment: AGG_RESTART_EVENTS (default 200000), AGG_KEEP=1 keeps the
#   temporary directory
set -u
SLUICE=${1:?usage: restart.sh path/to/sluice [path/to/nexmark_gen]}
GEN=${2:-}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
case "$GEN" in /*|'') ;; *) GEN="$(pwd)/$GEN" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
for tool in sqlite3 jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "restart.sh: SKIP: $tool is not installed (scripts/deps --test installs it)"
        exit 0
    fi
done
N=${AGG_RESTART_EVENTS:-200000}
CHUNKS=4
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ "${AGG_KEEP:-0}" = 1 ] || rm -rf "$tmp"; }
trap cleanup EXIT
[ "${AGG_KEEP:-0}" = 1 ] && echo "restart.sh: keeping $tmp"
cd "$tmp" || exit 1
export SLUICE_DATA_DIR="$tmp/data"
fail=0

make_bids "$N" "$GEN" bids.jsonl bids.csv || { echo "FAIL: generating the bids"; exit 1; }
oracle_expect bids.csv oracle.db want_tumble.txt want_hop.txt || { echo "FAIL: sqlite3"; exit 1; }
per=$(( (N + CHUNKS - 1) / CHUNKS ))
split -l "$per" -d -a 1 bids.jsonl chunk
agg_sql > app.sql

# kill_after SECONDS: start the worker, kill -9 it after SECONDS. A worker
# runs until it is stopped: one that ended by itself failed (a crash on
# restart, say), and that is a failure here.
kill_after() {
    "$SLUICE" run app.sql >run.out 2>run.err &
    pid=$!
    sleep "$1"
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    else
        wait "$pid"
        echo "FAIL: round $c: the worker exited by itself (status $?) before the kill:"
        sed 's/^/     /' run.err | head -20
        fail=1
    fi
    pid=
}

c=0
for f in chunk*; do
    "$SLUICE" load bid "$f" --key bidder --key-type bigint --timestamp dateTime --retention-ms -1 \
        --partitions 1 --quiet || { echo "FAIL: sluice load of $f"; exit 1; }
    kill_after "0.$((3 + 2 * c))"
    got=$("$SLUICE" dump TUMBLE --from-beginning 2>/dev/null | wc -l)
    echo "round $c: worker stopped after 0.$((3 + 2 * c)) s; TUMBLE had $got final rows"
    c=$((c + 1))
done
if ! "$SLUICE" run app.sql --until-idle >final.out 2>final.err; then
    echo "FAIL: sluice run --until-idle exited with an error:"; sed 's/^/     /' final.err | head -20
    exit 1
fi
"$SLUICE" dump TUMBLE --from-beginning > tumble.jsonl || { echo "FAIL: dump TUMBLE"; exit 1; }
"$SLUICE" dump HOP --from-beginning > hop.jsonl || { echo "FAIL: dump HOP"; exit 1; }
decode_dump tumble.jsonl > got_tumble.txt
decode_dump hop.jsonl > got_hop.txt
compare "tumbling after kill -9 x$CHUNKS" want_tumble.txt got_tumble.txt || fail=1
compare "hopping after kill -9 x$CHUNKS" want_hop.txt got_hop.txt || fail=1
[ "$fail" -eq 0 ] && echo "restart: every final window once, equal to sqlite3's"
exit "$fail"
