#!/usr/bin/env bash
# Cluster mode: the log is trimmed behind the oldest registered backup, on
# its own. `vangnetd backup` of a node registers the backup's log position
# (a key-value bucket in NATS, entries kept --snapshot-keep); the writer
# trims the log every --log-trim-every (1 s here) to just after the oldest
# registered position, never past a node that reports, and not at all while
# no backup is registered. A node restored from that backup catches up from
# the log that remains; a backup made again in the same place replaces its
# registration, and the trim follows it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clusterlib.sh"
NODE_OPTS="--log-trim-every 1s"

status_field() { cluster_status | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }

step "three NATS servers, three nodes, traffic; no backup registered, nothing trimmed"
cluster_team_up
for i in 1 2 3; do vn p send "$CM" "before-$i"; done
pause_for_sweeps 3
expect_eq "the log still starts at entry 1" 1 "$(status_field first_seq)"
expect_match "status: no trim" "trim: +none \(no backup registered" \
    "$("$VANGNETD" cluster status --cluster "$NATS_URLS")"

step "a backup of follower b registers its log position"
F=$(for n in a b c; do if [ "$n" != "$W" ]; then echo "$n"; fi; done | head -n 1)
OUT=$("$VANGNETD" backup --state "${NODE_DIR[$F]}" --store-key "$STORE_KEY" "$T/bk" 2>&1)
P=$(sed -n 's/.*registered in the cluster at log entry \([0-9]*\);.*/\1/p' <<< "$OUT")
echo "   the backup holds the log up to entry $P"
check "registered at a position past the start" test "${P:-0}" -gt 1
expect_match "status lists it" "\"snapshots\": \[\{\"seq\": $P, " "$(cluster_status)"

step "more traffic; the writer trims the log to the backup's position by itself"
for i in 1 2 3; do vn p send "$CM" "after-backup-$i"; done
trimmed_to() { [ "$(status_field first_seq)" = "$1" ]; }
wait_for "the log to start at entry $((P + 1))" 20 trimmed_to $((P + 1))
expect_match "the writer logs it" "log trimmed: entries before $((P + 1)) removed" "$(cat "$T/$W.log")"
expect_match "status: the trim point" "\"trim_point\": $((P + 1))" "$(cluster_status)"
LAST=$(status_field last_seq)
check "entries after the backup remain" test "$LAST" -gt $((P + 1))

step "node d, restored from that backup, catches up from the trimmed log"
NODE_DIR[d]=$T/node_d
mkdir -m 700 "${NODE_DIR[d]}"
cp -p "${NODE_DIR[$F]}/server.key" "${NODE_DIR[$F]}/server.pub" "${NODE_DIR[d]}/"
"$VANGNETD" restore --state "${NODE_DIR[d]}" --store-key "$STORE_KEY" "$T/bk" >/dev/null
node_start d
FROM=$(sed -n 's/.*cluster: node d joined (log applied up to \([0-9]*\).*/\1/p' "$T/d.log")
# The line comes after its first round of applying: from P on.
check "d starts from the backup's position ($P), not the log's start" test "$FROM" -ge "$P"
vn p send "$CM" "after-d-joined"
wait_for "four nodes caught up" 30 all_caught_up 4
expect_eq "d holds what the writer holds" "$(store_sum "$W")" "$(store_sum d)"
wait_inbox cm '"text": "after-d-joined"' --json
expect_match "the casemanager got the last message" '"text": "after-d-joined"' "$INBOX"

step "a backup made again in the same place replaces the registration; the trim follows"
rm -rf "$T/bk"
OUT=$("$VANGNETD" backup --state "${NODE_DIR[$F]}" --store-key "$STORE_KEY" "$T/bk" 2>&1)
Q=$(sed -n 's/.*registered in the cluster at log entry \([0-9]*\);.*/\1/p' <<< "$OUT")
check "the new backup is further on" test "${Q:-0}" -gt "$P"
expect_eq "one backup registered" 1 "$(cluster_status | grep -o '"seq": ' | wc -l)"
vn p send "$CM" "after-second-backup"
wait_for "the log to start at entry $((Q + 1))" 20 trimmed_to $((Q + 1))
finish_cluster
