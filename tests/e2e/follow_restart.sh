#!/usr/bin/env bash
# inbox --follow carries on across a server restart: it subscribes again
# and fetches what it missed, so every message sent before, during and
# after the restart reaches it, each once, as one JSON object a line.
. "$(dirname "$0")/lib.sh"

step "start the server; a casemanager and a participant talk once"
server_init
server_start --verbose $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
vn cm send "$P" "hello"
vn p inbox >/dev/null

step "follow, and get pushes"
vn p --json inbox --follow --count 6 --wait 50 >"$T/follow.json" 2>"$T/follow.err" &
FOLLOW=$!
wait_for "the follower to subscribe" 20 log_has "request subscribe result=OK"
vn cm send "$P" "before-1"
vn cm send "$P" "before-2"
got() { [ "$(grep -c -- "$1" "$T/follow.json" || true)" -ge "$2" ]; }
wait_for "the two pushes" 20 got '"text": "before-' 2

step "restart the server; the follower carries on"
server_stop
# While the server is away the follower keeps trying (and says so).
sleep 1
server_start --verbose $NOLIMITS
for i in 1 2 3 4; do vn cm send "$P" "after-$i"; done
RC=0
wait "$FOLLOW" || RC=$?
expect_eq "the follower got all six and ended (exit 0)" 0 "$RC"
OUT=$(cat "$T/follow.json")
bad=
for t in before-1 before-2 after-1 after-2 after-3 after-4; do
    [ "$(grep -c -- "\"text\": \"$t\"" <<< "$OUT" || true)" -eq 1 ] || bad+=" $t"
done
expect_eq "each message reached the follower exactly once" "" "$bad"
check "one JSON object a line" test -z "$(grep -v '^{"id": ".*}$' <<< "$OUT" || true)"
expect_eq "six lines" 6 "$(wc -l < "$T/follow.json")"
check "no message was dropped as undecryptable" test -z "$(grep 'could not be decrypted' "$T/follow.err" || true)"
expect_eq "nothing is left on the server" "[]" "$(vn p --json inbox)"
finish
