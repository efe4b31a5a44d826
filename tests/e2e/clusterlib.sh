# Cluster helpers for tests/e2e/cluster_*.sh, sourced after lib.sh: three
# nats-server processes as one JetStream cluster on loopback, and vangnetd
# nodes in cluster mode (docs/CLUSTER.md), each on a state directory copied
# from one `vangnetd init` (nodes share the server key and the store key).
command -v nats-server >/dev/null || { echo "nats-server is not installed (deploy/install-deps.sh)"; exit 1; }

declare -A NATS_PID=() NODE_PID=() NODE_DIR=()
NATS_URLS=
LEASE_MS=${LEASE_MS:-2000}
NODE_OPTS=${NODE_OPTS:-} # more options of every node's `vangnetd run`
NATS_CONF=${NATS_CONF:-} # a configuration file for every NATS server (-c)

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Nine ports that nobody listens on: clients 1..3, routes 11..13,
# monitoring 21..23.
pick_ports() {
    local try i ok
    for try in $(seq 1 50); do
        NATS_BASE=$((10000 + RANDOM % 20000)) # below the ephemeral range (32768-)
        ok=1
        for i in 1 2 3 11 12 13 21 22 23; do port_free $((NATS_BASE + i)) || { ok=0; break; }; done
        [ "$ok" -eq 1 ] && return 0
    done
    return 1
}

# nats_start I: server I (1..3) of the cluster, with its own store.
nats_start() {
    local i=$1
    nats-server ${NATS_CONF:+-c "$NATS_CONF"} -js -a 127.0.0.1 -p $((NATS_BASE + i)) --server_name "n$i" -sd "$T/nats$i" \
        -m $((NATS_BASE + 20 + i)) \
        --cluster_name vangnet --cluster "nats://127.0.0.1:$((NATS_BASE + 10 + i))" \
        --routes "nats://127.0.0.1:$((NATS_BASE + 11)),nats://127.0.0.1:$((NATS_BASE + 12)),nats://127.0.0.1:$((NATS_BASE + 13))" \
        >>"$T/nats$i.log" 2>&1 &
    NATS_PID[$i]=$!
}
nats_kill9() { kill -9 "${NATS_PID[$1]}"; wait "${NATS_PID[$1]}" 2>/dev/null || true; NATS_PID[$1]=; }

# nats_cluster_start: the three servers, up once JetStream answers. A port
# taken between the check and the bind (another test) means new ports.
nats_cluster_start() {
    local try i up
    for try in 1 2 3; do
        pick_ports
        for i in 1 2 3; do nats_start "$i"; done
        NATS_URLS="nats://127.0.0.1:$((NATS_BASE + 1)),nats://127.0.0.1:$((NATS_BASE + 2)),nats://127.0.0.1:$((NATS_BASE + 3))"
        sleep 0.5
        up=1
        for i in 1 2 3; do kill -0 "${NATS_PID[$i]}" 2>/dev/null || up=0; done
        [ "$up" -eq 1 ] && break
        for i in 1 2 3; do kill "${NATS_PID[$i]}" 2>/dev/null || true; wait "${NATS_PID[$i]}" 2>/dev/null || true; done
        rm -rf "$T"/nats?
    done
    # JetStream answers (no cluster yet: NOTFOUND) once its meta group has a leader.
    wait_for "the JetStream cluster to elect a leader" 30 js_ready
    for i in 1 2 3; do kill -0 "${NATS_PID[$i]}" 2>/dev/null || { fail "NATS server $i exited"; tail -n 5 "$T/nats$i.log"; exit 1; }; done
}
js_ready() {
    local out
    out=$("$VANGNETD" cluster status --json --cluster "$NATS_URLS" 2>&1) || true
    grep -Eq '"writer"|no Vangnet cluster.*Not Found' <<< "$out"
}

# cluster_init NAME...: one `vangnetd init`, copied to every node's
# directory before any of them starts.
cluster_init() {
    server_init
    for n in "$@"; do
        NODE_DIR[$n]=$T/node_$n
        cp -a "$STATE" "${NODE_DIR[$n]}"
    done
}

# node_start NAME [run options]: vangnetd in cluster mode on NAME's state.
node_start() {
    local n=$1; shift
    rm -f "${NODE_DIR[$n]}/endpoint"
    "$VANGNETD" run --state "${NODE_DIR[$n]}" --store-key "$STORE_KEY" --listen 'tcp://127.0.0.1:*' \
        --cluster "$NATS_URLS" --node "$n" --lease-ms "$LEASE_MS" $NOLIMITS $NODE_OPTS "$@" \
        2>>"$T/$n.log" &
    NODE_PID[$n]=$!
    wait_for "node $n to join the cluster" 30 node_joined "$n"
}
node_joined() {
    kill -0 "${NODE_PID[$1]}" 2>/dev/null || { fail "node $1 exited during start"; tail -n 20 "$T/$1.log"; exit 1; }
    grep -q "cluster: node $1 joined" "$T/$1.log"
}
node_kill9() { kill -9 "${NODE_PID[$1]}"; wait "${NODE_PID[$1]}" 2>/dev/null || true; NODE_PID[$1]=; }
node_stop() {
    local rc=0
    kill -TERM "${NODE_PID[$1]}"
    wait "${NODE_PID[$1]}" || rc=$?
    NODE_PID[$1]=
    expect_eq "node $1 exits 0 on SIGTERM" 0 "$rc"
}
node_endpoint() { cat "${NODE_DIR[$1]}/endpoint"; }

# cluster_team_up: three NATS servers and nodes a, b, c; the writer is $W
# (the operator's commands go to it); a casemanager $CM with a case $CASE
# and its participant $P, joined there.
cluster_team_up() {
    nats_cluster_start
    cluster_init a b c
    node_start a
    node_start b
    node_start c
    use_writer
    CM=$(join cm casemanager)
    new_case cm
    P=$(join p participant)
}

# nats_http I PATH: GET PATH of NATS server I's monitoring port (bash only).
nats_http() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$((NATS_BASE + 20 + $1))"
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&"$fd"
    cat <&"$fd"
    exec {fd}>&-
}
# push_watches: the push subjects (vn.fw.p.*) the nodes watch, over all
# three NATS servers' client connections.
push_watches() {
    local i n=0 k
    for i in 1 2 3; do
        [ -n "${NATS_PID[$i]}" ] || continue
        k=$(nats_http "$i" '/connz?subs=1&limit=1024' | grep -o '"vn\.fw\.p\.' | wc -l)
        n=$((n + k))
    done
    echo "$n"
}

cluster_status() { "$VANGNETD" cluster status --json --cluster "$NATS_URLS"; }
# The writer's name ("" when none).
writer_now() { cluster_status 2>/dev/null | sed -n 's/.*"writer": "\([^"]*\)".*/\1/p'; }
has_writer() { W=$(writer_now); [ -n "$W" ]; }
# all_caught_up N: N nodes report, each with lag 0.
all_caught_up() {
    local s
    s=$(cluster_status 2>/dev/null) || return 1
    [ "$(grep -o '"lag": 0' <<< "$s" | wc -l)" -ge "$1" ]
}
# use_writer: operator commands (invite) and clients go to the writer $W.
use_writer() {
    wait_for "a writer" 30 has_writer
    STATE=${NODE_DIR[$W]}
    SERVER_LOG=$T/$W.log
}
# store_sum NODE: a checksum of every table of NODE's store, in the clear,
# sorted: two nodes that applied the same log give the same sum.
store_sum() { "$VN_STORETOOL" dump "$STORE_KEY" "${NODE_DIR[$1]}" -a | md5sum | cut -d' ' -f1; }

# table_count NODE TABLE: the records of TABLE in NODE's store (mdb_dump's
# text: a key line and a value line each).
table_count() {
    local n
    n=$("$VN_STORETOOL" dump "$STORE_KEY" "${NODE_DIR[$1]}" -s "$2" | grep -c '^ ' || true)
    echo $((n / 2))
}
invites_count() { table_count "$1" invites; }

cluster_cleanup() {
    local n
    for n in "${!NODE_PID[@]}"; do [ -n "${NODE_PID[$n]}" ] && kill -TERM "${NODE_PID[$n]}" 2>/dev/null; done
    for n in "${!NODE_PID[@]}"; do [ -n "${NODE_PID[$n]}" ] && { wait "${NODE_PID[$n]}" 2>/dev/null || true; }; done
    for n in "${!NATS_PID[@]}"; do [ -n "${NATS_PID[$n]}" ] && kill -TERM "${NATS_PID[$n]}" 2>/dev/null; done
    for n in "${!NATS_PID[@]}"; do [ -n "${NATS_PID[$n]}" ] && { wait "${NATS_PID[$n]}" 2>/dev/null || true; }; done
    return 0
}
# finish_cluster: the nodes end cleanly; no sanitizer report in any log.
finish_cluster() {
    local n
    for n in "${!NODE_PID[@]}"; do [ -n "${NODE_PID[$n]}" ] && node_stop "$n"; done
    for n in "${!NODE_DIR[@]}"; do
        if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/$n.log" 2>/dev/null; then
            fail "sanitizer report in the log of node $n"
            grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/$n.log" | sed -n 1,60p || true
        fi
    done
    cluster_cleanup
    SERVER_LOG=$T/none.log
    finish
}
# On failure, the tail of every node's log; then lib.sh's cleanup, which
# must see the exit status of the test, not of the cleanup here.
cluster_exit() {
    local rc=$1 n
    if [ "$rc" -ne 0 ] || [ "$FAILS" -ne 0 ]; then
        for n in "${!NODE_DIR[@]}"; do echo "--- node $n (tail)"; tail -n 15 "$T/$n.log" 2>/dev/null; done
        for n in 1 2 3; do echo "--- NATS server $n (errors)"; grep -E '\[(ERR|WRN|FTL)\]' "$T/nats$n.log" 2>/dev/null | tail -n 5; done
    fi
    cluster_cleanup
}
trap 'vn_rc=$?; trap - ERR; set +e; cluster_exit $vn_rc; (exit $vn_rc); cleanup' EXIT
