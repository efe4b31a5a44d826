#!/usr/bin/env bash
# Cluster mode (docs/CLUSTER.md): three nats-server processes as one
# JetStream cluster and three vangnetd nodes on loopback. Real clients talk
# to the writer: messages, a team message, an SOS and its claim; then
# through the followers, which hand requests to the writer over NATS, and
# a push from the writer reaches a client connected to a follower. Every
# node's store ends
# with the same contents (a checksum over every table, in the clear), and
# the NATS servers' disks hold no case id, account id or text in clear.
# First: bad cluster options are refused, naming what is wrong.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"

step "cluster options are checked before anything starts"
server_init
bad_run() { local rc=0 out; out=$("$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen 'tcp://127.0.0.1:*' "$@" 2>&1) || rc=$?; echo "$rc $out"; }
expect_match "--node alone is refused" '^2 .*--node names a node of a cluster: give --cluster URLS too' "$(bad_run --node a)"
expect_match "--cluster without --node is refused" '^2 .*--node must name this node' "$(bad_run --cluster nats://127.0.0.1:4222)"
expect_match "a node name with a space is refused" "^2 .*--node must be 1..64 letters, digits, - or _, not a b" "$(bad_run --cluster nats://127.0.0.1:4222 --node 'a b')"
expect_match "a node name with a ! is refused" "^2 .*--node must name this node.*not 'a!b'" "$(bad_run --cluster nats://127.0.0.1:4222 --node 'a!b')"
expect_match "a URL that is not nats:// is refused" "^2 .*--cluster must be up to 16 NATS servers as nats://HOST:PORT.*not 'http://x:1'" "$(bad_run --cluster nats://127.0.0.1:4222,http://x:1 --node a)"
expect_match "--lease-ms out of bounds is refused" '^2 .*--lease-ms must be 500..60000' "$(bad_run --cluster nats://127.0.0.1:4222 --node a --lease-ms 100)"
expect_match "--log-trim-every below a second is refused" '^2 .*--log-trim-every must be a duration from 1s to 1d, not 100ms' "$(bad_run --cluster nats://127.0.0.1:4222 --node a --log-trim-every 100ms)"
expect_match "--snapshot-keep that is no duration is refused" '^2 .*--snapshot-keep must be a duration from 1d to 3653d, not soon' "$(bad_run --cluster nats://127.0.0.1:4222 --node a --snapshot-keep soon)"
RC=0; OUT=$("$VANGNETD" backup --state "$STATE" --store-key "$STORE_KEY" --snapshot-keep 2h "$T/bad-keep" 2>&1) || RC=$?
expect_match "backup names a bad --snapshot-keep (no cluster)" "^2 vangnetd: --snapshot-keep must be a duration from 1d to 3653d, not 2h" "$RC $OUT"
check "and makes no backup" test ! -e "$T/bad-keep"
RC=0; OUT=$("$VANGNETD" cluster status 2>&1) || RC=$?
expect_match "cluster status needs --cluster" "^2 vangnetd: cluster status needs --cluster URLS" "$RC $OUT"
RC=0; OUT=$("$VANGNETD" cluster status --cluster nats://127.0.0.1:1 2>&1) || RC=$?
expect_match "no NATS there: said so (exit 1)" "^1 vangnetd: cannot connect to the NATS servers nats://127.0.0.1:1" "$RC $OUT"
OUT=$(bad_run --cluster nats://127.0.0.1:1 --node a)
expect_eq "vangnetd run with no NATS there stops (exit 1)" 1 "${OUT%% *}"
expect_match "saying so" "cluster mode: cannot connect to the NATS servers nats://127.0.0.1:1" "$OUT"
rm -rf "$STATE" "$STORE_KEY"

step "three NATS servers, three nodes"
nats_cluster_start
cluster_init a b c
node_start a
node_start b
node_start c
use_writer
expect_eq "the first node to start is the writer" a "$W"
wait_for "three nodes caught up" 20 all_caught_up 3
STATUS=$(cluster_status)
echo "   $STATUS"
expect_match "status names the writer and three nodes" '"writer": "a".*"node": "a", "role": "writer".*"node": "b", "role": "follower".*"node": "c", "role": "follower"' "$STATUS"
TEXT=$("$VANGNETD" cluster status --cluster "$NATS_URLS")
expect_match "status in words" 'writer: +a' "$TEXT"

step "a care team on the writer: messages, a team message, an SOS"
CM=$(join cm casemanager)
new_case cm
P=$(join p participant)
B1=$(join b1 buddy)
vn cm send "$P" "hello participant"
vn p send "$CM" "hello casemanager"
vn b1 send --case "$CASE" "team hello from b1"
wait_inbox p "team hello from b1"
expect_match "the participant got the direct message too" "hello participant" "$INBOX"
wait_inbox cm "hello casemanager"
SOS=$(vn p --json sos "call me please" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "the SOS was raised" test -n "$SOS"
wait_inbox b1 'SOS'
vn b1 claim "$SOS" >/dev/null
wait_inbox p "claimed"

step "every node serves clients: followers hand requests to the writer, pushes cross nodes"
vn p server set-endpoint --no-check "$(node_endpoint b)" >/dev/null
vn b1 server set-endpoint --no-check "$(node_endpoint c)" >/dev/null
"$VANGNET" --profile "$T/b1" inbox --follow >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW=$!
sleep 1 # its first fetch and subscription
vn p send "$CM" "via node b"
wait_inbox cm "via node b"
pass "a message sent through follower b reached the casemanager on the writer"
# --follow fetches every 5 s anyway: a push is what brings each of these
# sooner (in two tries, not both by a fetch that happened to come).
for k in 1 2; do
    vn cm send "$B1" "pushed to node c $k"
    wait_for "the push to reach b1's session on node c" 4 grep -q "pushed to node c $k" "$T/follow.out"
done
pass "pushes from the writer reached the client connected to follower c"
WATCHING=$(push_watches)
check "node c watches b1's push subject while the session lives ($WATCHING)" test "$WATCHING" -ge 1
vn b1 send --case "$CASE" "team via node c"
wait_inbox p "team via node c"
pass "a team message through follower c reached the participant on follower b"
SOS2=$(vn p --json sos "again, via b" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "an SOS through follower b is raised" test -n "$SOS2"
wait_for "the SOS to reach b1's session on node c" 20 grep -q "again, via b" "$T/follow.out"
kill "$FOLLOW" 2>/dev/null || true
wait "$FOLLOW" 2>/dev/null || true
# Its connection gone, the follower stops watching (every other client
# here ran one command and left).
no_watches() { [ "$(push_watches)" -eq 0 ]; }
wait_for "the followers to stop watching push subjects" 10 no_watches
pass "no push subject watched once the sessions are gone"
OUT=$(vn b1 claim "$SOS2" 2>&1)
expect_match "b1 claims it through node c" "claimed" "$OUT"
vn p server set-endpoint "$(node_endpoint a)" >/dev/null
vn b1 server set-endpoint "$(node_endpoint a)" >/dev/null

step "every node's store converges to the same contents"
wait_for "three nodes caught up" 20 all_caught_up 3
SA=$(store_sum a)
SB=$(store_sum b)
SC=$(store_sum c)
echo "   store sums: a $SA, b $SB, c $SC"
expect_eq "b holds what a holds" "$SA" "$SB"
expect_eq "c holds what a holds" "$SA" "$SC"
LAST=$(cluster_status | sed -n 's/.*"last_seq": \([0-9]*\).*/\1/p')
check "the log holds the writes (more than 10 entries)" test "$LAST" -gt 10

step "the NATS servers' disks name no case, account or text"
leaks=
# Every NATS file as one line of hex: an id's bytes show as its hex there.
NATS_HEX=$(find "$T"/nats? -type f -exec xxd -p {} \; | tr -d '\n')
for pat in "$CASE" "$P" "$CM" "$B1"; do
    grep -rqF -- "$pat" "$T"/nats? && leaks+=" $pat(text)"
    hex=$(printf '%s' "$pat" | tr 'A-F' 'a-f')
    [[ "$hex" =~ ^[0-9a-f]{16,}$ ]] && grep -qF -- "$hex" <<< "$NATS_HEX" && leaks+=" $pat(bytes)"
done
for w in "hello participant" "team hello" "call me please"; do grep -rqF -- "$w" "$T"/nats? && leaks+=" '$w'"; done
expect_eq "no id or text in clear on the NATS servers' disks" "" "$leaks"
finish_cluster
