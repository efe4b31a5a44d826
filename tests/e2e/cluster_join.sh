#!/usr/bin/env bash
# Cluster mode: a fourth node joins from a hot backup. `vangnetd backup`
# copies a running node's store, with its position in the log
# (cluster_log_seq in meta); `vangnetd restore` puts it in the new node's
# state directory, beside the server key pair copied from a node (nodes
# share the server key and the store key). Started, the new node applies
# the log from that position on and ends with the same contents.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"

step "three NATS servers, three nodes, some traffic"
cluster_team_up
for i in 1 2 3; do vn p send "$CM" "before-$i"; done

step "a hot backup of a follower while traffic goes on"
"$VANGNETD" backup --state "${NODE_DIR[b]}" --store-key "$STORE_KEY" "$T/bk" >/dev/null
for i in 1 2 3; do vn p send "$CM" "after-backup-$i"; done

step "node d: restored from the backup, with the server key pair"
NODE_DIR[d]=$T/node_d
mkdir -m 700 "${NODE_DIR[d]}"
cp -p "${NODE_DIR[b]}/server.key" "${NODE_DIR[b]}/server.pub" "${NODE_DIR[d]}/"
"$VANGNETD" restore --state "${NODE_DIR[d]}" --store-key "$STORE_KEY" "$T/bk" >/dev/null
node_start d
FROM=$(sed -n 's/.*cluster: node d joined (log applied up to \([0-9]*\).*/\1/p' "$T/d.log")
echo "   node d starts from log entry $FROM"
check "from the backup's position, not from the start" test "$FROM" -gt 1
vn p send "$CM" "after-d-joined"
wait_for "four nodes caught up" 30 all_caught_up 4
expect_eq "d holds what the writer holds" "$(store_sum "$W")" "$(store_sum d)"
wait_inbox cm '"text": "after-d-joined"' --json
for t in before-1 after-backup-3 after-d-joined; do
    expect_match "the casemanager got $t" "\"text\": \"$t\"" "$INBOX"
done

step "the log is trimmed behind every node; a node from an older backup is told"
LAST=$(cluster_status | sed -n 's/.*"last_seq": \([0-9]*\).*/\1/p')
RC=0
OUT=$("$VANGNETD" cluster trim $((LAST + 1)) --cluster "$NATS_URLS" 2>&1) || RC=$?
expect_eq "trimming what not every node holds is refused (exit 1)" 1 "$RC"
expect_match "and says why" "refused: entries before $((LAST + 1)) are not yet applied by every node" "$OUT"
# The nodes report their position every so often, and the log may grow
# meanwhile (the casemanager's fetch above wrote): try until all have.
trim_last() {
    LAST=$(cluster_status | sed -n 's/.*"last_seq": \([0-9]*\).*/\1/p')
    OUT=$("$VANGNETD" cluster trim "$LAST" --cluster "$NATS_URLS" 2>&1)
}
wait_for "every node to report the end of the log, and the trim" 30 trim_last
expect_eq "trimmed up to the last entry" "log trimmed: entries $LAST..$LAST remain" "$OUT"
NODE_DIR[e]=$T/node_e
mkdir -m 700 "${NODE_DIR[e]}"
cp -p "${NODE_DIR[b]}/server.key" "${NODE_DIR[b]}/server.pub" "${NODE_DIR[e]}/"
"$VANGNETD" restore --state "${NODE_DIR[e]}" --store-key "$STORE_KEY" "$T/bk" >/dev/null
node_start e
wait_for "node e to say its backup is too old" 20 grep -q "restore this node from a newer backup" "$T/e.log"
expect_eq "and it does not take the lease" "$W" "$(writer_now)"
vn p send "$CM" "after-trim"
wait_inbox cm '"text": "after-trim"' --json
finish_cluster
