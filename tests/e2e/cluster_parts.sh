#!/usr/bin/env bash
# Cluster mode: a write-set larger than the NATS servers' max_payload (8 KiB
# here) is appended as several consecutive log entries, its parts, which
# each follower gathers and applies in one transaction with the last part's
# position (server/cluster_parts.h). A message of 15 KB reaches its
# recipient and every node's store ends the same; after a kill -9 of the
# writer the new writer splits its own large write-sets as well.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"
NATS_CONF=$T/nats.conf
echo "max_payload: 8192" >"$NATS_CONF"

step "three NATS servers with max_payload 8 KiB, three nodes"
cluster_team_up
vn p send "$CM" "small first"
wait_inbox cm "small first"

step "a 15 KB message: its write-set goes into the log in parts"
BIG=$(head -c 15000 /dev/zero | tr '\0' 'x')
vn p send "$CM" "big-1 $BIG"
wait_inbox cm "big-1 xxxxxxxxxx"
expect_match "the writer split it" "a write-set of [0-9]+ bytes appended as [0-9]+ entries \(max_payload 8192\)" \
    "$(cat "$T/$W.log")"
wait_for "three nodes caught up" 30 all_caught_up 3
for n in a b c; do
    [ "$n" = "$W" ] && continue
    expect_eq "follower $n holds what the writer holds" "$(store_sum "$W")" "$(store_sum "$n")"
    check "follower $n applied no part alone (no error)" \
        bash -c "! grep -Eq 'cannot apply log entry|continues no group' '$T/$n.log'"
done

step "the writer is killed -9; the new writer splits a large write-set too"
OLD=$W
node_kill9 "$OLD"
new_writer() { W=$(writer_now); [ -n "$W" ] && [ "$W" != "$OLD" ]; }
wait_for "another node to become the writer" 20 new_writer
SERVER_LOG=$T/$W.log
vn p server set-endpoint "$(node_endpoint "$W")" >/dev/null
vn cm server set-endpoint "$(node_endpoint "$W")" >/dev/null
vn p send "$CM" "big-2 $BIG"
wait_inbox cm "big-2 xxxxxxxxxx"
expect_match "the new writer split it" "appended as [0-9]+ entries" "$(cat "$T/$W.log")"
wait_for "two nodes caught up" 30 all_caught_up 2
OTHER=$(for n in a b c; do if [ "$n" != "$OLD" ] && [ "$n" != "$W" ]; then echo "$n"; fi; done)
expect_eq "the follower holds what the writer holds" "$(store_sum "$W")" "$(store_sum "$OTHER")"
finish_cluster
