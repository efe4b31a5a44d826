#!/usr/bin/env bash
# A programme played by all six roles for two months on the test clock:
# the participant (doc), the casemanager (cm, later cm2), two buddies (b1,
# b2), a naaste (n), a medical lead (ml) and the programme office (adm).
# Daily check-ins, test days recorded, contacts and self-help on time, two
# missed check-ins, a naaste's signal and the participant's SOS (raised,
# claimed, acknowledged), a buddy removed, the case handed to another
# casemanager, closed and reopened; at each step what each person sees.
#
# What each person sees is checked as it happens: names, not ids (display
# names exchanged on joining, nobody types one for the participant); the
# report's totals against what the script itself recorded; every
# announcement; the reporters told of claims, acknowledgements and an
# escalation.
. "$(dirname "$0")/lib.sh"

# ---- helpers -------------------------------------------------------------
START=2027-02-01
# today: the test clock's date ($T/today, moved by next_day).
today() { cat "$T/today"; }
# next_day: one day on; 07:00 UTC is inside the default 05:00-14:00 window.
next_day() {
    server_clock advance 1d >/dev/null
    date -u -d "$(today) + 1 day" +%F > "$T/today"
}
# seen NAME: NAME's inbox now, kept in SEEN[NAME] (everything since the
# last read); told/not_told check it.
declare -A SEEN
seen() { for u in "$@"; do SEEN[$u]=$(vn "$u" inbox); done; }
told() { expect_match "$1 sees $3" "$2" "${SEEN[$1]}"; }
not_told() { check "$1 does not see $3" bash -c "! grep -Eq -- \"\$1\" <<< \"\$2\"" _ "$2" "${SEEN[$1]}"; }
# The record of what happened, to check totals against at the end.
CHECKINS=0
MISSED=0
TESTS_TAKEN=0
declare -a TEST_DAYS=()
# Contacts recorded, by month (YYYY-MM).
declare -A BUDDY_CALLS SELFHELP CM_CALLS
# total NAME JSON: the number the report's --json gives for a total.
total() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<< "$2" | head -n 1; }
# day_routine: what the people do on an ordinary day: the participant
# checks in (and the casemanager records the test on a test day), the
# buddy calls every third day, self-help every fifth, the casemanager
# calls every tenth.
DAYNO=0
day_routine() {
    local out d
    d=$(today)
    out=$(vn doc checkin)
    CHECKINS=$((CHECKINS + 1))
    if grep -q "TEST DAY" <<< "$out"; then
        TEST_DAYS+=("$d")
        vn "$CMP" test record --case "$CASE" --date "$d" negative >/dev/null
        TESTS_TAKEN=$((TESTS_TAKEN + 1))
    fi
    local m=${d:0:7}
    if [ $((DAYNO % 3)) -eq 0 ] && [ -n "$BUDDY_ON" ]; then
        vn b1 contact record --kind call >/dev/null
        BUDDY_CALLS[$m]=$((${BUDDY_CALLS[$m]:-0} + 1))
    fi
    if [ $((DAYNO % 5)) -eq 0 ]; then
        vn doc selfhelp record >/dev/null
        SELFHELP[$m]=$((${SELFHELP[$m]:-0} + 1))
    fi
    if [ $((DAYNO % 10)) -eq 0 ]; then
        vn "$CMP" contact record --case "$CASE" --kind call >/dev/null
        CM_CALLS[$m]=$((${CM_CALLS[$m]:-0} + 1))
    fi
}
# days_until DATE: ordinary days up to (not including) DATE.
days_until() {
    while [ "$(today)" \< "$1" ]; do
        day_routine
        next_day
        DAYNO=$((DAYNO + 1))
    done
}

# ---- 1. enrolment --------------------------------------------------------
step "1. the programme office, a medical lead, two casemanagers; a case with doc, two buddies and a naaste"
server_init
server_start --test-clock --sweep 1s
server_clock set "${START}T07:00" >/dev/null
echo "$START" > "$T/today"
ADM=$(join adm admin)
ML=$(join ml medical-lead)
CM=$(join cm casemanager)
CM2=$(join cm2 casemanager)
new_case cm
# Each newcomer gives a display name on joining; it travels end to end to
# the casemanager and the team, who keep it as a local contact name.
DOC=$(vn doc join "$(invite participant)" --name "Daan Visser")
B1=$(vn b1 join "$(invite buddy)" --name "Anna Bakker")
B2=$(vn b2 join "$(invite buddy)" --name "Bert Smit")
N=$(vn n join "$(invite naaste)" --name "Nel Visser")
BUDDY_ON=1
seen cm doc b1 b2 n
# A local name of one's own choosing, as a person would keep it.
vn doc contacts add casemanager "$CM" >/dev/null
HANDLE=${CASE:0:8}
SHOW=$(vn cm case show "$HANDLE")
for m in "participant +Daan Visser" "buddy +Anna Bakker" "buddy +Bert Smit" "naaste +Nel Visser"; do
    expect_match "the casemanager sees the whole case by name, typing none: $m" "$m" "$SHOW"
done
check "case show by its handle shows no 32-hex account id" bash -c '! grep -Eq "[0-9a-f]{32}" <<< "$1"' _ "$SHOW"
expect_match "the caseload names the participant" "$HANDLE.*Daan Visser" "$(vn cm caseload)"
expect_match "the buddy knows the participant by name" "Daan Visser" "$(vn b1 contacts)"
expect_match "the participant knows the buddies by name" "Anna Bakker" "$(vn doc contacts)"
check "the server's disk never holds a display name" bash -c '! grep -rqa -e "Daan Visser" -e "Anna Bakker" "$1"' _ "$STATE"
expect_match "the admin has no message access" "DENIED" "$(vn adm --json send "$DOC" hello 2>&1 || true)"


# ---- 2. the contract -----------------------------------------------------
step "2. the contract: set by the casemanager, signed by doc; who is told"
vn cm contract set --case "$CASE" --template default --start "$START" --months 12 --phase 1-12:6 >/dev/null
seen doc
told doc "contract-set: Version 1 of your contract .* then sign it: vangnet contract sign --case $CASE" "that a contract waits, with the command that works for a participant"
vn doc contract sign --case "$CASE" >/dev/null
seen cm b1 b2 n
for u in cm b1 b2; do told "$u" "contract-signed: The participant signed version 1" "that the contract was signed"; done
told n "contract-signed: The participant signed version 1" "that the contract was signed (everyone in the case is told)"
vn ml contract show --case "$CASE" >/dev/null
expect_match "doc's audit log shows the medical lead's read" "medical-lead .* read your contract" "$(vn doc audit)"


# ---- 3. month one: check-ins, test days, contacts; two missed days -------
step "3. month one: daily check-ins and test days, two check-ins missed"
days_until 2027-02-10
# The 10th and 11th: no check-in. The scheduler closes each day before the next.
next_day; DAYNO=$((DAYNO + 1)); settle "$(today)"
next_day; DAYNO=$((DAYNO + 1)); settle "$(today)"
MISSED=2
wait_inbox cm "checkin-missed: .*did not check in on 2027-02-11"
told_missed=$INBOX
expect_match "the casemanager is told of the missed check-in of the 10th" "checkin-missed: .*did not check in on 2027-02-10" "$told_missed"
days_until 2027-03-01
check "test days came in month one (${#TEST_DAYS[@]})" test "${#TEST_DAYS[@]}" -ge 1
FEB=$(vn cm report --case "$CASE" --month 2027-02)
expect_match "February's check-ins in the report: $CHECKINS done, 2 missed" "check-ins +$CHECKINS done, 2 missed" "$FEB"
# A day drawn while doc did not check in is a test day nobody was told of.
DRAWN=$(vn cm --json caseload --calendar --month 2027-02 | grep -o '"test_day": true' | wc -l)
check "every test doc was told of was taken, a drawn day missed at most on the two missed days" \
    test "$DRAWN" -ge "$TESTS_TAKEN" -a "$DRAWN" -le $((TESTS_TAKEN + 2))
expect_match "the report counts the calendar's test days and the results recorded" \
    "test days +$DRAWN drawn, $TESTS_TAKEN taken" "$FEB"
# The totals against what the script itself recorded.
FEBJ=$(vn cm --json report --case "$HANDLE" --month 2027-02)
expect_eq "February: check-ins done" "$CHECKINS" "$(total checkins "$FEBJ")"
expect_eq "February: check-ins missed" "$MISSED" "$(total checkins_missed "$FEBJ")"
expect_eq "February: tests taken" "$TESTS_TAKEN" "$(total tests_taken "$FEBJ")"
expect_eq "February: one result per test" "$TESTS_TAKEN" "$(total results_total "$FEBJ")"
expect_eq "February: buddy contacts" "${BUDDY_CALLS[2027-02]:-0}" "$(total buddy_contacts "$FEBJ")"
expect_eq "February: self-help meetings" "${SELFHELP[2027-02]:-0}" "$(total selfhelp "$FEBJ")"
expect_eq "February: casemanager contacts" "${CM_CALLS[2027-02]:-0}" "$(total casemanager_contacts "$FEBJ")"

# ---- 4. an alert: the naaste's signal; doc's SOS claimed and acknowledged -
step "4. alerts: the naaste's signal reaches the casemanager; doc's SOS is claimed and acknowledged"
vn n signal E03 --note "trekt zich terug" >/dev/null
wait_inbox cm "\[signal [a-z]+\] E03"
pass "the casemanager received the naaste's signal, end to end"
SIG=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
vn cm ack "$SIG" >/dev/null
vn doc sos "Ik heb nu iemand nodig" >/dev/null
seen b1 b2
for u in b1 b2; do told "$u" "\[SOS\] Ik heb nu iemand nodig" "doc's SOS, end to end"; done
SOS=$(vn b1 --json alerts | grep -o '"alert": "[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
expect_match "b1 claims it" "is claimed" "$(vn b1 claim "$SOS")"
seen b2
told b2 "sos-claimed" "that b1 has it"
expect_match "b2 can no longer claim it" "DENIED|EXISTS|already" "$(vn b2 --json claim "$SOS" 2>&1 || true)"
expect_match "b1 acknowledges it" "is acked|acknowledged" "$(vn b1 ack "$SOS")"
expect_match "the casemanager's alert list has no open alert" "^$|no open alerts|no alerts" "$(vn cm alerts | grep -v acked || true)"
# The reporters hear what became of what they raised, by name.
seen doc n
told doc "sos-claimed: Your SOS was claimed by Anna Bakker" "that b1 (by name) claimed the SOS"
told doc "acknowledged: Your SOS \(case [0-9a-f]{8}\) was acknowledged by Anna Bakker" "that it was acknowledged"
told n "acknowledged: Your signal \(case [0-9a-f]{8}\) was acknowledged by" "that the signal was acknowledged"
# An SOS nobody takes goes up to the casemanager, and doc is told so.
vn doc sos "Nog steeds zwaar" >/dev/null
server_clock advance 16m >/dev/null
wait_inbox doc "escalated: Your SOS was not answered in time and has gone to your casemanager"
pass "doc is told the unanswered SOS went to the casemanager"
wait_inbox cm "escalated: .*SOS of case [0-9a-f]{8} was not answered in time and is now yours"
SOS2=$(vn cm --json alerts | tr '{' '\n' | grep -v '"state": "acked"' | grep -o '"alert": "[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
vn cm ack "$SOS2" >/dev/null
seen doc b1 b2

# ---- 5. a buddy removed ---------------------------------------------------
step "5. the casemanager removes b2: who is told, and b2 is out"
vn cm case remove "$CASE" "$B2" >/dev/null
seen cm doc b1 b2 n
for u in cm doc b1; do told "$u" "member-removed: the casemanager removed the buddy Bert Smit from case $CASE" "b2's removal, by name"; done
told b2 "removed-from-case: your casemanager removed you \(buddy\) from case $CASE" "that they were removed"
not_told n "member-removed" "the removal (a naaste has no dealings with buddies)"
expect_match "b2 can no longer message doc" "DENIED" "$(vn b2 --json send "$DOC" "nog daar?" 2>&1 || true)"

# ---- 6. the case handed over by the programme office ----------------------
step "6. the programme office hands the case to cm2: the old and new casemanager and the case are told"
vn adm case reassign "$CASE" "$CM2" >/dev/null
CMP=cm2
seen cm cm2 doc b1 n
for u in cm cm2 doc b1 n; do
    told "$u" "casemanager-changed: case $CASE is now managed by" "the new casemanager"
done
told doc "casemanager-changed: case $CASE is now managed by $CM2 \(before: casemanager\)" "the old casemanager by the name doc gave them"
expect_match "cm2's caseload has the case" "$HANDLE .*active" "$(vn cm2 caseload)"
expect_match "cm no longer reads it" "unknown or not yours" "$(vn cm case close --yes "$CASE" 2>&1 || true)"
vn cm2 contacts add dokter "$DOC" >/dev/null
vn cm2 send dokter "Ik ben je nieuwe casemanager" >/dev/null
wait_inbox doc "Ik ben je nieuwe casemanager"
pass "doc hears from the new casemanager"
expect_match "doc can no longer message the old one" "DENIED" "$(vn doc --json send "$CM" "hallo?" 2>&1 || true)"

# ---- 7. month two ---------------------------------------------------------
step "7. month two under cm2"
days_until 2027-03-20

# ---- 8. closed and reopened -------------------------------------------------
step "8. cm2 closes the case (confirmed) and reopens it three days later; everyone is told"
vn cm2 case close --yes "$CASE" >/dev/null
seen cm2 doc b1 n
for u in cm2 doc b1 n; do told "$u" "case-closed: case $CASE was closed by its casemanager" "the closure"; done
expect_match "no check-in while the case is closed" "closed|no signed contract|DENIED" "$(vn doc --json checkin 2>&1 || true)"
next_day; next_day; next_day
expect_match "reopened" "case $HANDLE[0-9a-f]* \(active\)" "$(vn cm2 case reopen "$CASE")"
seen cm2 doc b1 n
for u in cm2 doc b1 n; do told "$u" "case-reopened: case $CASE was reopened by its casemanager" "the reopening"; done
days_until 2027-03-31
settle "$(today)"
MAR=$(vn cm2 --json caseload --calendar --month 2027-03)
expect_eq "the three closed days are not missed check-ins" 0 \
    "$(grep -oE '"date": "2027-03-2[0-2]", "checkin": false, "checkin_missed": true' <<< "$MAR" | wc -l)"
expect_eq "nor any other day of March" 0 "$(grep -o '"checkin_missed": true' <<< "$MAR" | wc -l)"

# ---- 9. at the end: what each person has ----------------------------------
step "9. the end of month two: reports, audit log, and nothing left undelivered"
MARR=$(vn cm2 report --case "$CASE" --month 2027-03)
expect_match "March's report: no missed check-in" "check-ins +[0-9]+ done, 0 missed" "$MARR"
AUDIT=$(vn doc audit)
expect_match "doc's audit log shows cm2's reads" "casemanager .* read your" "$AUDIT"
for u in cm cm2 doc b1 n ml; do vn "$u" inbox >/dev/null; done
expect_eq "every mailbox has been read" 0 "$(db_count mailbox)"
finish
