#!/usr/bin/env bash
# Cluster mode: a writer that is stopped (SIGSTOP) past its lease is
# deposed; another node takes the lease and appends its marker. When the
# old writer resumes with a request waiting, it cannot append (the log no
# longer ends where its store does, or its renew is refused first): the
# request fails with "try again later" and nothing of it is stored. The
# old writer then catches up as a follower; a writer killed -9 and started
# again does the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"

step "three NATS servers, three nodes; a casemanager and a participant"
cluster_team_up
OLD=$W
vn p send "$CM" "before the pause"
wait_inbox cm "before the pause"

step "the writer is paused past its lease; another node takes over"
kill -STOP "${NODE_PID[$OLD]}"
new_writer() { W=$(writer_now); [ -n "$W" ] && [ "$W" != "$OLD" ]; }
wait_for "another node to become the writer" 20 new_writer
NEW=$W
echo "   $OLD paused; $NEW is the writer"

step "the paused writer resumes with a request waiting: it cannot append"
RC=0
vn p --timeout 8 send "$CM" "sent to the deposed writer" >"$T/fenced.out" 2>&1 &
SEND=$!
sleep 1 # the request waits in the paused node's socket
kill -CONT "${NODE_PID[$OLD]}"
wait "$SEND" || RC=$?
OUT=$(cat "$T/fenced.out")
echo "   the client was told: $OUT"
# Deposed first by its refused renew, the old writer is a follower when it
# handles the request, and hands it to the new writer (cluster_edge.c): it
# is served there. Refused by the log first, it fails with words.
if [ "$RC" -eq 0 ]; then
    FORWARDED=1
    pass "the request waiting in the old writer was handed to the new writer and served"
else
    FORWARDED=0
    expect_match "the send failed, with a reason to try again" "not stored, try again later|this node is a follower; the writer is $NEW|this server node cannot serve it now|no writer of the cluster answered" "$OUT"
fi
wait_for "the old writer to know it is deposed" 20 grep -Eq "node $OLD (steps down|is no longer the writer)" "$T/$OLD.log"
grep -E "node $OLD (steps down|is no longer the writer)" "$T/$OLD.log" | sed 's/^/   /'
# Which came first after SIGCONT is the threads' race: the loop's append
# (refused: the log ended at the new writer's marker) or the lease thread's
# renew (refused: the lease is the new writer's). Either way nothing lands.
if grep -q "appending to the log after" "$T/$OLD.log"; then
    echo "   (fenced by the log: its append after its last entry was refused)"
else
    echo "   (deposed by its refused renew before it handled the request)"
fi
expect_eq "the old writer holds no lease" "$NEW" "$(writer_now)"

step "the old writer catches up as a follower"
vn p server set-endpoint "$(node_endpoint "$NEW")" >/dev/null
vn cm server set-endpoint "$(node_endpoint "$NEW")" >/dev/null
vn p send "$CM" "at the new writer"
wait_inbox cm "at the new writer" --json
# Refused before it was encrypted, the client drops it ("nothing was
# sent"); refused after, it keeps it in its outbox and sends it again with
# its next send, now to the new writer. Either way: at most once.
N=$( (grep -o '"text": "sent to the deposed writer"' <<< "$INBOX" || true) | wc -l)
check "the message waiting in the old writer arrives at most once" test "$N" -le 1
[ "$FORWARDED" -eq 0 ] || expect_eq "served by the new writer, it arrived" 1 "$N"
wait_for "three nodes caught up" 20 all_caught_up 3
expect_eq "the old writer holds what the new one holds" "$(store_sum "$NEW")" "$(store_sum "$OLD")"

step "the new writer is killed -9 and started again: it catches up too"
node_kill9 "$NEW"
THIRD=
other_writer() { W=$(writer_now); [ -n "$W" ] && [ "$W" != "$NEW" ]; }
wait_for "a third writer" 20 other_writer
THIRD=$W
echo "   $NEW killed; $THIRD is the writer"
vn p server set-endpoint "$(node_endpoint "$THIRD")" >/dev/null
vn cm server set-endpoint "$(node_endpoint "$THIRD")" >/dev/null
vn p send "$CM" "while $NEW was down"
node_start "$NEW"
vn p send "$CM" "after $NEW came back"
wait_inbox cm "after $NEW came back" --json
expect_match "both messages arrived" "while $NEW was down" "$INBOX"
wait_for "three nodes caught up" 20 all_caught_up 3
expect_eq "the restarted node holds what the writer holds" "$(store_sum "$THIRD")" "$(store_sum "$NEW")"
expect_eq "and so does the third" "$(store_sum "$THIRD")" "$(store_sum "$OLD")"
finish_cluster
