#!/usr/bin/env bash
# Cluster mode: operators' writes across a restart of every node.
#  - An invite's request captured on the NATS network and sent again after
#    all nodes restarted (no writer remembers it) is refused: the nonce is
#    in the stores, applied from the log.
#  - Two `vangnetd intake-code` runs made against the same store (as two
#    runs at once on two nodes would be) each delete the code they saw and
#    add their own; the writer takes the first and refuses the second,
#    which would leave two valid codes. They are made while no node runs,
#    the requests captured (vn_opreplay, tests/e2e/opreplay.c), and sent
#    once the nodes are back.
#  - The writer drops nonces older than twice the replay window (a record
#    10 minutes old is put into the stopped stores) through the log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"
VN_OPREPLAY=${VN_OPREPLAY:-$(dirname "$VN_PROBE")/vn_opreplay}

step "three NATS servers, two nodes"
nats_cluster_start
cluster_init a b
node_start a
node_start b
use_writer
intake() {
    "$VANGNETD" intake-code --state "${NODE_DIR[$1]}" --store-key "$STORE_KEY" --endpoint tcp://127.0.0.1:1 "${@:2}"
}
OUT=$(intake "$W")
check "a first-contact code is made" test -n "$OUT"
expect_eq "one first-contact code" 1 "$(table_count "$W" intakecodes)"

step "an invite is made and its request captured"
"$VN_OPREPLAY" record "$NATS_URLS" "$T/inv" 1 >"$T/rec1.out" 2>&1 &
REC=$!
wait_for "the recorder to listen" 10 grep -q '^ready' "$T/rec1.out"
CODE=$("$VANGNETD" invite --state "${NODE_DIR[$W]}" --store-key "$STORE_KEY" --role admin \
    --endpoint tcp://127.0.0.1:1)
check "a code is printed" test -n "$CODE"
RC=0
wait "$REC" || RC=$?
expect_eq "the request was recorded" 0 "$RC"
wait_for "two nodes caught up" 30 all_caught_up 2
INVITES=$(invites_count "$W")

step "every node stops (the writer last: its store is at the log's end)"
LAST=$W
for n in a b; do [ "$n" != "$LAST" ] && node_stop "$n"; done
node_stop "$LAST"

step "two intake-code runs against the same store, while no node runs"
"$VN_OPREPLAY" record "$NATS_URLS" "$T/ic" 2 >"$T/rec2.out" 2>&1 &
REC=$!
wait_for "the recorder to listen" 10 grep -q '^ready' "$T/rec2.out"
RC1=0
RC2=0
intake "$LAST" >"$T/ic1.out" 2>"$T/ic1.err" &
P1=$!
intake "$LAST" >"$T/ic2.out" 2>"$T/ic2.err" &
P2=$!
wait "$P1" || RC1=$?
wait "$P2" || RC2=$?
expect_eq "no writer confirmed the first: exit 1" 1 "$RC1"
expect_eq "nor the second" 1 "$RC2"
expect_eq "nothing printed" "" "$(cat "$T/ic1.out" "$T/ic2.out")"
expect_match "it says so" "did not confirm" "$(cat "$T/ic1.err")"
RC=0
wait "$REC" || RC=$?
expect_eq "both requests were recorded" 0 "$RC"

step "a nonce 10 minutes old is put into both stores, as an old request would have left it"
OLD_NONCE=00112233445566778899aabbccddeeff
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n %s\n %016x\nDATA=END\n' \
    "$OLD_NONCE" $(($(date +%s) * 1000 - 600000)) >"$T/oldnonce.dump"
for n in a b; do "$VN_STORETOOL" load "$STORE_KEY" "${NODE_DIR[$n]}" opnonces <"$T/oldnonce.dump"; done
check "it is there" grep -q "$OLD_NONCE" <<< "$("$VN_STORETOOL" dump "$STORE_KEY" "${NODE_DIR[a]}" -s opnonces)"

step "every node starts again"
node_start a
node_start b
use_writer
echo "   $W is the writer"

step "the invite's request sent again after the restart"
OUT=$("$VN_OPREPLAY" send "$NATS_URLS" "$T/inv.1") || true
expect_match "refused" "^answer: refused: already seen: a replay" "$OUT"
expect_match "the writer's log: from its store" \
    "operator's write replayed refused \(its nonce is in the store: applied from the log\)" \
    "$(cat "$T/$W.log")"
expect_eq "no invite added" "$INVITES" "$(invites_count "$W")"

step "the two first-contact codes' requests reach the writer"
OUT=$("$VN_OPREPLAY" send "$NATS_URLS" "$T/ic.1") || true
expect_match "the first is appended" "^answer: appended at [0-9]+" "$OUT"
OUT=$("$VN_OPREPLAY" send "$NATS_URLS" "$T/ic.2") || true
expect_match "the second is refused" \
    "^answer: refused: another first-contact code was made meanwhile" "$OUT"
expect_match "the writer's log says why" \
    "operator's write refused: another first-contact code was made meanwhile" "$(cat "$T/$W.log")"
wait_for "two nodes caught up" 30 all_caught_up 2
for n in a b; do
    expect_eq "node $n holds one first-contact code" 1 "$(table_count "$n" intakecodes)"
done
expect_eq "both nodes hold the same store" "$(store_sum a)" "$(store_sum b)"

step "the writer swept the old nonce, through the log: gone on both nodes, the recent ones kept"
expect_match "the writer's log" "cluster: 1 old operator nonce\(s\) dropped" "$(cat "$T/$W.log")"
for n in a b; do
    NONCES=$("$VN_STORETOOL" dump "$STORE_KEY" "${NODE_DIR[$n]}" -s opnonces)
    check "node $n: the old nonce is gone" test "$(grep -c "$OLD_NONCE" <<< "$NONCES")" -eq 0
    # The first code's, the invite's and the first intake-code request's.
    expect_eq "node $n: the recent nonces are kept" 3 "$(table_count "$n" opnonces)"
done
OUT=$("$VN_OPREPLAY" send "$NATS_URLS" "$T/ic.1") || true
expect_match "the first sent again is a replay" "^answer: refused: already seen: a replay" "$OUT"
finish_cluster
