#!/usr/bin/env bash
# The relay benchmark (bench_relay) against a single vangnetd and against
# a vangnetd in cluster mode, the writer of a three-server NATS JetStream
# cluster on loopback (R3: each commit waits for a quorum of the three to
# hold its write-set). Prints both runs' figures; asserts nothing.
#
#   tests/bench/cluster_relay.sh [BUILD_DIR] [bench_relay options...]
# e.g. tests/bench/cluster_relay.sh build --clients 10 --messages 5000
set -euo pipefail
BUILD=${1:-build}
shift || true
ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(--clients 10 --messages 5000 --latency-messages 300)
BENCH=$BUILD/tests/bench/bench_relay
VANGNETD=$BUILD/server/vangnetd
T=$(mktemp -d /tmp/vn-cluster-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"' EXIT

B=$((10000 + RANDOM % 20000)) # below the ephemeral ports
ROUTES="nats://127.0.0.1:$((B + 11)),nats://127.0.0.1:$((B + 12)),nats://127.0.0.1:$((B + 13))"
for i in 1 2 3; do
    nats-server -js -a 127.0.0.1 -p $((B + i)) --server_name "n$i" -sd "$T/nats$i" \
        --cluster_name bench --cluster "nats://127.0.0.1:$((B + 10 + i))" --routes "$ROUTES" \
        >"$T/nats$i.log" 2>&1 &
    PIDS+=($!)
done
URLS="nats://127.0.0.1:$((B + 1)),nats://127.0.0.1:$((B + 2)),nats://127.0.0.1:$((B + 3))"
for _ in $(seq 1 100); do
    out=$("$VANGNETD" cluster status --cluster "$URLS" 2>&1) || true
    grep -q "no Vangnet cluster.*Not Found" <<< "$out" && break
    sleep 0.2
done

echo "== single node"
"$BENCH" --vangnetd "$VANGNETD" --tmpdir "$T" "${ARGS[@]}"
echo
echo "== cluster mode: the writer of a three-server JetStream cluster (R3)"
"$BENCH" --vangnetd "$VANGNETD" --tmpdir "$T" --server-arg --cluster --server-arg "$URLS" \
    --server-arg --node --server-arg bench "${ARGS[@]}"
