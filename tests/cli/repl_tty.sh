#!/bin/sh
# The REPL on a real terminal, driven through tmux: create a stream, insert
# rows, a push query with LIMIT prints its rows and returns, an unlimited
# push query is ended with Ctrl-C and the prompt comes back, `exit` leaves;
# then the REPL against a worker (sluice --server) completes its names.
# Skips (exit 0, with a message) when tmux is not installed
# (scripts/deps --test installs it).
# Usage: tests/cli/repl_tty.sh path/to/sluice
set -u
SLUICE=${1:?usage: repl_tty.sh path/to/sluice}
case "$SLUICE" in /*) ;; *) SLUICE="$(pwd)/$SLUICE" ;; esac
if ! command -v tmux >/dev/null 2>&1; then
    echo "repl_tty.sh: SKIP: tmux is not installed (scripts/deps --test installs it)"
    exit 0
fi
tmp=$(mktemp -d)
sock="sluice-test-$$"
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { fail=$((fail + 1)); printf 'FAIL: %s\n' "$*"; }

screen() { T capture-pane -p -J -S -200 -t repl; }
# wait_for TEXT [TRIES]: polls the pane (0.1 s apart) until TEXT shows; the
# number of tries only bounds a hang, it is not a timing assertion
wait_for() {
    n=${2:-300}
    while [ "$n" -gt 0 ]; do
        T has-session -t repl 2>/dev/null || { echo "repl_tty.sh: the terminal went away"; exit 1; }
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}
# count of lines holding TEXT
count() { screen | grep -cF -- "$1"; }
# send a line of SQL; a trailing ';' must be escaped for tmux
send() { T send-keys -t repl -l -- "$1"; T send-keys -t repl '\;' Enter; }

T new-session -d -s repl -x 160 -y 50 \
    "SLUICE_DATA_DIR='$tmp/data' '$SLUICE' --history '$tmp/history'; echo REPL-EXITED \$?; sleep 30"
wait_for "sluice> " || { bad "no prompt"; screen; exit 1; }

send "CREATE STREAM pets (name VARCHAR KEY, kind VARCHAR, age INT) WITH (KAFKA_TOPIC='pets', VALUE_FORMAT='JSON', PARTITIONS=1)"
wait_for "Stream created" || bad "CREATE STREAM did not answer 'Stream created'"
send "INSERT INTO pets (name, kind, age) VALUES ('rex', 'dog', 3)"
send "INSERT INTO pets (name, kind, age) VALUES ('tom', 'cat', 5)"
send "INSERT INTO pets (name, kind, age) VALUES ('kiwi', 'bird', 1)"
send "SET 'auto.offset.reset'='earliest'"
wait_for "earliest" || bad "SET did not answer"

# a push query with LIMIT 2: two rows, then the prompt again
prompts=$(count "sluice> ")
send "SELECT name, UCASE(kind) AS kind FROM pets EMIT CHANGES LIMIT 2"
wait_for "DOG" || bad "the first row did not show"
wait_for "CAT" || bad "the second row did not show"
n=300
while [ "$(count "sluice> ")" -le "$prompts" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ "$(count "sluice> ")" -gt "$prompts" ] || bad "LIMIT 2 did not return to the prompt"
screen | grep -qF "BIRD" && bad "LIMIT 2 printed a third row"

# an unlimited push query: rows, then Ctrl-C returns to the prompt
T send-keys -t repl C-l
T clear-history -t repl
send "SELECT name, age * 10 AS decades FROM pets EMIT CHANGES"
wait_for "kiwi" || bad "the unlimited query did not show rows"
screen | grep -q '^sluice> *$' && bad "an empty prompt showed while the push query ran"
T send-keys -t repl C-c
wait_for "sluice> " || bad "Ctrl-C did not return to the prompt"
# the REPL still works after it
send "SELECT 40 + 2 AS answer"
wait_for "42" || bad "the REPL did not answer after Ctrl-C"

T send-keys -t repl "exit" Enter
wait_for "REPL-EXITED 0" || bad "exit did not leave with status 0"

# the REPL against a worker: Tab completes the worker's stream and column
# names, which the client's own (empty) catalog does not know
"$SLUICE" server -d "$tmp/srv" --listen 127.0.0.1:0 > "$tmp/srv.out" 2> "$tmp/srv.err" &
spid=$!
trap 'kill $spid 2>/dev/null; T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
url=
n=300
while [ -z "$url" ] && [ $n -gt 0 ] && kill -0 $spid 2>/dev/null; do
    url=$(sed -n 's/^sluice server: listening on \(http:\/\/[^;]*\);.*/\1/p' "$tmp/srv.err")
    [ -n "$url" ] || sleep 0.1
    n=$((n - 1))
done
if [ -z "$url" ]; then
    bad "the worker did not start"; cat "$tmp/srv.err"
else
    curl -sS -o /dev/null -X POST -H 'Content-Type: application/vnd.ksql.v1+json' \
        --data-binary "{\"ksql\":\"CREATE STREAM kennel (tag INT KEY, whiskers INT) WITH (KAFKA_TOPIC='kennel', VALUE_FORMAT='JSON', PARTITIONS=1);\"}" \
        "$url/ksql"
    # the new session first: killing the last one stops tmux's server,
    # and a session started while it stops fails
    T new-session -d -s repl2 -x 160 -y 50 \
        "'$SLUICE' --server '$url' --history '$tmp/history2'; echo REPL-EXITED \$?; sleep 30"
    T kill-session -t repl
    T rename-session -t repl2 repl
    wait_for "sluice> " || bad "no prompt against the worker"
    T send-keys -t repl -l -- "SELECT whisk"
    T send-keys -t repl Tab
    T send-keys -t repl -l -- "FROM kenn"
    T send-keys -t repl Tab
    T send-keys -t repl '\;' Enter
    # (a unique match is completed with a space after it)
    wait_for "SELECT whiskers FROM kennel" || bad "Tab did not complete the worker's column and stream names"
    T send-keys -t repl "exit" Enter
    wait_for "REPL-EXITED 0" || bad "exit from the remote REPL did not leave with status 0"
    kill $spid 2>/dev/null
    wait $spid 2>/dev/null
fi

if [ "$fail" -ne 0 ]; then
    echo "--- the terminal:"; screen
fi
printf '%d failed\n' "$fail"
[ "$fail" -eq 0 ]
