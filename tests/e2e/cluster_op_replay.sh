#!/usr/bin/env bash
# Cluster mode: an operator's write (`vangnetd invite` through the log,
# server/cluster_op.c) captured on the NATS network and sent again is
# refused by the writer, and by the next writer after a kill -9 (its store
# holds the request's nonce, applied from the log, where the old writer's
# memory is gone): the invite, once redeemed, stays redeemed. A request
# re-signed under another store key, one made outside the 2-minute window
# and a captured write-set under a fresh nonce are refused, each for its
# reason, with a line in the writer's log. vn_opreplay (tests/e2e/opreplay.c)
# records, re-signs and sends requests as someone on the NATS network could
# (re-signing needs the store key: it stands for a bug or a stale command).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"
VN_OPREPLAY=${VN_OPREPLAY:-$(dirname "$VN_PROBE")/vn_opreplay}

step "three NATS servers, three nodes"
cluster_team_up
F=$(for n in a b c; do if [ "$n" != "$W" ]; then echo "$n"; fi; done | head -n 1)
echo "   writer $W, follower $F"
OLD=$W

step "an invite made through follower $F is captured on the NATS network"
"$VN_OPREPLAY" record "$NATS_URLS" "$T/req" 1 >"$T/rec.out" 2>&1 &
REC=$!
wait_for "the recorder to listen" 10 grep -q '^ready' "$T/rec.out"
EPS="$(node_endpoint "$F"),$(node_endpoint "$W")"
CODE=$("$VANGNETD" invite --state "${NODE_DIR[$F]}" --store-key "$STORE_KEY" --role casemanager \
    --endpoint "$EPS")
check "a code is printed" test -n "$CODE"
RC=0
wait "$REC" || RC=$?
expect_eq "the request was recorded" 0 "$RC"
check "its bytes are saved" test -s "$T/req.1"
wait_for "three nodes caught up" 30 all_caught_up 3
INVITES=$(invites_count "$W")
check "every node holds the operator's nonce" test "$(table_count "$F" opnonces)" -ge 1

step "the invite is redeemed"
OUT=$(vn cm2 join "$CODE")
check "redeemed" test -n "$OUT"
wait_for "three nodes caught up" 30 all_caught_up 3
RC=0
ERR=$(vn cm3 join "$CODE" 2>&1) || RC=$?
check "a second redeem is refused" test "$RC" -ne 0
expect_match "as already redeemed" "already redeemed" "$ERR"

# refused NAME FILE REGEX LOGREGEX [NODE]: FILE sent to the writer is refused
# with an answer matching REGEX and a line matching LOGREGEX in the log of
# the writer (NODE, default $W).
refused() {
    local out
    out=$("$VN_OPREPLAY" send "$NATS_URLS" "$2") || true
    expect_match "$1: refused" "^answer: refused: $3" "$out"
    expect_match "$1: the writer's log says why" "$4" "$(cat "$T/${5:-$W}.log")"
}
# still_redeemed: the code cannot be redeemed again, no invite was added.
still_redeemed() {
    local rc=0 err
    wait_for "three nodes caught up" 30 all_caught_up "$1"
    err=$(vn "cm$2" join "$CODE" 2>&1) || rc=$?
    check "$3: the invite stays redeemed" test "$rc" -ne 0
    expect_match "$3: as already redeemed" "already redeemed" "$err"
    expect_eq "$3: no invite added on the writer" "$INVITES" "$(invites_count "$W")"
}

step "the captured request sent again to the same writer $W"
refused "replay" "$T/req.1" "already seen: a replay" \
    "operator's write replayed refused \(its nonce was seen by this writer\)"
still_redeemed 3 4 "replay"

step "the same write-set signed under another store key"
od -An -tx1 -v -N32 /dev/urandom | tr -d ' \n' >"$T/other.key"
echo >>"$T/other.key"
"$VN_OPREPLAY" resign "$T/other.key" "$T/req.1" "$T/other_mac" 0
refused "another key" "$T/other_mac" "not signed with this cluster's store key" \
    "operator's write without this cluster's MAC refused"

step "signed with the store key, but 3 minutes old, or 3 minutes ahead"
"$VN_OPREPLAY" resign "$STORE_KEY" "$T/req.1" "$T/old" -180000
refused "3 minutes old" "$T/old" "too old or too new" \
    "operator's write made -1[78][0-9] s from this node's time refused"
"$VN_OPREPLAY" resign "$STORE_KEY" "$T/req.1" "$T/ahead" 180000
refused "3 minutes ahead" "$T/ahead" "too old or too new" \
    "operator's write made 1[78][0-9] s from this node's time refused"

step "the captured write-set under a fresh nonce, signed with the store key, now"
# It records the first request's nonce, not its own: refused after it is
# applied, before the append (nothing reaches the log or the store).
"$VN_OPREPLAY" resign "$STORE_KEY" "$T/req.1" "$T/renonced" 0
refused "a fresh nonce" "$T/renonced" "the write-set does not record its request's nonce" \
    "operator's write refused: the write-set does not record"
still_redeemed 3 5 "a fresh nonce"

step "the writer is killed -9; the request sent again to the new writer"
node_kill9 "$OLD"
new_writer() { W=$(writer_now); [ -n "$W" ] && [ "$W" != "$OLD" ]; }
wait_for "another node to become the writer" 20 new_writer
use_writer
echo "   $W is the writer now"
refused "replay to the new writer" "$T/req.1" "already seen: a replay" \
    "operator's write replayed refused \(its nonce is in the store: applied from the log\)"
still_redeemed 2 6 "replay to the new writer"
finish_cluster
