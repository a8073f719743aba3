# workers.sh: what the broker scripts that run two workers of one service
# (w1 and w2) share (sourced: . "$here/workers.sh"; scaleout.sh,
# eos_scaleout.sh).
#
# Does: which partitions a worker owns, from the last "sluice: group G:
# partitions ... assigned; this worker owns partitions P" line of its
# stderr (W.err in the current directory), group G being
# _sluice-$run-QUERY ($run: the caller's service id); waiting for a wanted
# assignment; checking that w1 and w2 share a query's 4 partitions; the
# last run on w1's data directory that consumes what is left; and the
# workers' logs free of failures.
# Wants $SLUICE, $run, and the caller's ok() and bad().
# Does not: start the workers, or stop them before the last run.

# owned W QUERY: the partitions worker W's log last said it owns for QUERY
owned() {
    grep "group _sluice-$run-$2: " "$1.err" 2>/dev/null | tail -n 1 |
        sed -n 's/.*this worker owns partitions //p'
}

# wait_owned W QUERY WANT: until W owns WANT ("0,1,2,3") or a count ("2"),
# 60 s at most (a guard against hanging, not a measure of speed)
wait_owned() {
    n=0
    while [ "$n" -lt 600 ]; do
        o=$(owned "$1" "$2")
        case "$3" in
            *,*) [ "$o" = "$3" ] && return 0 ;;
            *) [ -n "$o" ] && [ "$o" != none ] &&
                   [ "$(echo "$o" | tr ',' '\n' | wc -l)" -eq "$3" ] && return 0 ;;
        esac
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

# shared WHEN QUERY...: w1 and w2 each own 2 of the 4 partitions of each
# QUERY, together all of them; ok, or bad (the caller's) saying WHEN
shared() {
    when=$1; shift
    for q in "$@"; do
        if wait_owned w1 "$q" 2 && wait_owned w2 "$q" 2; then
            all=$(printf '%s,%s' "$(owned w1 "$q")" "$(owned w2 "$q")" | tr ',' '\n' |
                  sort -n | tr '\n' ' ')
            [ "$all" = "0 1 2 3 " ] && ok ||
                bad "$when: $q: w1 owns $(owned w1 "$q"), w2 $(owned w2 "$q")"
        else
            bad "$when: $q not shared 2 and 2 (w1 owns '$(owned w1 "$q")', w2 '$(owned w2 "$q")')"
        fi
    done
}

# last_run CONFIG: `sluice run --until-idle` on w1's data directory with
# the config file CONFIG (its output in w1.out and last.err), 3 minutes at
# most; bad() when it did not become idle or exited with an error
last_run() {
    "$SLUICE" run -d w1 --config-file "$1" --until-idle >>w1.out 2>>last.err &
    w1=$!
    n=0
    while kill -0 "$w1" 2>/dev/null && [ "$n" -lt 1800 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    kill -9 "$w1" 2>/dev/null && bad "the last run did not become idle"
    wait "$w1" || { bad "the last run exited $?"; tail -n 20 last.err; }
    w1=
}

# logs_clean FILE...: no librdkafka log lines, sanitizer reports, failed
# queries or fenced producers in the workers' logs FILE...; bad() shows
# the first
logs_clean() {
    if cat "$@" | grep -q '^%[0-7]|\|AddressSanitizer\|runtime error'; then
        bad "a worker wrote librdkafka lines or sanitizer reports:"
        grep '^%[0-7]|\|AddressSanitizer\|runtime error' "$@" | head -n 5
    fi
    if cat "$@" | grep -q 'stopped on an error\|in error\|took over'; then
        bad "a query failed, or a worker was fenced:"
        grep 'stopped on an error\|in error\|took over' "$@" | head -n 5
    fi
}
