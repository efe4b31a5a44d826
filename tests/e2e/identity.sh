#!/usr/bin/env bash
# A changed identity key is refused until the user confirms the new safety
# number. A compromised server is simulated: envelopes no longer name their
# sender, so it signs a sender certificate that calls Mallory's identity key
# Alice's, and Mallory (vn_forge) sends Bob a message under it. Bob's client
# must see the different identity key, hold the message and say so; only
# after `verify --confirm` does it read it.
. "$(dirname "$0")/lib.sh"
: "${VN_FORGE:?set VN_FORGE}"

step "start the server; Bob learns Alice's identity"
server_init
server_start
new_case
ALICE=$(join alice participant)
BOB=$(join bob buddy)

vn alice send "$BOB" "hello from the real Alice"
expect_match "Bob knows Alice" "hello from the real Alice" "$(vn bob inbox)"
BEFORE=$(vn bob --json verify "$ALICE")
expect_match "and has her safety number" '"changed": false' "$BEFORE"

# The server's signing key, as a compromised server holds it (the meta
# record "sender_sign_key"), certifies Mallory's key as Alice's.
step "the server certifies Mallory's key as Alice's"
SIGNKEY=$(store_dump -s meta | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
    d && k {print substr($1, 1); exit} d && $1 == "73656e6465725f7369676e5f6b6579" {k=1}')
check "the store holds a 64-byte signing key" test "${#SIGNKEY}" -eq 128
"$VN_FORGE" "$(invite buddy)" "$BOB" "$ALICE" "I am Alice, trust me" "$SIGNKEY" >/dev/null

step "Bob holds it until he confirms the new safety number"
RC=0; ERR=$(vn bob --json inbox 2>&1 >"$T/out.json") || RC=$?
check "the relabelled message is not shown" bash -c "! grep -q 'trust me' '$T/out.json'"
expect_match "Bob is told Alice's identity key changed" "message from $ALICE is held: their identity key changed" "$ERR"
expect_eq "the message stays on the server" 1 "$(db_count_prefix mailbox "$BOB")"
OUT=$(vn bob verify "$ALICE")
expect_match "verify warns before anything else" 'WARNING: the identity key of .* has CHANGED' "$OUT"
expect_match "and shows the new safety number" '^[0-9]{5} [0-9]{5}' "$(sed -n 5p <<< "$OUT")"
check "the new safety number differs from the old one" test "$(vn bob --json verify "$ALICE" | grep -o '"safety_number": "[0-9]*"')" != "$(grep -o '"safety_number": "[0-9]*"' <<< "$BEFORE")"
vn bob verify "$ALICE" --confirm >/dev/null
expect_match "only after confirming is the message read" 'I am Alice, trust me' "$(vn bob inbox)"
finish
