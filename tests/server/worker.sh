# worker.sh: a `sluice server` on a free loopback port, for the shell
# tests that drive a worker (sourced: . "$here/worker.sh"; tests/server/run.sh,
# tests/server/migrate.sh, tests/examples/run.sh).
#
# Does: start_worker starts one in the background and waits until it says
# where it listens; stop_worker stops it with SIGTERM; kill_worker (for an
# EXIT trap) kills what is left. One worker at a time: its pid is in $pid.
# Wants $SLUICE (the executable) and the caller's bad() (a failed check).
# Does not: pick the data directory or any option (the caller's ARGS).

pid=

# start_worker NAME ARGS...: `sluice server --listen 127.0.0.1:0 ARGS` in
# the background, its output in NAME.out and NAME.err (in the current
# directory); waits up to 60 s (a guard against hanging, not a measure of
# speed) for "listening on URL". Sets pid and URL; when the worker did not
# come up, URL is empty, bad() says so with its errors, and the status is 1.
start_worker() {
    name=$1; shift
    "$SLUICE" server --listen 127.0.0.1:0 "$@" >"$name.out" 2>"$name.err" &
    pid=$!
    URL=
    i=0
    while [ $i -lt 600 ] && [ -z "$URL" ] && kill -0 "$pid" 2>/dev/null; do
        URL=$(sed -n 's/^sluice server: listening on \(https*:\/\/[^;]*\);.*/\1/p' "$name.err" 2>/dev/null)
        [ -n "$URL" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$URL" ] && return 0
    bad "$name: the worker did not start"
    cat "$name.err"
    return 1
}

# stop_worker: SIGTERM and wait for the worker; its exit status in stop_rc
stop_worker() {
    kill -TERM "$pid"
    wait "$pid"
    stop_rc=$?
    pid=
}

# kill_worker: SIGKILL to the worker still running, if any
kill_worker() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    pid=
}
