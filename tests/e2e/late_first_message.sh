#!/usr/bin/env bash
# A session prepared long before its first message: `verify` fetches the
# participant's bundle (and so prepares a session), the casemanager writes
# only weeks later, and meanwhile the participant's client rotated its
# signed prekey twice (weekly, on inbox). The first message names the key
# of the old bundle; with only one previous key kept it could not be
# opened ("dropped as undecryptable after a month on the test clock").
# Signed prekeys are now kept VN_E2EE_SPK_KEEP_MS (60 days).
source "$(dirname "$0")/lib.sh"

server_init
server_start --test-clock --sweep 1s
CM=$(join cm casemanager)
new_case cm
P=$(join p participant)

step "the casemanager prepares a session with p, then writes a month later"
vn cm verify "$P" >/dev/null
for week in 1 2 3 4; do
    server_clock advance 8d
    vn p inbox >/dev/null
done
vn cm send "$P" "late first message"
OUT=$(vn p inbox 2>&1)
expect_match "p reads it" "late first message" "$OUT"
check "nothing was dropped" bash -c "! grep -q 'could not be decrypted' <<< '$OUT'"
vn p send "$CM" "and answers"
expect_match "and the casemanager reads the answer" "and answers" "$(vn cm inbox 2>&1)"
finish
