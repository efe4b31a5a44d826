#!/usr/bin/env bash
# Sealed sender: the server checks who may write to whom, then keeps and
# delivers envelopes that name neither their sender nor their case. Who
# sent a message, and for which case, travels inside the end-to-end layer,
# under a sender certificate the server signed; the recipient checks it,
# and refuses one that the server did not sign.
. "$(dirname "$0")/lib.sh"
: "${VN_STORECHECK:?set VN_STORECHECK}" "${VN_METADATA:?set VN_METADATA}" "${VN_FORGE:?set VN_FORGE}"

step "start the server; a casemanager, a participant and a buddy in one case"
server_init
server_start
new_case cm
CM=$(vn cm --json whoami | sed -n 's/.*"account": "\([0-9a-f]*\)".*/\1/p')
DOC=$(join doc participant)
BUD=$(join bud buddy)
check "account ids are 32 hex characters" test "${#CM}" -eq 32 -a "${#DOC}" -eq 32 -a "${#BUD}" -eq 32

step "1:1 and team messages wait while their recipients are offline"
vn cm send "$DOC" "een bericht van de casemanager"
vn bud send --case "$CASE" "een bericht aan het team"
# The team message is one sealed envelope per member (the participant and
# the casemanager), each after the buddy's sender key, sent 1:1.
expect_eq "five envelopes wait" 5 "$(db_count mailbox)"

step "no queued envelope names its sender or its case"
# Checked in the clear (a copy made with the store key): on disk every
# record is sealed anyway; this is about what the server itself knows.
store_copy "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" --absent mailbox "$CM" --absent mailbox "$BUD" \
    --absent mailbox "$CASE" --absent msgindex "$CM" --absent msgindex "$BUD" 2>&1) || true
echo "$OUT"
expect_match "the mailbox holds only documented fields" 'ok: mailbox: 5 records as documented' "$OUT"
for who in "$CM" "$BUD" "$CASE"; do
    expect_match "no record of the mailbox holds $who" "absent: $who in mailbox \\(5 records" "$OUT"
done
expect_match "nothing else is wrong" 'databases, 0 problems$' "$(tail -n1 <<< "$OUT")"
TIMES=$(store_dump -s mailbox | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d && /^ /{n++; if (n % 2 == 0) print substr($1, 1, 16)}' | sort -u)
for t in $TIMES; do
    check "an envelope's time is a whole minute ($t)" test $((16#$t % 60000)) -eq 0
done

step "the recipients still see who sent each message"
OUT=$(vn doc --json inbox)
expect_match "the participant sees the casemanager's message, from the casemanager" \
    "\"from\": \"$CM\".*een bericht van de casemanager" "$OUT"
expect_match "and the buddy's team message, from the buddy, in the case" \
    "\"from\": \"$BUD\", \"case\": \"$CASE\".*een bericht aan het team" "$OUT"
expect_match "the casemanager sees the team message from the buddy" \
    "\"from\": \"$BUD\", \"case\": \"$CASE\".*een bericht aan het team" "$(vn cm --json inbox)"
expect_eq "every envelope was acknowledged" 0 "$(db_count mailbox)"

step "a certificate the server did not sign is refused"
# A new buddy, with a real Signal identity, claims to be the casemanager
# under a certificate signed by a key of its own; a genuine message follows
# in the same batch.
"$VN_FORGE" "$(invite buddy)" "$DOC" "$CM" "ik ben de casemanager" >/dev/null
vn cm send "$DOC" "het echte bericht"
expect_eq "both wait" 2 "$(db_count mailbox)"
RC=0; ERR=$(vn doc --json inbox 2>&1 >"$T/out.json") || RC=$?
expect_eq "inbox still succeeds" 0 "$RC"
expect_match "the recipient is told it was refused" 'message was refused: sender certificate is forged' "$ERR"
check "the forged text is not shown" bash -c "! grep -q 'ik ben de casemanager' '$T/out.json'"
expect_match "the genuine message of the same batch is shown" '"text": "het echte bericht"' "$(cat "$T/out.json")"
vn cm inbox >/dev/null # the participant's delivery receipt (client-cli/receipt.h)
expect_eq "the refused one is acknowledged, not kept" 0 "$(db_count mailbox)"
finish
