#!/usr/bin/env bash
# Every kind of bad input gets a clear error, and the server keeps serving
# other clients without losing anything.
. "$(dirname "$0")/lib.sh"
: "${VN_PROBE:?set VN_PROBE to the vn_probe binary}"

step "start the server; a first message before the bad input"
server_init
server_start --test-clock
ALICE=$(join alice casemanager)
new_case alice
BOB=$(join bob participant)
vn alice send "$BOB" "before the bad input"

step "frames no honest client sends"
probe() { "$VN_PROBE" "$ENDPOINT" "$STATE/server.pub" "$1" || true; }
expect_match "an unregistered CURVE key may not act" \
    '^UNREGISTERED: this device key is not registered; redeem an invite' "$(probe unregistered)"
expect_match "a garbage frame is named malformed" '^PROTO: malformed frame' "$(probe garbage)"
expect_match "an oversize frame names its size and the limit" \
    '^TOOBIG: frame of 102400 bytes exceeds the limit of 65536 bytes' "$(probe oversize)"
expect_match "a wrong protocol version is named" \
    '^VERSION: protocol version 7 is not supported; this server speaks version 1' "$(probe version)"
expect_match "a request without a body is malformed" '^PROTO: malformed frame' "$(probe empty-request)"
OUT=$(probe utf8)
expect_match "text that is not UTF-8 is refused by field name" \
    '^INVAL: the field case_id of this case-show request is not valid UTF-8$' "$OUT"
check "and the bytes are not echoed" bash -c "! grep -q \$'\\x1b' <<< \"\$1\"" _ "$OUT"

# Invites: replayed, expired, mangled.
step "replayed, expired and mangled invites"
CODE=$(invite buddy)
CARL=$(vn carl join "$CODE")
check "a fresh invite works" test "${#CARL}" -eq 32
ERR=$(vn mallory --json join "$CODE" 2>&1 >/dev/null || true)
expect_match "a replayed invite is refused as used" '"code": "INVITE_USED".*already redeemed' "$ERR"
OLD=$(invite naaste --ttl 1d)
server_clock advance 2d
ERR=$(vn nina join "$OLD" 2>&1 || true)
expect_match "an expired invite is refused as expired" 'invite code has expired' "$ERR"
ERR=$(vn nina join "vn1-notarealcode" 2>&1 || true)
expect_match "a mangled invite code is named" 'not a Vangnet invite code' "$ERR"
RC=0; vn nina join "vn1-notarealcode" >/dev/null 2>&1 || RC=$?
expect_eq "exit code 1 for a bad code" 1 "$RC"

# Unknown and malformed recipients.
step "unknown and malformed recipients"
ERR=$(vn alice --json send 0123456789abcdef0123456789abcdef "hallo?" 2>&1 || true)
expect_match "a message to an unknown account is refused, naming it and the rule" \
    '"code": "DENIED".*account 0123456789abcdef0123456789abcdef is unknown or not in your care network: a casemanager may message' "$ERR"
ERR=$(vn alice send nobody-known "hallo?" 2>&1 || true)
expect_match "an unknown contact name is named" 'nobody-known is neither an account id nor a contact name' "$ERR"
ERR=$(vn alice send "$BOB" "$(head -c 20000 /dev/zero | tr '\0' x)" 2>&1 || true)
expect_match "an oversize message text is refused before sending" 'message text is 20000 bytes; the limit is 16384' "$ERR"
RC=0; vn alice frobnicate >/dev/null 2>&1 || RC=$?
expect_eq "an unknown command exits 2" 2 "$RC"

# Server-side option checks.
step "server option checks"
ERR=$("$VANGNETD" invite --state "$STATE" --role king 2>&1 || true)
expect_match "an unknown role is named" 'role must be participant, casemanager' "$ERR"
ERR=$(server_clock set 2001-01-01 2>&1 || true)
expect_match "the test clock never goes back" 'time only moves forward' "$ERR"
ERR=$("$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "$ENDPOINT" 2>&1 || true)
expect_match "a second server on the same state is refused" 'another vangnetd is running' "$ERR"

step "an impostor server without the pinned key"
# The server key is pinned from the code: a second server answering on the
# code's endpoint (an impostor, with its own key) gets no conversation.
"$VANGNETD" init --state "$T/impostor" --store-key "$T/impostor.key" >/dev/null 2>&1
"$VANGNETD" run --state "$T/impostor" --store-key "$T/impostor.key" --listen 'tcp://127.0.0.1:*' 2>/dev/null &
IMPOSTOR=$!
wait_for "the impostor server to write its endpoint" 20 test -s "$T/impostor/endpoint"
CODE=$("$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role buddy --case "$CASE" --endpoint "$(cat "$T/impostor/endpoint")")
RC=0; ERR=$(vn eve --timeout 2 join "$CODE" 2>&1) || RC=$?
expect_match "a server without the pinned key is refused, naming its address" "$(cat "$T/impostor/endpoint"): a server answers there under another key than the one this profile pinned" "$ERR"
expect_eq "and that exits 3 (try again)" 3 "$RC"
kill -TERM $IMPOSTOR; wait $IMPOSTOR || true

step "the server kept serving and lost nothing"
# Through all of it the server kept serving and lost nothing.
OUT=$(vn bob --json inbox)
expect_match "the message sent before the bad input arrives" 'before the bad input' "$OUT"
vn alice send "$BOB" "after the bad input"
expect_match "and messages still flow afterwards" 'after the bad input' "$(vn bob --json inbox)"
check "server still running" kill -0 "$SERVER_PID"
finish
