#!/usr/bin/env bash
# vangnetd backup takes a consistent, compacted copy while the server runs
# and messages are being sent, and checks it; vangnetd restore puts it back
# (never over a running server, nor over a store without --force), and the
# restored server still holds every message acknowledged before the backup
# began. vangnetd status reports the server and its store.
. "$(dirname "$0")/lib.sh"

# err CMD...: the command's stderr; the command must fail with exit 1.
err() { local out rc=0; out=$("$@" 2>&1 >/dev/null) || rc=$?; [ "$rc" -eq 1 ] || out="(exit $rc) $out"; tr '\n' ' ' <<< "$out"; }
srv() { "$VANGNETD" "$1" --state "$STATE" --store-key "$STORE_KEY" "${@:2}"; }
acked() { [ -f "$T/acked" ] && wc -l < "$T/acked" || echo 0; }
acked_at_least() { [ "$(acked)" -ge "$1" ]; }

step "a server, a casemanager and a participant"
server_init
server_start $NOLIMITS
new_case
P=$(join p participant)
STATUS=$(srv status)
expect_match "status: up, at its endpoint" "running: +yes, at $ENDPOINT" "$STATUS"
expect_match "status: the store's format and use" 'store: +format 1, [0-9]+ of 262144 pages used' "$STATUS"
expect_match "status: the software version" 'software: +vangnetd [0-9]+\.[0-9]+' "$STATUS"

step "messages are sent while the backup is taken"
# Each line of $T/acked is a message the server acknowledged (send exit 0).
( i=0; while [ ! -e "$T/stop" ] && [ $i -lt 400 ]; do
      i=$((i + 1)); vn cm send "$P" "load $i" >/dev/null 2>&1 && echo "$i" >> "$T/acked"; done ) &
LOADER=$!
wait_for "ten messages to be acknowledged" 30 acked_at_least 10
A0=$(acked)
OUT=$(srv backup "$T/bk")
A1=$(acked)
wait_for "more messages after the backup" 30 acked_at_least $((A1 + 3))
touch "$T/stop"
wait "$LOADER"
echo "acknowledged before the backup: $A0, when it ended: $A1, in all: $(acked)"
check "messages were acknowledged while the backup ran or after it" test "$(acked)" -gt "$A0"
expect_match "backup reports the checked copy" "^backup $T/bk: format 1, [0-9]+ records \\(2 accounts, [0-9]+ queued envelopes, 1 cases\\)" "$OUT"
Q=$(sed -E 's/.*, ([0-9]+) queued envelopes.*/\1/' <<< "$OUT")
check "the copy holds at least the messages acknowledged before it began ($Q >= $A0)" test "$Q" -ge "$A0"
check "and no more than were ever acknowledged ($Q <= $(acked))" test "$Q" -le "$(acked)"
expect_eq "the backup is one file" "data.mdb" "$(ls "$T/bk")"
expect_eq "closed to others" 600 "$(stat -c %a "$T/bk/data.mdb")"
STATUS=$(srv status --json)
expect_match "status: every acknowledged message is queued" "\"queued\": $(acked)," "$STATUS"
expect_match "status: no open alerts" '"alerts": \{"concern": 0, "urgent": 0, "crisis": 0\}' "$STATUS"
expect_match "a second backup into a used directory is refused" "$T/bk is not empty" "$(err srv backup "$T/bk")"

step "restore refuses a running server and an existing store"
expect_match "not while vangnetd runs" "a vangnetd runs on $STATE .*stop it" "$(err srv restore "$T/bk")"
server_stop
expect_match "status: down" 'running: +no' "$(srv status)"
expect_match "not over a store without --force" "$STATE already holds a store .*--force" "$(err srv restore "$T/bk")"
expect_match "not from a directory without a backup" "$T/nothing/data.mdb does not exist" "$(err srv restore "$T/nothing")"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/wrong.key"; echo >> "$T/wrong.key"; chmod 600 "$T/wrong.key"
expect_match "not under another store key" 'store key does not open' \
    "$(err "$VANGNETD" restore --state "$STATE" --store-key "$T/wrong.key" --force "$T/bk")"

step "restored with --force, the server serves what the backup held"
OUT=$(srv restore --force "$T/bk" 2>"$T/restore.err")
expect_match "restore reports the store it put back" "^restored $STATE: format 1" "$OUT"
expect_match "and where the replaced store is kept" "kept as $STATE/data-before-restore-" "$(cat "$T/restore.err")"
server_start $NOLIMITS
wait_inbox p "load $A0\$"
missing=0
for i in $(seq 1 "$A0"); do grep -Eq -- "load $i\$" <<< "$INBOX" || missing=$((missing + 1)); done
expect_eq "every message acknowledged before the backup began is there" 0 "$missing"
extra=$(grep -Eo 'load [0-9]+$' <<< "$INBOX" | awk '{print $2}' | while read -r n; do grep -qx "$n" "$T/acked" || echo "$n"; done | wc -l)
expect_eq "and nothing that was never acknowledged" 0 "$extra"

step "a restore into a new state directory says what else it needs"
"$VANGNETD" restore --state "$T/state2" --store-key "$STORE_KEY" "$T/bk" >/dev/null 2>"$T/restore2.err"
expect_match "server.key is named" "$T/state2 has no server.key: put back server.key and server.pub" "$(cat "$T/restore2.err")"
finish
