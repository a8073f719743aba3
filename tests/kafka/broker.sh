#!/usr/bin/env bash
# broker.sh: a real, single-node Apache Kafka 4.x broker for tests.
#
# Does: resolves the broker's classpath from Maven Central with pom.xml
# beside this script (once; cached), writes a KRaft configuration for one
# node that is both broker and controller, listening on 127.0.0.1 only on
# two free ports it picks, formats its storage with a random cluster id,
# starts it in the background (small heap), waits until it has started and
# accepts connections, and stops it again.
# Does not: run more than one node, TLS or SASL, or touch any process but
# the one it started (its pid is kept in the state directory).
#
# Usage:
#   broker.sh start [STATE_DIR]   start a broker; prints BOOTSTRAP=host:port
#                                 and STATE=dir (the directory to pass to the
#                                 other commands; a new temporary one unless
#                                 given or SLUICE_KAFKA_STATE is set)
#   broker.sh bootstrap [STATE_DIR]   prints host:port of a started broker
#   broker.sh stop [STATE_DIR]    stops it, waits for it, removes STATE_DIR
#   broker.sh classpath           prints the resolved classpath
#   broker.sh java CLASS ARGS...  runs a class with that classpath (Kafka's
#                                 own tools, e.g.
#                                 org.apache.kafka.tools.consumer.ConsoleConsumer)
# Environment:
#   SLUICE_KAFKA_CACHE   where the resolved jars and the classpath are kept
#                        (default: Maven's ~/.m2 for the jars and
#                        ~/.cache/sluice-kafka for the classpath)
#   SLUICE_KAFKA_STATE   the state directory when none is given
#   SLUICE_KAFKA_JAVA_OPTS  JVM options (default: a 512 MiB heap, serial GC)
#   SLUICE_KAFKA_START_TIMEOUT  seconds to wait for the broker (default 120)
#   SLUICE_KAFKA_TOOL_OPTS  more JVM options for `java` (e.g. log levels:
#                        -Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=info)
#   SLUICE_KAFKA_OWNER_PID  when set at start, the broker is stopped (and its
#                        state removed) once that process is gone
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pom="$here/pom.xml"
marker=".sluice-kafka-broker"   # in every state directory this script made

die() { echo "broker.sh: $*" >&2; exit 1; }

# ---- tools ----

# need_tools java|mvn...: installs the Debian packages of missing commands
need_tools() {
    local missing="" t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 && continue
        case $t in
            java) missing="$missing openjdk-17-jre-headless" ;;
            mvn) missing="$missing maven" ;;
        esac
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        die "needs$missing (apt-get install$missing)"
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "broker.sh: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $missing; } \
        >&2 || die "could not install$missing"
}

# Kafka 4 runs on Java 17 or later
check_java() {
    local v
    v=$(java -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java.specification.version = //p')
    case "$v" in
        1.*|9|1[0-6]) die "Kafka 4 needs Java 17 or later; java here is $v" ;;
    esac
}

# ---- the classpath, resolved once per version of pom.xml ----

cache_dir() {
    if [ -n "${SLUICE_KAFKA_CACHE:-}" ]; then
        echo "$SLUICE_KAFKA_CACHE"
    else
        echo "${XDG_CACHE_HOME:-$HOME/.cache}/sluice-kafka"
    fi
}

# true when every entry of classpath file $1 is a readable jar
cp_complete() {
    local f=$1 jar
    [ -s "$f" ] || return 1
    local IFS=:
    for jar in $(cat "$f"); do
        [ -r "$jar" ] || return 1
    done
    return 0
}

classpath() {
    local dir key cpf
    dir=$(cache_dir)
    mkdir -p "$dir"
    key=$(sha256sum "$pom" | cut -c1-16)
    cpf="$dir/classpath-$key"
    if ! cp_complete "$cpf"; then
        need_tools java mvn
        local repo=()
        [ -n "${SLUICE_KAFKA_CACHE:-}" ] && repo=("-Dmaven.repo.local=$dir/m2")
        # one resolution at a time (parallel test runs share the cache)
        exec 8>"$dir/lock"
        flock 8
        if ! cp_complete "$cpf"; then
            echo "broker.sh: resolving the Kafka broker from Maven Central (once)" >&2
            if ! mvn -q -B -f "$pom" "${repo[@]}" dependency:build-classpath \
                    -Dmdep.outputFile="$cpf.tmp" >"$dir/mvn.log" 2>&1; then
                tail -n 30 "$dir/mvn.log" >&2
                die "resolving $pom failed (log: $dir/mvn.log)"
            fi
            cp_complete "$cpf.tmp" || die "maven gave an incomplete classpath ($cpf.tmp)"
            mv "$cpf.tmp" "$cpf"
        fi
        exec 8>&-
    fi
    cat "$cpf"
}

# ---- ports ----

# a port nobody listens on, below the kernel's ephemeral range
free_port() {
    local i port
    for i in $(seq 1 200); do
        port=$((20000 + RANDOM % 12000))
        [ "$port" = "${1:-}" ] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "found no free port"
}

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---- state ----

state_dir() {
    local d=${1:-${SLUICE_KAFKA_STATE:-}}
    [ -n "$d" ] || die "no state directory: pass the STATE that start printed, or set SLUICE_KAFKA_STATE"
    echo "$d"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

write_config() {
    local st=$1 bport=$2 cport=$3
    cat >"$st/server.properties" <<EOF
# written by tests/kafka/broker.sh: one node, broker and controller
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$st/data
# topics are created by whoever uses them, never by a metadata request
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# tests write records with old timestamps, which the retention check
# (every 5 minutes by default, the first 30 s after start) deletes, active
# segment included, from topics with a finite retention.ms: not during a
# test run (log.initial.task.delay.ms, an internal setting of Kafka 3.8
# and later, moves the first check as well)
log.retention.check.interval.ms=86400000
log.initial.task.delay.ms=86400000
# a small machine: few threads, a small compaction buffer
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
EOF
}

# a cluster id as Kafka writes them: 16 random bytes, base64url, no padding,
# not starting with '-'
cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
        case "$id" in -*) ;; *) echo "$id"; return ;; esac
    done
}

java_opts() {
    # shellcheck disable=SC2206
    local opts=(${SLUICE_KAFKA_JAVA_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC})
    printf '%s\n' "${opts[@]}" -Djava.awt.headless=true \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
        -Dorg.slf4j.simpleLogger.showDateTime=true \
        -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS
}

# Stops broker $2 when process $1 is gone (a test runner killed with
# SIGKILL runs no cleanup); ends by itself when the broker stops.
watch_owner() {
    local owner=$1 pid=$2 st=$3
    (
        while alive "$owner" && alive "$pid"; do sleep 2; done
        if alive "$pid" && grep -qF "$st/server.properties" "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.5; done
            alive "$pid" && kill -KILL "$pid" 2>/dev/null
            [ -e "$st/$marker" ] && rm -rf "$st"
        fi
    ) </dev/null >/dev/null 2>&1 &
}

# one attempt: 0 started, 2 a port was taken (try others), 1 failed
start_once() {
    local st=$1 cp=$2 bport cport pid deadline
    bport=$(free_port)
    cport=$(free_port "$bport")
    rm -rf "$st/data"
    write_config "$st" "$bport" "$cport"
    local opts
    mapfile -t opts < <(java_opts)
    if ! java "${opts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
            -t "$(cluster_id)" -c "$st/server.properties" >"$st/format.log" 2>&1; then
        cat "$st/format.log" >&2
        echo "broker.sh: formatting the storage failed" >&2
        return 1
    fi
    : >"$st/broker.log"
    java "${opts[@]}" -cp "$cp" kafka.Kafka "$st/server.properties" \
        </dev/null >>"$st/broker.log" 2>&1 &
    pid=$!
    echo "$pid" >"$st/pid"
    [ -n "${SLUICE_KAFKA_OWNER_PID:-}" ] && watch_owner "$SLUICE_KAFKA_OWNER_PID" "$pid" "$st"
    deadline=$((SECONDS + ${SLUICE_KAFKA_START_TIMEOUT:-120}))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if ! alive "$pid"; then
            wait "$pid" 2>/dev/null || true
            rm -f "$st/pid"
            if grep -q "Address already in use" "$st/broker.log"; then
                return 2
            fi
            tail -n 40 "$st/broker.log" >&2
            echo "broker.sh: the broker exited while starting (log: $st/broker.log)" >&2
            return 1
        fi
        if grep -q "Kafka Server started" "$st/broker.log" && accepts "$bport"; then
            echo "127.0.0.1:$bport" >"$st/bootstrap"
            return 0
        fi
        sleep 0.5
    done
    tail -n 40 "$st/broker.log" >&2
    echo "broker.sh: the broker did not start within ${SLUICE_KAFKA_START_TIMEOUT:-120}s" >&2
    return 1
}

stop_pid() {
    local st=$1 pid i
    [ -r "$st/pid" ] || return 0
    pid=$(cat "$st/pid")
    # only a java process started with this state directory's configuration
    if alive "$pid" && grep -qF "$st/server.properties" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 60); do
            alive "$pid" || break
            sleep 0.5
        done
        if alive "$pid"; then
            echo "broker.sh: broker $pid ignored SIGTERM for 30s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            for i in $(seq 1 20); do
                alive "$pid" || break
                sleep 0.25
            done
        fi
    fi
    rm -f "$st/pid"
}

cmd_start() {
    local st cp rc attempt
    if [ -n "${1:-${SLUICE_KAFKA_STATE:-}}" ]; then
        st=$(state_dir "${1:-}")
        # stop removes the directory: only an empty one or one made here
        if [ -d "$st" ] && [ ! -e "$st/$marker" ] && [ -n "$(ls -A "$st")" ]; then
            die "$st is not empty and was not made by broker.sh"
        fi
        mkdir -p "$st"
        st=$(cd "$st" && pwd)
        if [ -r "$st/pid" ] && alive "$(cat "$st/pid")"; then
            die "a broker is already running for $st (pid $(cat "$st/pid"))"
        fi
    else
        st=$(mktemp -d "${TMPDIR:-/tmp}/sluice-kafka.XXXXXX")
    fi
    touch "$st/$marker"
    need_tools java
    check_java
    cp=$(classpath)
    for attempt in 1 2 3; do
        rc=0
        start_once "$st" "$cp" || rc=$?
        [ "$rc" -eq 2 ] || break
        echo "broker.sh: a port was taken; trying others" >&2
    done
    if [ "$rc" -ne 0 ]; then
        stop_pid "$st"
        die "could not start the broker (state kept in $st)"
    fi
    echo "BOOTSTRAP=$(cat "$st/bootstrap")"
    echo "STATE=$st"
}

cmd_stop() {
    local st
    st=$(state_dir "${1:-}")
    [ -d "$st" ] || return 0
    [ -e "$st/$marker" ] || die "$st was not made by broker.sh; not touching it"
    stop_pid "$st"
    rm -rf "$st"
}

cmd_bootstrap() {
    local st
    st=$(state_dir "${1:-}")
    [ -r "$st/bootstrap" ] && [ -r "$st/pid" ] && alive "$(cat "$st/pid")" ||
        die "no broker running for $st"
    cat "$st/bootstrap"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    bootstrap) shift; cmd_bootstrap "$@" ;;
    classpath) classpath ;;
    java)
        shift
        [ $# -ge 1 ] || die "usage: broker.sh java CLASS ARGS..."
        need_tools java
        cp=$(classpath)
        # shellcheck disable=SC2086
        exec java -Xmx256m -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
            -Dorg.slf4j.simpleLogger.showDateTime=true \
            -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
            ${SLUICE_KAFKA_TOOL_OPTS:-} -cp "$cp" "$@" ;;
    *) die "usage: broker.sh start|stop|bootstrap [STATE_DIR] | classpath | java CLASS ARGS..." ;;
esac
