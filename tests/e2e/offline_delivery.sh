#!/usr/bin/env bash
# Alice sends to Bob while Bob is offline; Bob reads it later; after Bob's
# acknowledgement no record of that envelope remains in the server store.
. "$(dirname "$0")/lib.sh"

step "start the server; enrol a casemanager and a participant"
server_init
server_start
ALICE=$(join alice casemanager)
new_case alice
BOB=$(join bob participant)
check "account ids are 32 hex characters" test "${#ALICE}" -eq 32 -a "${#BOB}" -eq 32

step "send while the recipient is offline"
vn alice send "$BOB" "Goedemorgen Bob, hoe gaat het vandaag?"
expect_eq "envelope waits in the mailbox while Bob is offline" 1 "$(db_count mailbox)"
expect_eq "message id is indexed for de-duplication" 1 "$(db_count msgindex)"

# Bob comes online later, after a server restart even. (--verbose logs each
# request, so that the push step below can see the subscription.)
step "restart the server; the recipient reads and acknowledges"
server_stop
server_start --verbose
OUT=$(vn bob --json inbox)
expect_match "Bob reads Alice's message" '"text": "Goedemorgen Bob, hoe gaat het vandaag\?"' "$OUT"
expect_match "sender is Alice's account" "\"from\": \"$ALICE\"" "$OUT"
expect_match "time is ISO 8601 UTC" '"time": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$OUT"
MSGID=$(printf '%s' "$OUT" | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' | sed -n 1p)
check "message has an id" test "${#MSGID}" -eq 32

step "an acknowledged envelope leaves no trace"
# Bob's device told Alice's that it has the message (a sealed delivery
# receipt, client-cli/receipt.h); her inbox takes it.
vn alice inbox >/dev/null
expect_eq "mailbox is empty after the acknowledgement" 0 "$(db_count mailbox)"
expect_eq "id index is empty after the acknowledgement" 0 "$(db_count msgindex)"
DUMP=$(store_dump -a)
if grep -qi "$MSGID" <<< "$DUMP"; then fail "message id still in the store"; else pass "no trace of the message id in a full dump"; fi

expect_eq "a second inbox shows nothing new" "[]" "$(vn bob --json inbox)"
expect_match "plain inbox says so" "no new messages" "$(vn bob inbox)"

# Push: a connected recipient gets the message at once.
step "push to a connected recipient"
vn bob --json inbox --follow --count 1 --wait 20 > "$T/follow.json" &
FOLLOW=$!
# Send only once the follower has subscribed, so the message is pushed.
wait_for "the follower to subscribe" 20 log_has "request subscribe result=OK"
vn alice send "$BOB" "push test"
wait $FOLLOW
expect_match "a connected recipient receives a push" '"text": "push test"' "$(cat "$T/follow.json")"

step "reply by contact name"
# Reply the other way, with a contact name instead of an account id.
vn bob contacts add alice "$ALICE"
vn bob send alice "Goed, dank je."
expect_match "Alice sees Bob by account" "$BOB" "$(vn alice --json inbox)"
expect_match "contacts list the local name" "alice +$ALICE" "$(vn bob contacts)"
expect_eq "whoami --json" "{\"account\": \"$BOB\", \"role\": \"participant\"}" "$(vn bob --json whoami)"
finish
