#!/bin/sh
# generate.sh: clicks for the clickstream example, as JSON lines.
#
# Without --url the clicks go to stdout (for a file, or `sluice load`);
# with --url they are POSTed to the worker's /inserts-stream, one request
# per batch, and every row the worker refuses is reported on stderr.
# The same seed gives the same clicks: user, page, referrer, agent and
# status are drawn from small weighted lists; click i has the event time
# START + i * STEP milliseconds.
set -u

usage() {
    cat <<'EOF'
usage: generate.sh [options]
  -n COUNT        clicks to make (default 1000; 0: until interrupted, one
                  batch a second, so that event time keeps up with the clock)
  -b BATCH        clicks per batch (default 100; 10 with -n 0)
  -p SECONDS      pause after each batch (default 0; 1 with -n 0)
  -u USERS        distinct users (default 20)
  -s SEED         random seed (default 1)
  -t START_MS     event time of the first click, ms since the epoch (default now)
  -i STEP_MS      event time between clicks (default 100)
  --url URL       POST the batches to URL/inserts-stream instead of printing them
  --stream NAME   the stream to insert into (default clicks)
  -h, --help      this help
EOF
}

count=1000 batch= pause= users=20 seed=1 start= step=100 url= stream=clicks
while [ $# -gt 0 ]; do
    case "$1" in
    -n) count=$2; shift 2 ;;
    -b) batch=$2; shift 2 ;;
    -p) pause=$2; shift 2 ;;
    -u) users=$2; shift 2 ;;
    -s) seed=$2; shift 2 ;;
    -t) start=$2; shift 2 ;;
    -i) step=$2; shift 2 ;;
    --url) url=${2%/}; shift 2 ;;
    --stream) stream=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
[ -n "$batch" ] || { [ "$count" = 0 ] && batch=10 || batch=100; }
for v in "$count" "$batch" "$users" "$seed" "$step"; do
    case "$v" in ''|*[!0-9]*) echo "generate.sh: not a number: '$v'" >&2; exit 2 ;; esac
done
[ "$batch" -gt 0 ] && [ "$users" -gt 0 ] || { echo "generate.sh: -b and -u must be above 0" >&2; exit 2; }
if [ -z "$start" ]; then
    start=$(date +%s%3N 2>/dev/null)
    case "$start" in *N|'') start=$(($(date +%s) * 1000)) ;; esac
fi
[ -n "$pause" ] || { [ "$count" -eq 0 ] && pause=1 || pause=0; }
if [ -n "$url" ] && ! command -v curl >/dev/null 2>&1; then
    echo "generate.sh: --url needs curl" >&2
    exit 2
fi

# clicks FIRST N: clicks FIRST .. FIRST+N-1 as JSON lines. Each batch seeds
# its own generator, so a batch is the same whichever batches came before.
clicks() {
    awk -v first="$1" -v n="$2" -v users="$users" -v seed="$seed" -v start="$start" \
        -v step="$step" '
    function pick(list, weights,    r, i, acc, k, w) {
        k = split(list, items, "|")
        split(weights, w, " ")
        r = rand() * 100
        acc = 0
        for (i = 1; i < k; i++) {
            acc += w[i]
            if (r < acc) return items[i]
        }
        return items[k]
    }
    BEGIN {
        srand(seed * 1000003 + first)
        shop = "/|/products|/products/42|/products/1337|/cart|/checkout|/search|/account"
        blog = "/|/posts/streams|/posts/windows|/about"
        help = "/|/faq|/contact"
        refs  = "|https://www.google.com/search?q=shoes|https://duckduckgo.com/|https://news.example.org/top|https://shop.example.com/products"
        agents = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0" \
            "|Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36" \
            "|Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1" \
            "|Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36" \
            "|Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" \
            "|curl/7.88.1"
        for (i = first; i < first + n; i++) {
            user = sprintf("user_%02d", int(rand() * users) + 1)
            host = pick("shop.example.com|blog.example.com|help.example.com", "70 20 10")
            if (host ~ /^shop/) path = pick(shop, "15 20 15 10 10 10 15 5")
            else if (host ~ /^blog/) path = pick(blog, "20 40 30 10")
            else path = pick(help, "30 50 20")
            qs = rand() < 0.2 ? sprintf("?utm_source=mail&id=%d", int(rand() * 1000)) : ""
            ref = pick(refs, "40 25 10 10 15")
            agent = pick(agents, "25 30 20 10 10 5")
            status = pick("200|301|304|404|500|503", "78 5 5 6 4 2")
            printf "{\"user_id\":\"%s\",\"url\":\"https://%s%s%s\",\"referrer\":%s,\"user_agent\":\"%s\",\"status\":%d,\"ts\":%.0f}\n",
                user, host, path, qs, ref == "" ? "null" : "\"" ref "\"", agent, status, start + i * step
        }
    }'
}

# post FILE: the batch to the worker; prints how many rows it took (-1:
# the worker cannot be reached), and every row it refused on stderr
post() {
    acks=$( { printf '{"target":"%s"}\n' "$stream"; cat "$1"; } |
        curl -sS -X POST -H 'Content-Type: application/vnd.ksqlapi.delimited.v1' \
            --data-binary @- "$url/inserts-stream") || {
        echo "generate.sh: cannot reach the worker at $url" >&2
        echo -1
        return
    }
    printf '%s\n' "$acks" | grep -v '"status":"ok"' | grep . >&2
    printf '%s\n' "$acks" | grep -c '"status":"ok"'
}

tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT TERM
i=0 sent=0 failed=0
while [ "$count" -eq 0 ] || [ "$i" -lt "$count" ]; do
    n=$batch
    [ "$count" -gt 0 ] && [ $((count - i)) -lt "$n" ] && n=$((count - i))
    if [ -n "$url" ]; then
        clicks "$i" "$n" > "$tmp"
        took=$(post "$tmp")
        [ "$took" -ge 0 ] || exit 1
        sent=$((sent + took))
        [ "$took" -eq "$n" ] || failed=1
    else
        clicks "$i" "$n"
    fi
    i=$((i + n))
    [ "$pause" = 0 ] || sleep "$pause"
done
[ -n "$url" ] && echo "generate.sh: $sent clicks inserted into $stream" >&2
exit $failed
