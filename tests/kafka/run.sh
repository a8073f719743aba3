#!/usr/bin/env bash
# run.sh: the Kafka log's tests against a real Apache Kafka broker.
#
# Starts a single-node broker with broker.sh (the first run resolves it from
# Maven Central, about 45 MiB), runs the suite kafka_broker of the Criterion
# executable test_log_kafka with SLUICE_TEST_KAFKA_BOOTSTRAP pointing at it,
# then, given --sluice, against the same broker: the command line checks
# (cli.sh: service ids, configuration, load/run/dump) and the SQL cases
# listed in sql_cases.txt (sql.sh, `sluice test --bootstrap-servers`) and
# sluice between kcat and Kafka's Java consumer (interop.sh), then
# exactly-once through a worker killed with SIGKILL (eos.sh), two workers
# of one service sharing the partitions, one killed with SIGKILL
# (scaleout.sh), the same under exactly-once, each killed in turn
# (eos_scaleout.sh), a record timestamped beyond what the sink topic
# accepts as a bad record of its query (timestamps.sh), and stops the
# broker whatever happens (exit, failure, interrupt).
# Does not: run the mock-cluster tests of the same executable (ctest runs
# them as test_log_kafka).
# Usage: tests/kafka/run.sh path/to/test_log_kafka [--sluice path/to/sluice]
#            [criterion options...]
set -uo pipefail

bin=${1:?usage: run.sh path/to/test_log_kafka [--sluice path/to/sluice] [criterion options...]}
shift
sluice=
if [ "${1:-}" = "--sluice" ]; then
    sluice=${2:?--sluice wants the sluice executable}
    shift 2
    [ -x "$sluice" ] || { echo "run.sh: $sluice is not an executable" >&2; exit 1; }
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -x "$bin" ] || { echo "run.sh: $bin is not an executable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka-run.XXXXXX")
state="$work/broker"        # broker.sh's state directory
stop() {
    "$here/broker.sh" stop "$state" || true
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! SLUICE_KAFKA_OWNER_PID=$$ "$here/broker.sh" start "$state" >"$work/start.out" 2>&1; then
    cat "$work/start.out" >&2
    rm -f "$work/start.out"
    echo "run.sh: the broker did not start" >&2
    exit 1
fi
bootstrap=$(sed -n 's/^BOOTSTRAP=//p' "$work/start.out")
rm -f "$work/start.out"
echo "run.sh: Apache Kafka broker at $bootstrap"

status=0
out="$work/suite.out"
SLUICE_TEST_KAFKA_BOOTSTRAP=$bootstrap SLUICE_TEST_KAFKA_TOOL="$here/broker.sh" "$bin" --filter 'kafka_broker/*' --jobs 1 "$@" 2>&1 |
    tee "$out"
status=${PIPESTATUS[0]}
# the suite must have run, not been filtered away or skipped
if [ "$status" -eq 0 ] && ! grep -Eq "Tested: [1-9]" "$out"; then
    echo "run.sh: no test of suite kafka_broker ran" >&2
    status=1
fi
rm -f "$out"
# the state of aggregations on Kafka (local RocksDB, changelogs, restore)
state_bin="$(dirname "$bin")/test_log_kafka_state"
if [ -x "$state_bin" ]; then
    SLUICE_TEST_KAFKA_BOOTSTRAP=$bootstrap "$state_bin" --filter 'kafka_broker/*' --jobs 1 || status=1
fi
if [ -n "$sluice" ]; then
    "$here/cli.sh" "$sluice" "$bootstrap" || status=1
    "$here/sql.sh" "$sluice" "$bootstrap" || status=1
    "$here/interop.sh" "$sluice" "$bootstrap" || status=1
    "$here/eos.sh" "$sluice" "$bootstrap" || status=1
    "$here/scaleout.sh" "$sluice" "$bootstrap" || status=1
    "$here/eos_scaleout.sh" "$sluice" "$bootstrap" || status=1
    "$here/timestamps.sh" "$sluice" "$bootstrap" || status=1
fi
if [ "$status" -ne 0 ] && [ -r "$state/broker.log" ]; then
    echo "run.sh: the broker's log ends:" >&2
    tail -n 30 "$state/broker.log" >&2
fi
exit "$status"
