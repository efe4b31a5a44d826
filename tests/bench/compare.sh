#!/usr/bin/env bash
# compare.sh: vangnetd against NATS JetStream and Mosquitto on one
# workload, by hand (never CI): 512-byte messages, each of N pairs sending
# to its partner with at most 256 messages in flight, for each N of $PAIRS.
# vangnetd is driven by bench_relay (CURVE, fsync before every reply);
# NATS by nats_peer (a file-backed JetStream stream, publish acked once
# stored, one acked consumer a pair); Mosquitto by mosq_peer (QoS 1 both
# ways, persistent sessions, persistence on). Neither peer fsyncs before
# its ack as vangnetd does: JetStream 2.9 syncs its files on an interval,
# Mosquitto saves its database on an interval or at exit.
#
# Rounds interleave the systems (vangnetd, NATS, Mosquitto, then again),
# so a machine busy for a while weighs on all three; each server starts
# fresh on 127.0.0.1 for each run. The table gives the median of the
# rounds and vangnetd's ratio to each peer.
#
#   tests/bench/compare.sh [BUILD_DIR]     (default build)
#   ROUNDS=3 MESSAGES=10000 PAIRS="2 100" tests/bench/compare.sh
#
# Installs nats-server, mosquitto, libnats-dev and libmosquitto-dev from
# Debian when missing (as root), then builds bench_relay and the peers.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
ROUNDS=${ROUNDS:-3}
MESSAGES=${MESSAGES:-10000}
PAIRS=${PAIRS:-"2 100"}
WINDOW=256
SIZE=512

need=()
command -v nats-server >/dev/null || need+=(nats-server)
command -v mosquitto >/dev/null || need+=(mosquitto)
[ -f /usr/include/nats/nats.h ] || need+=(libnats-dev)
[ -f /usr/include/mosquitto.h ] || need+=(libmosquitto-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "compare.sh: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cmake -S "$ROOT" -B "$BUILD" >/dev/null
cmake --build "$BUILD" -j2 --target vangnetd bench_relay nats_peer mosq_peer >/dev/null
BENCH=$BUILD/tests/bench

T=$(mktemp -d /tmp/vn-compare.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

free_port() {
    local p
    while :; do
        # Below the kernel's ephemeral ports (32768 and up), which the
        # clients' own connections take: a port found free there could be
        # some connection's before the server binds it.
        p=$((10000 + RANDOM % 22000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
wait_port() {
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "compare.sh: nothing listens on port $1" >&2
    return 1
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Each prints the run's figures; throughput and p50 are read from them.
run_vangnetd() {
    "$BENCH/bench_relay" --vangnetd "$BUILD/server/vangnetd" --clients "$1" --messages "$MESSAGES" \
        --window "$WINDOW" --size "$SIZE" --latency-messages 0 --tmpdir "$T"
}
run_nats() {
    local port dir=$T/nats.$RANDOM pid
    port=$(free_port)
    nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir" >"$T/nats.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" || tail -3 "$T/nats.log" >&2
    "$BENCH/nats_peer" --url "nats://127.0.0.1:$port" --pairs "$1" --messages "$MESSAGES" \
        --window "$WINDOW" --size "$SIZE" || true
    stop "$pid"
    rm -rf "$dir"
}
run_mosquitto() {
    local port dir=$T/mosq.$RANDOM pid
    port=$(free_port)
    mkdir -p "$dir"
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\nmax_queued_messages 0\n' \
        "$port" "$dir" >"$dir/mosquitto.conf"
    mosquitto -c "$dir/mosquitto.conf" >"$T/mosq.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" || tail -3 "$T/mosq.log" >&2
    "$BENCH/mosq_peer" --url "127.0.0.1:$port" --pairs "$1" --messages "$MESSAGES" \
        --window "$WINDOW" --size "$SIZE" || true
    stop "$pid"
    rm -rf "$dir"
}

RESULTS=$T/results
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
    for pairs in $PAIRS; do
        for sys in vangnetd nats mosquitto; do
            out=$("run_$sys" "$pairs" 2>"$T/err" || true)
            tp=$(awk '/^  throughput/{print $2; exit}' <<<"$out")
            p50=$(awk '/send-to-push ms/{print $4; exit}' <<<"$out")
            ok=$(grep -Eq 'delivered +([0-9]+) of \1\b' <<<"$out" && echo ok || echo FAILED)
            [ "$sys" = vangnetd ] && ok=$(grep -q '^result: OK' <<<"$out" && echo ok || echo FAILED)
            echo "round $round  $pairs pairs  $sys: ${tp:-?} msg/s, p50 ${p50:-?} ms ($ok)" >&2
            [ "$ok" = ok ] || { sed -n 1,20p "$T/err" >&2; continue; }
            echo "$pairs $sys $tp $p50" >>"$RESULTS"
        done
    done
done

median() { sort -g | awk '{v[NR]=$1} END{if (NR) print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2); else print "nan"}'; }
med() { awk -v p="$1" -v s="$2" -v c="$3" '$1==p && $2==s {print $c}' "$RESULTS" | median; }

echo
echo "compare.sh: $SIZE-byte messages, window $WINDOW, $MESSAGES messages a run, median of $ROUNDS rounds"
printf '%-6s %-10s %14s %10s %18s\n' pairs system "messages/s" "p50 ms" "vangnetd ratio"
for pairs in $PAIRS; do
    v=$(med "$pairs" vangnetd 3)
    for sys in vangnetd nats mosquitto; do
        tp=$(med "$pairs" "$sys" 3)
        p50=$(med "$pairs" "$sys" 4)
        ratio=$(awk -v a="$v" -v b="$tp" 'BEGIN{ if (b+0 > 0 && a != "nan") printf "%.2fx", a/b; else print "-" }')
        [ "$sys" = vangnetd ] && ratio=""
        printf '%-6s %-10s %14.0f %10.3f %18s\n' "$pairs" "$sys" "$tp" "$p50" "$ratio"
    done
done
