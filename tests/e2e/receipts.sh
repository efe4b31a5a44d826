#!/usr/bin/env bash
# Delivery and read state, end to end (client-cli/receipt.h): a 1:1
# message is queued in the outbox, sent once the server took it, delivered
# once the recipient's device stored it and said so in a sealed receipt,
# and read only if the recipient turned read receipts on. A receipt for an
# id the sender never sent, or from someone the message did not go to,
# changes nothing; receipts are never shown and never answered.
. "$(dirname "$0")/lib.sh"
VN_RECEIPTFORGE=$(dirname "${VN_PROBE:?set VN_PROBE}")/vn_receiptforge

step "start the server; a case with a participant and a buddy"
server_init
server_start
new_case cm
DOC=$(join doc participant)
BUD=$(join bud buddy)
vn doc contacts add bud "$BUD" >/dev/null
vn bud contacts add doc "$DOC" >/dev/null

# state N: the delivery state of doc's N-th message to bud, from history --json.
state() { vn doc --json history bud | grep -o '"state": "[a-z]*"' | sed -n "$1p" | cut -d'"' -f4; }
# msgid N: its id.
msgid() { vn doc --json history bud | grep -o '"id": "[0-9a-f]*"' | sed -n "$1p" | cut -d'"' -f4; }

step "sent: the server took it"
vn doc send bud "first message" >/dev/null
expect_eq "state after send" sent "$(state 1)"
expect_match "history shows one tick" 'you -> bud: first message  \[✓ sent\]' "$(vn doc history bud)"

step "delivered: the buddy's inbox stored it and sent a receipt back"
expect_match "the buddy gets the message" 'doc: first message' "$(vn bud inbox)"
expect_eq "read receipts are off by default" "read receipts off: people see when your device has a message, not when you read it" "$(vn bud settings read-receipts)"
OUT=$(vn doc inbox)
expect_eq "a receipt is never shown as a message" "no new messages" "$OUT"
expect_eq "state after the buddy's inbox" delivered "$(state 1)"
expect_match "history shows two ticks" 'you -> bud: first message  \[✓✓ delivered\]' "$(vn doc history bud)"
expect_eq "a receipt is not answered with a receipt" "no new messages" "$(vn bud inbox)"
expect_eq "and none comes back to the sender" "no new messages" "$(vn doc inbox)"

step "read: only once the buddy allows it"
rc=0; vn bud settings read-receipts maybe >/dev/null 2>&1 || rc=$?
expect_eq "settings read-receipts maybe exits 2" 2 "$rc"
expect_eq "turned on" "read receipts on" "$(vn bud settings read-receipts on)"
expect_eq "--json shows it" '{"read_receipts": true}' "$(vn bud --json settings read-receipts)"
vn doc send bud "second message" >/dev/null
expect_match "the buddy reads it" 'doc: second message' "$(vn bud inbox)"
vn doc inbox >/dev/null
expect_eq "second message read" read "$(state 2)"
expect_eq "the first stays delivered (shown while read receipts were off)" delivered "$(state 1)"
expect_match "history shows read" 'you -> bud: second message  \[✓✓ read\]' "$(vn doc history bud)"

step "a receipt from someone the message did not go to, or for an unknown id, is ignored"
vn bud settings read-receipts off >/dev/null
vn doc send bud "third message" >/dev/null
vn bud inbox >/dev/null
vn doc inbox >/dev/null
expect_eq "third delivered" delivered "$(state 3)"
ID3=$(msgid 3)
UNKNOWN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Another buddy of the case, who may write to the participant.
BUD2=$("$VN_RECEIPTFORGE" "$(invite buddy)" "$DOC" read "$ID3" "$UNKNOWN")
OUT=$(vn doc inbox)
expect_eq "the forged receipt is not shown" "no new messages" "$OUT"
expect_eq "another buddy cannot mark the buddy's message read" delivered "$(state 3)"
expect_eq "no state appears for the unknown id" 3 "$(vn doc --json history | grep -o '"state"' | wc -l)"
expect_match "the forger had an account" '^[0-9a-f]{32}$' "$BUD2"
vn bud settings read-receipts on >/dev/null

step "queued: the server is down; sent once it is back"
server_stop
rc=0; vn doc --timeout 1 send bud "fourth message" >/dev/null 2>&1 || rc=$?
expect_eq "send while the server is down exits 3" 3 "$rc"
expect_eq "state while queued" queued "$(state 4)"
expect_match "history shows it queued" 'you -> bud: fourth message  \[… queued\]' "$(vn doc history bud)"
server_start
vn doc inbox >/dev/null
expect_eq "state once the outbox went" sent "$(state 4)"
expect_match "the buddy reads it" 'doc: fourth message' "$(vn bud inbox)"
vn doc inbox >/dev/null
expect_eq "fourth read" read "$(state 4)"
expect_match "received messages carry no state" '^\[\{"id": "[0-9a-f]+", "from": "[0-9a-f]+", "from_name": "doc", "time"' "$(vn bud --json history doc)"

finish
