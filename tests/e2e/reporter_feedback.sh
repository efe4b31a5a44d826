#!/usr/bin/env bash
# Whoever raised a signal or an SOS hears what became of it: claimed (by the
# claimer, shown by the reporter's own contact name for them), acknowledged
# (and by whom) or escalated (and to whom); a signal folded into an open one
# tells both reporters. Notices read as sentences with the command that
# works for the reader (a buddy who receives a signal report is not told to
# acknowledge it), and stay typed under --json. An SOS or a crisis signal
# that cannot be raised (server down, case closed) shows the crisis numbers
# and exits non-zero.
. "$(dirname "$0")/lib.sh"

lacks() { ! grep -Eq -- "$2" <<< "$1"; }
# alert_records: records kept about alerts beside the case's notices (their
# keys are longer than a notice's 18 bytes).
alert_records() {
    store_dump -s notices | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
        d && /^ / {n++; if (n % 2 == 1 && length($1) > 36) c++} END{print c+0}'
}

step "start the server; a case with two buddies, a naaste and a medical lead"
server_init
server_start --test-clock --sweep 10m --sos-window 15m
server_clock set 2027-05-03T08:00   # 10:00 in Amsterdam
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
B1=$(join b1 buddy)
B2=$(join b2 buddy)
NST=$(join nst naaste)
ML=$(join ml medical-lead)
vn doc contacts add anna "$B1" >/dev/null
vn nst contacts add "Mr Jansen" "$CM" >/dev/null

step "an SOS claimed: the participant hears who took it, by their own name for them"
S1=$(vn doc --json sos "help" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "the SOS is raised" test -n "$S1"
wait_inbox b1 "sos: SOS: the participant of case ${CASE:0:8} asks for help now\. Take it: vangnet claim $S1"
pass "the buddy is told to claim it"
vn b1 claim "$S1" >/dev/null
wait_inbox doc "sos-claimed: Your SOS was claimed by anna, who will be in touch\."
pass "the participant hears it was claimed, by name"
wait_inbox b2 "sos-claimed: account ${B1:0:8} claimed the SOS of case ${CASE:0:8}; nothing more for you to do\."
pass "the other buddy, with no name for the claimer, sees a short id"
vn b1 ack "$S1" >/dev/null
wait_inbox doc "acknowledged: Your SOS \(case ${CASE:0:8}\) was acknowledged by anna"
pass "and hears it was acknowledged"
wait_inbox b2 "acknowledged: The urgent SOS of case ${CASE:0:8} was acknowledged by account ${B1:0:8}; nothing more to do for it \(alert $S1\)\."
pass "the other buddy hears it was answered"
check "the casemanager, whom this SOS never reached, is not told" lacks "$(vn cm inbox)" "acknowledged: The urgent SOS"
check "nor the buddy who answered it" lacks "$(vn b1 inbox)" "acknowledged:"

step "typed under --json, with the sentence as text"
vn b2 claim "$S1" >/dev/null 2>&1 || true
S2=$(vn doc --json sos | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
vn b2 claim "$S2" >/dev/null
J=$(vn doc --json inbox)
expect_match "kind, item, case, alert, by and reporter are fields" \
    "\"kind\": \"sos-claimed\", \"item\": \"sos\", \"case\": \"$CASE\", \"alert\": \"$S2\", \"severity\": \"urgent\", \"by\": \"$B2\", \"reporter\": true, \"text\": \"sos-claimed: Your SOS was claimed by account ${B2:0:8}, who will be in touch\.\"" "$J"
vn cm ack "$S2" >/dev/null
wait_inbox doc "acknowledged: Your SOS \(case ${CASE:0:8}\) was acknowledged by account ${CM:0:8}"
pass "acknowledged by the casemanager"

step "a naaste's signal: acknowledged, by name; the buddy who also raised it hears it too"
vn nst signal P08 --note "worried" >/dev/null
vn b1 signal P08 >/dev/null   # alike and open: folded into the naaste's alert
A1=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*", "case": "[0-9a-f]*", "kind": "signal"' | cut -d'"' -f4)
expect_eq "one alert for the two alike signals" 1 "$(wc -w <<< "$A1")"
expect_eq "its two reporters are kept while it is open" 1 "$(alert_records)"
CMIN=$(vn cm inbox)
expect_match "the casemanager is told to acknowledge it" "alert: A new urgent signal was raised in case ${CASE:0:8}\. Once you have acted, acknowledge it: vangnet ack $A1" "$CMIN"
vn cm ack "$A1" >/dev/null
wait_inbox nst "acknowledged: Your signal \(case ${CASE:0:8}\) was acknowledged by Mr Jansen: it is being taken care of\."
pass "the naaste hears it, with their name for the casemanager"
wait_inbox b1 "acknowledged: Your signal \(case ${CASE:0:8}\) was acknowledged by account ${CM:0:8}"
pass "the buddy whose signal was folded into it too"
check "the participant, who did not raise it, is not told" lacks "$(vn doc inbox)" 'acknowledged: Your signal'
expect_eq "nothing of the answered alert is kept" 0 "$(alert_records)"

step "a participant's report to their buddies: the buddy is not told to run an ack it may not"
vn doc signal E01 --to-buddies --note "bad week" >/dev/null
BIN=$(vn b1 inbox)
expect_match "the buddy reads the report" '\[signal concern\] E01' "$BIN"
check "without an ack command" lacks "$BIN" 'vangnet ack'
expect_match "and learns the casemanager acknowledges it" 'the casemanager acknowledges it' "$BIN"
expect_match "the casemanager's copy says to ack" 'E01 .* -- once you have acted: vangnet ack [0-9a-f]{32}' "$(vn cm inbox)"

step "a signal left alone: escalated to the medical lead, and its reporter told"
vn nst signal X01 >/dev/null
A2=$(vn cm --json alerts | grep -o "\"alert\": \"[0-9a-f]*\", \"case\": \"$CASE\", \"kind\": \"signal\", \"severity\": \"crisis\"" | cut -d'"' -f4)
check "the crisis alert is open" test -n "$A2"
server_clock advance 61m
wait_inbox nst "escalated: Your signal was not answered in time and has gone to the medical lead \(case ${CASE:0:8}\)\."
pass "the reporter hears where it went"
wait_inbox ml "escalated: The crisis signal of case ${CASE:0:8} was not acknowledged in time and has reached you as medical lead\. Once you have acted, acknowledge it: vangnet ack $A2"
pass "the medical lead is told to ack it"
vn ml ack "$A2" >/dev/null
wait_inbox nst "acknowledged: Your signal \(case ${CASE:0:8}\) was acknowledged by account ${ML:0:8}"
pass "and the acknowledgement by the medical lead"
wait_inbox cm "acknowledged: The crisis signal of case ${CASE:0:8} was acknowledged by account ${ML:0:8}; nothing more to do for it \(alert $A2\)\."
pass "the casemanager, whom it reached first, hears the medical lead answered it"

step "the disclosure notice explains itself"
vn cm disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null
vn ml disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null
wait_inbox doc "disclosure: A disclosure was recorded on 2027-05-03 in case ${CASE:0:8}: your casemanager and a medical lead have each attested that the safety of you or of patients is at risk"
pass "the participant reads what was attested and where to look"

step "an SOS that cannot be sent shows the crisis numbers"
server_stop
RC=0
ERR=$(vn doc --timeout 2 sos "help" 2>&1 >/dev/null) || RC=$?
check "sos with the server down exits non-zero ($RC)" test "$RC" -ne 0
expect_match "and prints the crisis numbers" '113.*0800-0113' "$(tr '\n' ' ' <<< "$ERR")"
expect_match "and 112" '112 in an emergency' "$ERR"
RC=0
ERR=$(vn nst --timeout 2 signal X05 2>&1 >/dev/null) || RC=$?
check "a crisis signal with the server down exits non-zero ($RC)" test "$RC" -ne 0
expect_match "and prints the crisis numbers" 'danger now' "$ERR"
RC=0
ERR=$(vn nst --timeout 2 signal E01 2>&1 >/dev/null) || RC=$?
check "a concern signal with the server down fails too ($RC)" test "$RC" -ne 0
check "without the crisis numbers" lacks "$ERR" 'danger now'
server_start --test-clock --sweep 10m --sos-window 15m
step "a closed case: refused, with the crisis numbers"
vn cm case close "$CASE" --yes >/dev/null 2>&1 || vn cm case close "$CASE" >/dev/null
RC=0
ERR=$(VANGNET_CRISIS_CONTACTS="Crisis line 0800-TEST" vn doc sos "help" 2>&1 >/dev/null) || RC=$?
check "sos in a closed case exits non-zero ($RC)" test "$RC" -ne 0
expect_match "the configured crisis contacts are shown" 'Crisis line 0800-TEST' "$ERR"

finish
