# tests/agg/common.sh: what the aggregation oracle (oracle.sh) and its
# kill -9 variant (restart.sh) share; sourced, not run.
#
# The events: N Nexmark bids from nexmark_gen (the benchmark's generator,
# built by default), or, when its path is not given, from a small
# deterministic awk generator with the same shape (hot bidders, log-uniform
# prices). Event times are perturbed so that the aggregation meets
# out-of-order records, some within the grace period and some late: every
# 7th bid is moved 3 s back, every 101st 12 s back.
#
# The queries: bids per bidder in tumbling windows (10 s) and hopping
# windows (10 s advancing by 2 s), with a GRACE PERIOD of 5 s and EMIT
# FINAL: COUNT, SUM, MIN, MAX of the price. The bidder is the record key
# and the topic has one partition, so one task sees every record in load
# order and its stream time is the running maximum of the event times.
#
# The oracle: sqlite3 computes the same aggregation over the same events
# as a batch, with the rules of EMIT FINAL written out in SQL: a record is
# late for a window when window end + grace <= the stream time when it
# arrives (the largest event time up to and including it, in load order);
# a window is emitted when window end + grace <= the largest event time of
# all; its row time is the largest event time among its records. The
# records late for their tumbling window must each have a LATE_RECORD
# entry in the processing log (oracle.sh checks the offsets).
#
# Output records are compared as sorted lines
#   bidder window_start count sum min max row_time
# with the windowed key decoded (8-byte big-endian bidder, then the 8-byte
# big-endian window start) by awk.

GRACE_MS=5000
SIZE_MS=10000
HOP_MS=2000

# agg_sql: the statements (IF NOT EXISTS, so a file applied again after a
# kill is harmless).
# The outputs carry the bids' event times (2015): a retention of about a
# century keeps the retention pass (every 30 s) from deleting them mid-test.
agg_sql() {
    cat <<'SQL'
CREATE STREAM IF NOT EXISTS bid (bidder BIGINT KEY, auction BIGINT, price BIGINT)
  WITH (KAFKA_TOPIC='bid', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
CREATE TABLE IF NOT EXISTS tumble WITH (RETENTION_MS=3153600000000) AS
  SELECT bidder, COUNT(*) AS n, SUM(price) AS total, MIN(price) AS lo, MAX(price) AS hi
  FROM bid WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS)
  GROUP BY bidder EMIT FINAL;
CREATE TABLE IF NOT EXISTS hop WITH (RETENTION_MS=3153600000000) AS
  SELECT bidder, COUNT(*) AS n, SUM(price) AS total, MIN(price) AS lo, MAX(price) AS hi
  FROM bid WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS, GRACE PERIOD 5 SECONDS)
  GROUP BY bidder EMIT FINAL;
SQL
}

# awk_bids N: N bids as JSON lines, Nexmark's shape, without nexmark_gen.
awk_bids() {
    awk -v n="$1" 'BEGIN {
        srand(7)
        base = 1436918400000
        for (i = 0; i < n; i++) {
            ev = int(i * 50 / 46)                 # the event number of this bid
            people = 1000 + int(ev / 50)
            if (rand() < 0.75) bidder = people - people % 100
            else bidder = people - int(rand() * 1000)
            if (bidder < 1000) bidder = 1000
            auction = 1000 + int(ev * 3 / 50) - int(rand() * 100)
            price = int(10 ^ (rand() * 6) * 100 + 0.5)
            printf "{\"auction\":%d,\"bidder\":%d,\"price\":%d,\"channel\":\"c\",\"url\":\"u\",\"dateTime\":%.0f,\"extra\":\"\"}\n",
                auction, bidder, price, base + int(ev / 2)
        }
    }'
}

# make_bids N NEXMARK_GEN OUT_JSONL OUT_CSV: the events, perturbed, as JSON
# lines for `sluice load` and as CSV (seq,bidder,price,ts) for sqlite3.
make_bids() {
    n=$1 gen=$2 jsonl=$3 csv=$4
    if [ -n "$gen" ] && [ -x "$gen" ]; then
        "$gen" --events "$n" --rate 2000 --seed 7 --kind bid
    else
        awk_bids "$n"
    fi | awk -v csv="$csv" '
        # static regular expressions: mawk compiles a dynamic one per call
        function num(start, len) { return substr($0, RSTART + start, RLENGTH - start) + 0 }
        {
            if (!match($0, /"dateTime":[0-9]+/)) { print "bad line " NR > "/dev/stderr"; exit 1 }
            ts = num(11)
            if (NR % 101 == 0) ts -= 12000
            else if (NR % 7 == 0) ts -= 3000
            $0 = substr($0, 1, RSTART - 1) sprintf("\"dateTime\":%.0f", ts) substr($0, RSTART + RLENGTH)
            print
            if (!match($0, /"bidder":[0-9]+/)) { print "bad line " NR > "/dev/stderr"; exit 1 }
            bidder = num(9)
            if (!match($0, /"price":[0-9]+/)) { print "bad line " NR > "/dev/stderr"; exit 1 }
            printf "%d,%.0f,%.0f,%.0f\n", NR, bidder, num(8), ts > csv
        }' > "$jsonl"
}

# oracle_expect CSV DB TUMBLE_OUT HOP_OUT [LATE_OUT]: sqlite3's answer,
# sorted lines; LATE_OUT gets the offsets (one partition, loaded in order:
# the line number - 1) of the records late for their tumbling window.
oracle_expect() {
    csv=$1 db=$2
    rm -f "$db"
    sqlite3 "$db" <<SQL
CREATE TABLE bids (seq INTEGER PRIMARY KEY, bidder INTEGER, price INTEGER, ts INTEGER);
.mode csv
.import $csv bids
CREATE TABLE arrived AS
  SELECT seq, bidder, price, ts, MAX(ts) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS st
  FROM bids;
CREATE TABLE hops (i INTEGER);
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $SIZE_MS / $HOP_MS)
  INSERT INTO hops SELECT i FROM k;
CREATE TABLE tumble AS
  SELECT bidder, w, COUNT(*) AS n, SUM(price) AS total, MIN(price) AS lo, MAX(price) AS hi,
         MAX(ts) AS rowtime
  FROM (SELECT bidder, price, ts, st, ts / $SIZE_MS * $SIZE_MS AS w FROM arrived)
  WHERE w + $SIZE_MS + $GRACE_MS > st
  GROUP BY bidder, w
  HAVING w + $SIZE_MS + $GRACE_MS <= (SELECT MAX(ts) FROM bids);
CREATE TABLE hop AS
  SELECT bidder, w, COUNT(*) AS n, SUM(price) AS total, MIN(price) AS lo, MAX(price) AS hi,
         MAX(ts) AS rowtime
  FROM (SELECT bidder, price, ts, st, ts / $HOP_MS * $HOP_MS - i * $HOP_MS AS w
        FROM arrived, hops)
  WHERE w >= 0 AND w + $SIZE_MS + $GRACE_MS > st
  GROUP BY bidder, w
  HAVING w + $SIZE_MS + $GRACE_MS <= (SELECT MAX(ts) FROM bids);
.mode list
.separator " "
.output $3
SELECT bidder, w, n, total, lo, hi, rowtime FROM tumble;
.output $4
SELECT bidder, w, n, total, lo, hi, rowtime FROM hop;
.output ${5:-/dev/null}
SELECT seq - 1 FROM arrived WHERE ts / $SIZE_MS * $SIZE_MS + $SIZE_MS + $GRACE_MS <= st;
.output stdout
SQL
    sort -o "$3" "$3"
    sort -o "$4" "$4"
    [ -n "${5:-}" ] && sort -o "$5" "$5"
    return 0
}

# decode_dump DUMP_JSONL OUT: sluice's records as sorted lines like the
# oracle's; a record that is not a windowed row (a tombstone, a key of the
# wrong size) becomes a line starting with "BAD".
decode_dump() {
    jq -r '[.key // "null", .key_encoding // "text", .timestamp,
            (if .value == null then "null" else (.value | fromjson | "\(.N) \(.TOTAL) \(.LO) \(.HI)") end)]
           | @tsv' "$1" | awk -F'\t' '
        BEGIN { A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" }
        function unb64(s, bytes,   i, j, n, v, c, pad) {
            n = 0
            for (i = 1; i <= length(s); i += 4) {
                v = 0; pad = 0
                for (j = 0; j < 4; j++) {
                    c = substr(s, i + j, 1)
                    if (c == "=") { pad++; c = 0 } else c = index(A, c) - 1
                    v = v * 64 + c
                }
                bytes[n++] = int(v / 65536); bytes[n++] = int(v / 256) % 256; bytes[n++] = v % 256
                n -= pad
            }
            return n
        }
        function be64(bytes, off,   i, v) {
            v = 0
            for (i = 0; i < 8; i++) v = v * 256 + bytes[off + i]
            return v
        }
        {
            if ($2 != "base64" || $4 == "null" || unb64($1, b) != 16) { print "BAD " $0; next }
            if (b[0] >= 128 || b[8] >= 128) { print "BAD negative " $0; next }
            printf "%.0f %.0f %s %s\n", be64(b, 0), be64(b, 8), $4, $3
        }' | awk '{ print $1, $2, $3, $4, $5, $6, $7 }' | sort
}

# compare NAME WANT GOT: prints a verdict; returns 1 on a difference.
compare() {
    name=$1 want=$2 got=$3
    nwant=$(wc -l < "$want")
    ngot=$(wc -l < "$got")
    dups=$(awk '{ print $1, $2 }' "$got" | sort | uniq -d | wc -l)
    if [ "$dups" -ne 0 ]; then
        echo "FAIL $name: $dups windows written more than once (EMIT FINAL writes each once), e.g.:"
        awk '{ print $1, $2 }' "$got" | sort | uniq -d | head -3
        return 1
    fi
    if cmp -s "$want" "$got"; then
        echo "ok   $name: $ngot windows, equal to sqlite3's"
        return 0
    fi
    echo "FAIL $name: sluice wrote $ngot windows, sqlite3 computed $nwant"
    echo "     (lines: bidder window_start count sum min max row_time)"
    echo "     only in sqlite3's (first 5):"; comm -23 "$want" "$got" | head -5 | sed 's/^/       /'
    echo "     only in sluice's (first 5):";  comm -13 "$want" "$got" | head -5 | sed 's/^/       /'
    return 1
}

# late_offsets QUERY_PREFIX: the offsets of the input records that the
# processing log (the sluice_processing_log topic) reports as late for the
# query whose id starts with QUERY_PREFIX, sorted as text (for comm).
late_offsets() {
    "$SLUICE" dump sluice_processing_log --from-beginning |
        jq -r --arg q "$1" '.value | fromjson
                            | select((.QUERY_ID | startswith($q)) and .ERROR_KIND == "LATE_RECORD")
                            | .OFFSET' | sort
}
