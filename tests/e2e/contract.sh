#!/usr/bin/env bash
# A full 60-month monitoring contract against a real server on the test
# clock: overdue exactly on day 31, reminders before deadlines, absences
# suspend draws, phases change the rate, a relapse with a raised rate keeps
# the contract running, test days per phase match the rates within a
# binomial tolerance, no command shows a participant a future draw, and
# no result, note or clinical state reaches the server's disk.
. "$(dirname "$0")/lib.sh"

step "start the server; enrol a case"
server_init
# It counts every draw of five years at the end: keep all dated records.
server_start --test-clock --sweep 1s --event-retention 3653d
# 07:00 UTC is 08:00 in Amsterdam: inside the 05:00-14:00 check-in window.
server_clock set 2027-01-04T07:00
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
join bud buddy >/dev/null
join ml medical-lead >/dev/null
START=2027-01-04

step "set, read and sign the contract"
ERR=$(vn doc checkin 2>&1 || true)
expect_match "no check-in before a signed contract" 'no signed contract yet' "$ERR"
expect_match "no absence before a contract: its cap comes from it" 'has no contract yet: set it first' \
    "$(vn cm absence add --case "$CASE" 2027-02-01 2027-02-20 2>&1 || true)"
vn cm contract set --case "$CASE" --template default --start "$START" >/dev/null
expect_match "before the signature the waiting contract's cap holds" 'would exceed the 14 days' \
    "$(vn cm absence add --case "$CASE" 2027-02-01 2027-02-20 2>&1 || true)"
expect_match "the participant is told a contract waits" 'contract-set: Version 1 of your contract .* vangnet contract sign --case [0-9a-f]{32}' "$(vn doc inbox)"
expect_match "the participant reads the terms" 'months  1-12      about 4 tests a month' "$(vn doc contract show --case "$CASE")"
expect_match "a buddy may not sign" '"code": "DENIED"' "$(vn bud --json contract sign --case "$CASE" 2>&1 || true)"
vn doc contract sign --case "$CASE" >/dev/null
expect_match "the casemanager is told it was signed" 'contract-signed: The participant signed version 1' "$(vn cm inbox)"
expect_match "the buddy is told too" 'contract-signed: The participant signed version 1' "$(vn bud inbox)"
OUT=$(vn doc --json checkin)
expect_match "check-in answers whether today is a test day" '"test_today": (true|false), "date": "2027-01-04"' "$OUT"
expect_eq "a second check-in gives the same answer" "$OUT" "$(vn doc --json checkin)"

# Day 0: a casemanager contact. Then day by day to day 31.
step "day by day to day 31: reminders, then overdue"
vn cm contact record --case "$CASE" --kind call >/dev/null
day=0
overdue_cm() { vn cm --json caseload | grep -o '"overdue": \[[^]]*\]' | grep -c casemanager-contact || true; }
while [ $day -lt 31 ]; do
    server_clock advance 1d
    day=$((day + 1))
    vn doc checkin >/dev/null
    vn bud contact record --kind call >/dev/null   # buddy and self-help stay on time
    vn doc selfhelp record >/dev/null
    # Day 27 checks that no reminder came yet: give the sweep time to run.
    [ $day -eq 27 ] && { pause_for_sweeps 1.5; R27=$(vn cm inbox); }
    [ $day -eq 28 ] && { wait_inbox cm 'reminder: Your contact with the participant'; R28=$INBOX; }
    if [ $day -lt 31 ] && [ "$(overdue_cm)" != 0 ]; then fail "casemanager contact overdue already on day $day"; fi
done
check "no reminder three days before the deadline" bash -c "! grep -q 'reminder: Your contact' <<< \"\$1\"" _ "$R27"
expect_match "the casemanager is reminded two days before the deadline" 'reminder: Your contact with the participant of case [0-9a-f]{8} is due by 2027-02-03' "$R28"
expect_eq "a casemanager contact missing for 31 days is overdue on day 31" 1 "$(overdue_cm)"
wait_inbox cm 'overdue: Your contact with the participant'
expect_match "the casemanager is told it is overdue" 'overdue: Your contact with the participant of case [0-9a-f]{8} was due by 2027-02-03' "$INBOX"
vn cm contact record --case "$CASE" --kind in-person >/dev/null
expect_eq "a contact clears it" 0 "$(overdue_cm)"

# An approved absence of 14 days in March 2027 suspends draws.
step "an approved absence; the yearly cap"
vn cm absence add --case "$CASE" 2027-03-01 2027-03-14 >/dev/null
expect_match "the yearly absence cap holds" '"code": "DENIED".*would exceed the 14 days' \
    "$(vn cm --json absence add --case "$CASE" 2027-04-01 2027-04-02 2>&1 || true)"

# A test result, a note and a clinical state go end to end, never to the server.
step "results and clinical states go end to end"
CANARY="CANARY-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The server keeps a test only on a day with a draw: find one so far, and a
# day without one. Draws are random (about 4 a month): in the rare run with
# none yet, days go by until there is one.
TODAY=2027-02-04
day_with() {
    for m in 2027-01 2027-02; do vn cm --json caseload --calendar --month $m; done | tr '{' '\n' |
        grep -E "\"test_day\": $1" | grep -o '"date": "2027-0[12]-[0-9]*"' | cut -d'"' -f4 |
        awk -v t="$TODAY" '$1 <= t' | sed -n 1p || true # none yet: the loop below waits
}
DRAW=$(day_with true)
for _ in $(seq 1 20); do
    [ -n "$DRAW" ] && break
    server_clock advance 1d
    TODAY=$(date -u -d "$TODAY + 1 day" +%F)
    settle "$TODAY"
    DRAW=$(day_with true)
done
NODRAW=$(day_with false)
check "a draw day ($DRAW) and a day without ($NODRAW)" test -n "$DRAW" -a -n "$NODRAW"
vn cm test record --case "$CASE" --date "$DRAW" positive --confirmed --note "$CANARY result" >/dev/null
vn cm state record --case "$CASE" relapse --note "$CANARY state" >/dev/null
OUT=$(vn doc inbox)
expect_match "the participant receives the result" "test $DRAW: positive \\(confirmed\\) - $CANARY result" "$OUT"
expect_match "and the clinical state" "state [0-9-]+: relapse - $CANARY state" "$OUT"
OUT=$(vn ml inbox)
expect_match "the medical lead receives the result too" "test $DRAW: positive \\(confirmed\\) - $CANARY result" "$OUT"
expect_match "and the clinical state" "state [0-9-]+: relapse" "$OUT"
check "a buddy does not" bash -c "! grep -q '$CANARY' <<< '$(vn bud inbox)'"
expect_match "the casemanager's report counts the confirmed positive" '"positive": 1, "positive_confirmed": 1' \
    "$(vn cm --json report --case "$CASE" --month "${DRAW:0:7}")"
# A medication exception goes end to end; the server keeps no trace of it.
ABSENCES=$(db_count absences)
expect_match "a medication exception is sent end to end" 'recorded medication 2027-02-10..2027-02-12 \(end to end only\)' \
    "$(vn cm absence add --case "$CASE" --kind medication 2027-02-10 2027-02-12)"
expect_eq "the server stores nothing for it" "$ABSENCES" "$(db_count absences)"
expect_match "the participant receives it" "medication 2027-02-10: 2027-02-12" "$(vn doc inbox)"
vn cm --json caseload --calendar --month 2027-02 > "$T/cal.json"
expect_match "the casemanager's calendar shows it from the device's own record" \
    '"date": "2027-02-11".*"medication": true' "$(tr '{' '\n' < "$T/cal.json" | grep '"date": "2027-02-11"')"

# A missed test is told to the team, but the server does not count it as taken.
vn cm test record --case "$CASE" --date 2027-02-05 missed --note "$CANARY missed" >/dev/null
expect_match "the participant hears of the missed test" "test 2027-02-05: missed - $CANARY missed" "$(vn doc inbox)"
vn cm --json caseload --calendar --month 2027-02 > "$T/cal.json"
expect_match "the day of the missed test has none" '"date": "2027-02-05".*"test_taken": false' \
    "$(tr '{' '\n' < "$T/cal.json" | grep '"date": "2027-02-05"')"
# A test on a day without a draw goes end to end; the server does not keep it.
expect_match "a test on a day without a draw is kept end to end only" \
    "recorded test on $NODRAW \\(no draw that day: end to end only\\)" \
    "$(vn cm test record --case "$CASE" --date "$NODRAW" negative)"
calendar_day() { vn cm --json caseload --calendar --month "${1:0:7}" | tr '{' '\n' | grep "\"date\": \"$1\""; }
expect_match "the day of the positive test has a test taken" '"test_taken": true' "$(calendar_day "$DRAW")"
expect_match "the day without a draw shows no test taken" '"test_taken": false' "$(calendar_day "$NODRAW")"

echo "$TODAY" > "$T/today"

# Months 1-29 under version 1 of the contract.
step "months 1-29 under version 1"
jump_to 2029-06-04
expect_eq "a participant sees no future draw" '"test_days": 0' \
    "$(vn doc --json report --case "$CASE" --month 2029-07 | grep -o '"test_days": [0-9]*')"
step "relapse: version 2 with a raised rate, to the end of the contract"
# Relapse: monitoring goes on, with a raised rate in a re-signed version 2.
vn cm contract set --case "$CASE" --phase 1-12:4 --phase 13-24:2 --phase 25-60:4 >/dev/null
expect_match "version 2 keeps the start and waits for a signature" '"version": 2, .*"start": "2027-01-04".*"signed": false, "signed_version": 1' \
    "$(vn cm --json contract show --case "$CASE")"
vn doc contract sign --case "$CASE" >/dev/null
expect_match "version 2 is in force" '"signed": true, "signed_version": 2' "$(vn cm --json contract show --case "$CASE")"
jump_to 2032-01-10
expect_match "after 60 months nothing is due" '"next_due": null, "overdue": \[\]' "$(vn cm --json caseload)"
expect_match "and the case is completed" '"state": "completed"' "$(vn cm --json case show "$CASE")"

# Count the test days per phase from the casemanager's calendars.
step "test days per phase within the binomial tolerance"
: > "$T/tests"
m=2027-01
while [ "$m" != 2032-02 ]; do
    vn cm --json caseload --calendar --month "$m" > "$T/cal.json"
    { grep -o '"date": "[0-9-]*", "checkin": [a-z]*, "checkin_missed": [a-z]*, "test_day": true' "$T/cal.json" || true; } \
        | cut -d'"' -f4 >> "$T/tests"
    { grep -o '"date": "2027-03-[0-9]*"[^}]*"absent": true' "$T/cal.json" || true; } >> "$T/absent"
    m=$(date -u -d "$m-01 +1 month" +%Y-%m)
done
check "no test day and no missed check-in during the absence" bash -c "! grep -q -e '\"test_day\": true' -e '\"checkin_missed\": true' '$T/absent'"
expect_eq "all 14 absence days are marked" 14 "$(wc -l < "$T/absent")"

# Expected mean and variance per phase: each contract month k (rate r_k,
# length L_k days) contributes r_k/L_k per non-absent day.
for k in $(seq 0 60); do date -u -d "$START +$k months" +%s; done | awk '{print int($1/86400)}' > "$T/months"
ABS_FROM=$(epoch_day 2027-03-01); ABS_TO=$(epoch_day 2027-03-14)
for f in $(cat "$T/tests"); do epoch_day "$f"; done > "$T/testdays"
RESULT=$(awk -v af="$ABS_FROM" -v at="$ABS_TO" '
    FNR == NR { ms[n++] = $1; next }
    { obs[$1]++ }
    END {
        for (k = 1; k <= 60; k++) {
            if (k <= 12) { r = 4; ph = 1 } else if (k <= 24) { r = 2; ph = 2 }
            else if (k <= 29) { r = 1; ph = 3 } else { r = 4; ph = 4 }
            L = ms[k] - ms[k-1]
            for (d = ms[k-1]; d < ms[k]; d++) {
                if (d >= af && d <= at) continue
                p = r / L; mean[ph] += p; var[ph] += p * (1 - p)
                if (d in obs) count[ph]++
            }
        }
        for (ph = 1; ph <= 4; ph++) {
            tol = 4 * sqrt(var[ph]); ok = (count[ph] >= mean[ph] - tol && count[ph] <= mean[ph] + tol)
            printf "phase %d: %d test days, expected %.1f +- %.1f %s\n", ph, count[ph], mean[ph], tol, ok ? "ok" : "OUT"
        }
    }' "$T/months" "$T/testdays")
echo "$RESULT"
for ph in 1 2 3 4; do
    expect_match "phase $ph test days within the binomial tolerance" "^phase $ph: .* ok\$" "$(grep "^phase $ph:" <<< "$RESULT")"
done
# The canary: no result, note or clinical state on the server's disk.
step "no result, note or clinical state on the server's disk"
if grep -raF -e "$CANARY" -e positive -e relapse "$STATE" >/dev/null; then
    fail "a result, note or clinical state reached the server's disk"
else
    pass "no result, note or clinical state on the server's disk"
fi
finish
