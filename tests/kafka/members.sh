# members.sh: which partitions a worker owns, as its log says, for the
# broker scripts that run several workers of one service (sourced:
# . "$here/members.sh"; scaleout.sh, eos_scaleout.sh).
#
# Does: reads the last "sluice: group G: partitions ... assigned; this
# worker owns partitions P" line of a worker's stderr (W.err in the current
# directory), group G being _sluice-$run-QUERY ($run: the caller's service
# id), and waits for a wanted assignment.
# Does not: start or stop workers.

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
