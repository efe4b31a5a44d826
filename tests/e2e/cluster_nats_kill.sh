#!/usr/bin/env bash
# Cluster mode: kill -9 of one of the three NATS servers, the one leading
# the log's Raft group, while a client sends. The log is replicated on all three (R3): a quorum of two goes on.
# The nodes' connections move to the other servers; a node whose append
# failed meanwhile steps down and a node that has applied the whole log
# takes the lease again. The client follows the writer (by
# `vangnetd cluster status`). Nothing acknowledged is lost, nothing is
# delivered twice, and sends succeed after the kill.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"

step "three NATS servers, three nodes; a casemanager and a participant"
cluster_team_up
vn p send "$CM" "warm-up"

# The NATS server that leads the log's Raft group: the worst one to lose
# (the group elects a new leader; an append meanwhile times out).
LEADER=$(cluster_status | sed -n 's/.*"log_leader": "n\([123]\)".*/\1/p')
check "status names the NATS server leading the log" test -n "$LEADER"
step "the participant sends while NATS server $LEADER, the log's leader, is killed -9"
(
    set +e # a failed send or status is what this loop is about
    i=0
    while [ ! -e "$T/stop" ]; do
        i=$((i + 1))
        if vn p --timeout 2 send "$CM" "msg-$i" >/dev/null 2>>"$T/send.err"; then
            echo "$i" >>"$T/acked"
            [ -e "$T/killed" ] && echo "$i" >>"$T/acked_after"
        else
            echo "$i" >>"$T/failed"
            # Follow the writer, wherever it now is.
            w=$(writer_now) || w=
            [ -n "$w" ] && vn p server set-endpoint --no-check "$(node_endpoint "$w")" >/dev/null 2>&1
        fi
    done
) &
SENDER=$!
acked_n() { [ "$(cat "$T/$1" 2>/dev/null | wc -l)" -ge "$2" ]; }
wait_for "five acknowledged sends" 30 acked_n acked 5
nats_kill9 "$LEADER"
touch "$T/killed"
wait_for "ten sends acknowledged after the kill" 40 acked_n acked_after 10
touch "$T/stop"
wait "$SENDER" || true
echo "   acknowledged: $(wc -l <"$T/acked") ($(wc -l <"$T/acked_after") after the kill), failed: $(cat "$T/failed" 2>/dev/null | wc -l)"
grep -h "steps down\|is the writer\|no longer" "$T"/[abc].log | sed 's/^/   /' || true

step "every acknowledged message arrives once"
use_writer
vn cm server set-endpoint --no-check "$(node_endpoint "$W")" >/dev/null
vn p server set-endpoint --no-check "$(node_endpoint "$W")" >/dev/null
vn p send "$CM" "the-end"
wait_inbox cm '"text": "the-end"' --json
ALL=$INBOX
times() { { grep -o -- "\"text\": \"$1\"" <<< "$ALL" || true; } | wc -l; }
bad=
for i in $(cat "$T/acked"); do n=$(times "msg-$i"); [ "$n" -eq 1 ] || bad+=" msg-$i($n)"; done
expect_eq "every acknowledged message delivered exactly once" "" "$bad"
twice=
for i in $(cat "$T/failed" 2>/dev/null); do n=$(times "msg-$i"); [ "$n" -le 1 ] || twice+=" msg-$i($n)"; done
expect_eq "no message delivered twice" "" "$twice"
wait_for "three nodes caught up" 30 all_caught_up 3
SW=$(store_sum "$W")
for n in a b c; do expect_eq "node $n holds what the writer holds" "$SW" "$(store_sum "$n")"; done
finish_cluster
