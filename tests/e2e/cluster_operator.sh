#!/usr/bin/env bash
# Cluster mode: the operator's writes go through the log. `vangnetd invite`
# and `vangnetd intake-code` on any node's state directory (the running node
# names its cluster there; --cluster or `cluster =` in --config also do)
# make their write on that store without committing it, hand the write-set
# to the writer, which appends it to the log, and print the code only once
# the log holds it. An invite made through a follower is on every node, and
# is redeemed after the writer is killed -9; with no writer the command says
# so and prints nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"

step "three NATS servers, three nodes"
cluster_team_up
OLD=$W
F=$(for n in a b c; do if [ "$n" != "$W" ]; then echo "$n"; fi; done | head -n 1)
G=$(for n in a b c; do if [ "$n" != "$W" ] && [ "$n" != "$F" ]; then echo "$n"; fi; done)
echo "   writer $W, followers $F and $G"
BEFORE=$(invites_count "$F")

step "an invite made on follower $F's state directory reaches every node through the log"
EPS="$(node_endpoint "$F"),$(node_endpoint "$G")"
CODE=$("$VANGNETD" invite --state "${NODE_DIR[$F]}" --store-key "$STORE_KEY" --role casemanager \
    --endpoint "$EPS")
check "a code is printed" test -n "$CODE"
expect_match "the writer appended it" "an operator's write appended to the log" "$(cat "$T/$W.log")"
wait_for "three nodes caught up" 30 all_caught_up 3
for n in a b c; do
    expect_eq "node $n holds the new invite" $((BEFORE + 1)) "$(invites_count "$n")"
done
expect_eq "$F holds what the writer holds" "$(store_sum "$W")" "$(store_sum "$F")"
expect_eq "$G holds what the writer holds" "$(store_sum "$W")" "$(store_sum "$G")"

step "a first-contact code through follower $G, the cluster named in --config"
printf 'cluster = %s\nnode = %s\n' "$NATS_URLS" "$G" >"$T/$G.conf"
ICODE=$("$VANGNETD" intake-code --state "${NODE_DIR[$G]}" --store-key "$STORE_KEY" \
    --config "$T/$G.conf" --json)
expect_match "a code is printed" '"code": "' "$ICODE"
wait_for "three nodes caught up" 30 all_caught_up 3
expect_eq "$F holds what the writer holds" "$(store_sum "$W")" "$(store_sum "$F")"

step "the writer is killed -9; the invite is redeemed through the new writer"
node_kill9 "$OLD"
new_writer() { W=$(writer_now); [ -n "$W" ] && [ "$W" != "$OLD" ]; }
wait_for "another node to become the writer" 20 new_writer
echo "   $W is the writer now"
OUT=$(vn cm2 join "$CODE")
check "the invite made through $F is redeemed" test -n "$OUT"
vn cm2 case new >/dev/null
check "the new casemanager works" true

step "a bad --cluster is named; with no writer, nothing is printed"
RC=0
ERR=$("$VANGNETD" invite --state "${NODE_DIR[$F]}" --store-key "$STORE_KEY" --role admin \
    --cluster "http://x" 2>&1 >/dev/null) || RC=$?
expect_eq "a bad --cluster is a usage error (exit 2)" 2 "$RC"
expect_match "naming the option" "--cluster must be" "$ERR"
# The followers stop first, the writer last, and the command runs on the
# writer's store: a node stopped while another still writes (or takes the
# lease and appends its marker) is behind the log, which the command refuses
# for its own reason.
wait_for "two nodes caught up" 30 all_caught_up 2
for n in a b c; do [ "$n" != "$W" ] && [ -n "${NODE_PID[$n]}" ] && node_stop "$n"; done
node_stop "$W"
RC=0
T0=$SECONDS
OUT=$("$VANGNETD" invite --state "${NODE_DIR[$W]}" --store-key "$STORE_KEY" --role admin \
    --cluster "$NATS_URLS" 2>"$T/nowriter.err") || RC=$?
expect_eq "no writer: exit 1" 1 "$RC"
expect_eq "no writer: nothing printed" "" "$OUT"
expect_match "no writer: says why" "no writer in the cluster within" "$(cat "$T/nowriter.err")"
check "no writer: told within 15 s" test $((SECONDS - T0)) -le 15
finish_cluster
