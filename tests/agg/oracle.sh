#!/bin/sh
# Aggregation oracle: a few hundred thousand bids aggregated by sluice in
# tumbling and hopping windows with EMIT FINAL must equal the same
# aggregation computed by sqlite3 over the same events as a batch (see
# common.sh for the events, the queries and the rules the oracle applies).
#
# usage: tests/agg/oracle.sh path/to/sluice [path/to/nexmark_gen]
#   environment: AGG_ORACLE_EVENTS (default 300000), AGG_KEEP=1 keeps the
#   temporary directory
set -u
SLUICE=${1:?usage: oracle.sh path/to/sluice [path/to/nexmark_gen]}
GEN=${2:-}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
case "$GEN" in /*|'') ;; *) GEN="$(pwd)/$GEN" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
for tool in sqlite3 jq; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "oracle.sh: SKIP: $tool is not installed (scripts/deps --test installs it)"
        exit 0
    fi
done
N=${AGG_ORACLE_EVENTS:-300000}
tmp=$(mktemp -d)
[ "${AGG_KEEP:-0}" = 1 ] && echo "oracle.sh: keeping $tmp" || trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export SLUICE_DATA_DIR="$tmp/data"
fail=0

make_bids "$N" "$GEN" bids.jsonl bids.csv || { echo "FAIL: generating the bids"; exit 1; }
echo "$N bids ($([ -n "$GEN" ] && [ -x "$GEN" ] && echo nexmark_gen || echo the awk generator))," \
     "event times $(head -1 bids.csv | cut -d, -f4) .. $(tail -1 bids.csv | cut -d, -f4)"
oracle_expect bids.csv oracle.db want_tumble.txt want_hop.txt want_late.txt ||
    { echo "FAIL: sqlite3"; exit 1; }

"$SLUICE" load bid bids.jsonl --key bidder --key-type bigint --timestamp dateTime --retention-ms -1 \
    --partitions 1 --quiet || { echo "FAIL: sluice load"; exit 1; }
agg_sql > app.sql
if ! "$SLUICE" run app.sql --until-idle >run.out 2>run.err; then
    echo "FAIL: sluice run --until-idle exited with an error:"; sed 's/^/     /' run.err | head -20
    exit 1
fi
"$SLUICE" dump TUMBLE --from-beginning > tumble.jsonl || { echo "FAIL: dump TUMBLE"; exit 1; }
"$SLUICE" dump HOP --from-beginning > hop.jsonl || { echo "FAIL: dump HOP"; exit 1; }
decode_dump tumble.jsonl > got_tumble.txt
decode_dump hop.jsonl > got_hop.txt
compare "tumbling 10 s, EMIT FINAL" want_tumble.txt got_tumble.txt || fail=1
compare "hopping 10 s / 2 s, EMIT FINAL" want_hop.txt got_hop.txt || fail=1
# every late record dropped with a processing-log entry, and no other
late_offsets CTAS_TUMBLE > got_late.txt
if cmp -s want_late.txt got_late.txt; then
    echo "ok   late records: $(wc -l < got_late.txt) in the processing log, as sqlite3 finds them"
else
    echo "FAIL late records: the processing log has $(wc -l < got_late.txt) LATE_RECORD entries" \
         "for CTAS_TUMBLE*, sqlite3 finds $(wc -l < want_late.txt) late records"
    echo "     offsets only in sqlite3's (first 5): $(comm -23 want_late.txt got_late.txt | head -5 | tr '\n' ' ')"
    echo "     offsets only in the log (first 5): $(comm -13 want_late.txt got_late.txt | head -5 | tr '\n' ' ')"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "oracle: sluice agrees with sqlite3"
exit "$fail"
