#!/usr/bin/env bash
# Signals, SOS and escalation on the test clock: a crisis signal not
# acknowledged for 61 minutes reaches the medical lead, one acknowledged at
# 59 minutes does not; an SOS claimed by the second buddy shows as claimed
# to the first; an unclaimed SOS reaches the casemanager after its window;
# the store holds no item code or note; a disclosure needs both gates from
# both casemanager and medical lead.
. "$(dirname "$0")/lib.sh"

step "start the server; enrol a case with two buddies and a medical lead"
server_init
server_start --test-clock --sweep 1s --sos-window 15m
server_clock set 2027-05-03T08:00
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
B1=$(join b1 buddy)
B2=$(join b2 buddy)
join nst naaste >/dev/null
ML=$(join ml medical-lead)
vn b1 contacts add b2 "$B2"

# The catalogue.
step "the catalogue"
CAT=$(vn doc --json signal --list)
expect_eq "29 signals in the catalogue" 29 "$(grep -o '"code"' <<< "$CAT" | wc -l)"
expect_match "with phase, Dutch and English" '\{"code": "X05", "phase": "end", "nl": "[^"]+", "en": "Suicidal[^"]*"\}' "$CAT"
expect_match "an unknown code is named" 'unknown signal code Z99' "$(vn b1 signal Z99 2>&1 || true)"
expect_match "a casemanager does not report signals" '"code": "NOTFOUND", "message": "you are not in a case"' "$(vn cm --json signal --case "$CASE" E01 2>&1 || true)"

CANARY="CANARY-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# Crisis acknowledged at 59 minutes: the medical lead never hears of it.
step "a crisis acknowledged at 59 minutes"
OUT=$(vn b1 signal X05 --note "$CANARY first")
expect_match "the reporter is told what happens next" 'casemanager has it and must respond within 1 hour' "$OUT"
expect_match "a crisis shows crisis contacts" '113' "$OUT"
A1=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*"' | sed -n 1p | cut -d'"' -f4)
CMIN=$(vn cm inbox)
expect_match "the casemanager gets the items end to end" "\\[signal crisis\\] X05 \\(Suicidal[^)]*\\) - $CANARY first" "$CMIN"
expect_match "and a notice of the alert" "alert: A new crisis signal was raised in case [0-9a-f]{8}\\. Once you have acted, acknowledge it: vangnet ack $A1" "$CMIN"
expect_match "the caseload shows the alert first" "\"alerts\": \\[\\{\"alert\": \"$A1\", \"severity\": \"crisis\"" "$(vn cm --json caseload)"
server_clock advance 59m
pause_for_sweeps 1.5
vn cm ack "$A1" >/dev/null
check "an acknowledged alert is forgotten: the list no longer has it" \
    bash -c "! grep -q '$A1' <<< '$(vn cm --json alerts)'"
wait_inbox doc "alert [0-9-]+: signal crisis acknowledged - alert ${A1:0:8} raised"
pass "its history reached the participant end to end"
server_clock advance 5m
pause_for_sweeps 1.5
check "acknowledged at 59 minutes: the medical lead hears nothing" bash -c "! grep -q 'escalated' <<< '$(vn ml inbox)'"

# Crisis left alone for 61 minutes: it reaches the medical lead.
step "a crisis left alone for 61 minutes"
vn nst signal X01 P08 --case "$CASE" --note "$CANARY second" >/dev/null
A2=$(vn cm --json alerts | grep -o "\"alert\": \"[0-9a-f]*\", \"case\": \"$CASE\", \"kind\": \"signal\", \"severity\": \"crisis\", \"state\": \"open\"" | cut -d'"' -f4)
check "the second alert is open" test -n "$A2"
server_clock advance 59m
pause_for_sweeps 1.5
check "not at 59 minutes" bash -c "! grep -q 'escalated' <<< '$(vn ml inbox)'"
server_clock advance 2m
wait_inbox ml "escalated: The crisis signal of case"
expect_match "at 61 minutes the medical lead is told" "escalated: The crisis signal of case [0-9a-f]{8} .*vangnet ack $A2" "$INBOX"
expect_match "and sees it in their alerts" "\"alert\": \"$A2\".*\"level\": 2" "$(vn ml --json alerts)"
OUT=$(vn ml ack "$A2") && RC=0 || RC=$?
expect_match "the lead may acknowledge it" "is acknowledged" "$OUT"
expect_eq "and the acknowledgement exits 0" 0 "$RC"
wait_inbox cm "alert [0-9-]+: signal crisis acknowledged - alert ${A2:0:8} raised .* by ${ML:0:8}"
pass "the casemanager gets the history of an alert the lead acknowledged"
expect_eq "the server keeps no acknowledged alert" 0 "$(db_count alerts)"
expect_match "a second acknowledgement finds nothing" "no alert $A2" "$(vn cm ack "$A2" 2>&1 || true)"

step "an SOS claimed by the second buddy"
# SOS: every buddy hears it, the second buddy claims it, the first sees that.
S1=$(vn doc --json sos "$CANARY bel me" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "an SOS has an alert id" test "${#S1}" -eq 32
expect_match "buddy 1 gets the SOS" "\\[SOS\\] $CANARY bel me -- take it: vangnet claim $S1" "$(vn b1 inbox)"
expect_match "buddy 2 gets the SOS" "\\[SOS\\] $CANARY bel me" "$(vn b2 inbox)"
vn b2 claim "$S1" >/dev/null
expect_match "the first buddy cannot claim it any more" "already claimed by $B2" "$(vn b1 claim "$S1" 2>&1 || true)"
expect_match "and is told who has it" "sos-claimed: b2 claimed the SOS of case [0-9a-f]{8}; nothing more for you to do" "$(vn b1 inbox)"
expect_match "the participant is told too" "sos-claimed: Your SOS was claimed by account ${B2:0:8}" "$(vn doc inbox)"
expect_match "the alert list shows it claimed by buddy 2" "\"alert\": \"$S1\".*\"state\": \"claimed\", \"claimed_by\": \"$B2\"" "$(vn b1 --json alerts)"
# A claimer who leaves the case hands the SOS back to the other buddies.
vn cm case remove "$CASE" "$B2" >/dev/null
wait_inbox b1 "sos-reopened: The buddy who had claimed the SOS of case [0-9a-f]{8} left the case; it is open again\\. Take it: vangnet claim $S1"
pass "buddy 2 removed: buddy 1 is told the SOS is open again"
expect_match "and may claim it now" "is claimed" "$(vn b1 claim "$S1")"

# An SOS nobody claims reaches the casemanager after 15 minutes.
step "an SOS nobody claims"
S2=$(vn doc --json sos "$CANARY nobody" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
vn cm inbox >/dev/null
server_clock advance 14m
pause_for_sweeps 1.5
check "not before its window" bash -c "! grep -q \"\$1\" <<< \"\$2\"" _ "vangnet ack $S2" "$(vn cm inbox)"
server_clock advance 2m
wait_inbox cm "escalated: The urgent SOS of case [0-9a-f]{8} .*vangnet ack $S2"
expect_match "unclaimed after 15 minutes it reaches the casemanager" "escalated: The urgent SOS of case [0-9a-f]{8} .*vangnet ack $S2" "$INBOX"

# The store knows case, kind, severity and times; no item code, no note.
step "no item code or note in the store"
if grep -raF -e "$CANARY" -e "Suicidal" "$STATE" >/dev/null; then
    fail "an item or note reached the server's disk"
else
    pass "no item text or note on the server's disk"
fi
expect_eq "the two unacknowledged alerts are stored, the acknowledged ones are not" 2 "$(db_count alerts)"

# Sealed audit entries cannot be merged in the store: one request writes
# each participant's entry once, however many of their alerts it lists.
step "one alert list is one audit entry"
BEFORE=$(db_count audit)
check "the casemanager lists both alerts of the participant" \
    test "$(vn cm --json alerts | grep -o '"alert": ' | wc -l)" -ge 2
expect_eq "and the participant's log grows by one entry" $((BEFORE + 1)) "$(db_count audit)"
expect_match "which the participant reads" "\"reader\": \"$CM\", \"role\": \"casemanager\", \"what\": \"alerts\"" \
    "$(vn doc --json audit)"

# Quiet hours hold concern-level notices, never crisis ones.
step "quiet hours"
server_clock set 2027-05-03T21:00   # 23:00 in Amsterdam
vn cm inbox >/dev/null
vn cm quiet-hours 22:00-07:00 >/dev/null
vn b1 signal E05 >/dev/null
vn b1 signal X04 >/dev/null
# The concern notice must be held: give the sweep time to (not) send it.
pause_for_sweeps 1.5
OUT=$(vn cm inbox)
expect_match "at night the crisis notice comes at once" 'alert: A new crisis signal' "$OUT"
check "the concern notice waits" bash -c "! grep -q 'alert: A new concern signal' <<< '$OUT'"
expect_match "the report itself still arrives end to end" '\[signal concern\] E05' "$OUT"
server_clock set 2027-05-04T05:05    # 07:05 in Amsterdam
wait_inbox cm 'alert: A new concern signal'
expect_match "after the quiet hours the concern notice follows" 'alert: A new concern signal' "$INBOX"

# Disclosure: both gates, both people, or nothing.
step "disclosure needs both gates from both people"
expect_match "one gate missing is refused" 'needs both gates.*nothing was recorded' \
    "$(vn cm disclosure attest --case "$CASE" --safety-at-risk 2>&1 || true)"
expect_eq "nothing stored for it" 0 "$(db_count attest)"
expect_match "one attestation waits for the other" '"recorded": false, "waiting_for": "medical-lead"' \
    "$(vn cm --json disclosure attest --case "$CASE" --safety-at-risk --no-action-taken)"
expect_eq "with one attestation no disclosure is recorded" 0 "$(db_count disclosures)"
expect_match "a buddy cannot attest" 'no open case [0-9a-f]* of yours to attest' "$(vn b1 disclosure attest --case "$CASE" --safety-at-risk --no-action-taken 2>&1 || true)"
# An outsider learns nothing: a real case or alert and a made-up one are
# refused word for word alike.
join cm2 casemanager >/dev/null
FAKE=0123456789abcdef0123456789abcdef
same_refusal() { [ "${1//$2/ID}" = "${3//$4/ID}" ]; }
R1=$(vn cm2 disclosure attest --case "$CASE" --safety-at-risk --no-action-taken 2>&1 || true)
R2=$(vn cm2 disclosure attest --case "$FAKE" --safety-at-risk --no-action-taken 2>&1 || true)
check "another casemanager attesting: a real case reads as an unknown one ($R1)" same_refusal "$R1" "$CASE" "$R2" "$FAKE"
R1=$(vn cm2 ack "$S2" 2>&1 || true)
R2=$(vn cm2 ack "$FAKE" 2>&1 || true)
check "another casemanager acknowledging: a real alert reads as an unknown one ($R1)" same_refusal "$R1" "$S2" "$R2" "$FAKE"
R1=$(vn cm2 claim "$S2" 2>&1 || true)
R2=$(vn cm2 claim "$FAKE" 2>&1 || true)
check "and claiming ($R1)" same_refusal "$R1" "$S2" "$R2" "$FAKE"
expect_match "the medical lead completes it" '"recorded": true' \
    "$(vn ml --json disclosure attest --case "$CASE" --safety-at-risk --no-action-taken)"
expect_eq "the disclosure is recorded" 1 "$(db_count disclosures)"
expect_match "the participant is told" 'disclosure: A disclosure was recorded on [0-9-]+ in case [0-9a-f]{8}: your casemanager and a medical lead' "$(vn doc inbox)"
expect_match "and sees it in the audit log" '"what": "disclosure"' "$(vn doc --json audit)"

# The log counts events and names no one: no account, case, role or severity.
step "the server log names no one"
server_stop
for id in "$CM" "$DOC" "$B1" "$B2" "$ML" "$CASE" "$S1" "$S2"; do
    check "the log does not hold ${id:0:8}..." bash -c "! grep -qi '$id' '$SERVER_LOG'"
done
check "nor a role or severity word" \
    bash -c "! grep -Eiw 'participant|casemanager|buddy|naaste|medical-lead|concern|urgent|crisis|sos' '$SERVER_LOG'"
expect_match "the events are logged as counts" \
    'events since the last report: accounts registered 7, alerts raised [0-9]+, escalations [0-9]+' \
    "$(cat "$SERVER_LOG")"
finish
