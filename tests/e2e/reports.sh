#!/usr/bin/env bash
# The monthly report against a real server on the test clock: a month of
# check-ins, tests, corrections, contacts and alerts is made step by step
# while this script keeps its own tally; the report's totals (text, JSON
# and CSV, parsed here with grep and awk) must equal that tally. Recording
# a test again replaces its result (a correction the participant and the
# medical lead see as OLD -> NEW), and a positive is "pending confirmation"
# to everyone until the casemanager confirms it.
. "$(dirname "$0")/lib.sh"

step "start the server; a case whose every day is a test day"
server_init
server_start --test-clock --sweep 1s --event-retention 3653d
# 07:00 UTC is inside the 05:00-14:00 check-in window.
server_clock set 2027-01-04T07:00
echo 2027-01-04 > "$T/today"
join cm casemanager >/dev/null
new_case cm
join doc participant >/dev/null
join ml medical-lead >/dev/null
join bud buddy >/dev/null
# 31 tests a month: every contract day is drawn, so the tally is certain.
vn cm contract set --case "$CASE" --template default --start 2027-01-04 --months 12 \
    --phase 1-12:31 >/dev/null
vn doc contract sign --case "$CASE" >/dev/null
vn doc inbox >/dev/null
vn ml inbox >/dev/null

# The tally this script keeps, independently of the client.
CHECKINS=0 TESTS_TAKEN=0 RESULTS=0 CORRECTIONS=0 RECORDS_MADE=0
NEG=0 POS_PENDING=0 POS_CONFIRMED=0 DILUTE=0 MISSED_RESULT=0
CM_CONTACTS=0 BUDDY_CONTACTS=0 SELFHELP=0
# next_day: the clock moves a day on and the scheduler closes the last.
next_day() {
    jump_to "$(date -u -d "$(cat "$T/today") + 1 day" +%F)"
}

step "2027-01-04: a positive is pending until the casemanager confirms it"
expect_match "the check-in says it is a test day" "TEST DAY" "$(vn doc checkin)"
CHECKINS=$((CHECKINS + 1))
vn cm contact record --case "$CASE" --kind call >/dev/null
CM_CONTACTS=$((CM_CONTACTS + 1))
OUT=$(vn cm test record --case "$CASE" --date 2027-01-04 positive --note "first sample")
RECORDS_MADE=$((RECORDS_MADE + 1)) TESTS_TAKEN=$((TESTS_TAKEN + 1))
expect_match "the casemanager is told it is pending until confirmed" \
    'pending confirmation.*positive --confirmed' "$OUT"
wait_inbox doc 'test 2027-01-04'
expect_match "the participant sees it as pending, not as a result" \
    'test 2027-01-04: positive \(pending confirmation: not a result until the casemanager confirms it\) - first sample' "$INBOX"
wait_inbox ml 'test 2027-01-04'
expect_match "the medical lead sees it as pending too" \
    'test 2027-01-04: positive \(pending confirmation' "$INBOX"
expect_match "the casemanager's report counts it pending" '"positive": 1, "positive_confirmed": 0, "dilute": 0, "missed": 0}, "positive_pending": 1' \
    "$(vn cm --json report --case "$CASE" --month 2027-01)"
OUT=$(vn cm test record --case "$CASE" --date 2027-01-04 positive --confirmed --note "lab confirmed")
RECORDS_MADE=$((RECORDS_MADE + 1)) CORRECTIONS=$((CORRECTIONS + 1))
expect_match "confirming is a correction, OLD -> NEW" \
    'corrected the test of 2027-01-04: positive-pending -> positive-confirmed' "$OUT"
wait_inbox doc 'correction'
expect_match "the participant sees the confirmation as a correction" \
    'test 2027-01-04: positive \(confirmed\) \(correction: positive-pending -> positive-confirmed\) - lab confirmed' "$INBOX"
wait_inbox ml 'correction'
expect_match "the medical lead sees it too" 'correction: positive-pending -> positive-confirmed' "$INBOX"
expect_match "the participant's history keeps both, the correction after the first" \
    'positive \(pending confirmation.*positive-pending -> positive-confirmed' \
    "$(vn doc history | tr '\n' ' ')"
OUT=$(vn cm test record --case "$CASE" --date 2027-01-04 positive --confirmed --note "lab confirmed")
expect_match "the same result again changes nothing and sends nothing" 'nothing changed, nothing sent' "$OUT"
POS_CONFIRMED=$((POS_CONFIRMED + 1)) RESULTS=$((RESULTS + 1))
expect_match "--confirmed is for a positive only" 'confirms a positive result' \
    "$(vn cm test record --case "$CASE" --date 2027-01-04 negative --confirmed 2>&1 || true)"

step "2027-01-05: a negative; a buddy's signal, acknowledged"
next_day
vn doc checkin >/dev/null
CHECKINS=$((CHECKINS + 1))
vn cm test record --case "$CASE" --date 2027-01-05 negative >/dev/null
RECORDS_MADE=$((RECORDS_MADE + 1)) TESTS_TAKEN=$((TESTS_TAKEN + 1)) NEG=$((NEG + 1)) RESULTS=$((RESULTS + 1))
vn bud signal E01 --note "tired" >/dev/null
ALERT=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
check "the casemanager sees the buddy's signal" test -n "$ALERT"
vn cm ack "$ALERT" >/dev/null
ALERTS=1

step "2027-01-06: no check-in, no test"
next_day

step "2027-01-07: a negative corrected to dilute (note with a comma and quotes); the participant's signal stays open"
next_day
vn doc checkin >/dev/null
CHECKINS=$((CHECKINS + 1))
vn cm test record --case "$CASE" --date 2027-01-07 negative >/dev/null
RECORDS_MADE=$((RECORDS_MADE + 1)) TESTS_TAKEN=$((TESTS_TAKEN + 1))
vn cm test record --case "$CASE" --date 2027-01-07 dilute --note 'lab "B", re-run asked' >/dev/null
RECORDS_MADE=$((RECORDS_MADE + 1)) CORRECTIONS=$((CORRECTIONS + 1)) DILUTE=$((DILUTE + 1)) RESULTS=$((RESULTS + 1))
wait_inbox doc 'test 2027-01-07: dilute'
expect_match "the participant sees the correction" 'dilute \(correction: negative -> dilute\)' "$INBOX"
vn doc signal E02 >/dev/null
ALERTS=$((ALERTS + 1)) ALERTS_OPEN=1

step "2027-01-08: a missed test (the server is not told)"
next_day
vn doc checkin >/dev/null
CHECKINS=$((CHECKINS + 1))
vn cm test record --case "$CASE" --date 2027-01-08 missed >/dev/null
RECORDS_MADE=$((RECORDS_MADE + 1)) MISSED_RESULT=$((MISSED_RESULT + 1)) RESULTS=$((RESULTS + 1))

step "2027-01-09: a negative taken back as missed; contacts; then no more until February"
next_day
vn doc checkin >/dev/null
CHECKINS=$((CHECKINS + 1))
vn cm test record --case "$CASE" --date 2027-01-09 negative >/dev/null
RECORDS_MADE=$((RECORDS_MADE + 1))
OUT=$(vn cm test record --case "$CASE" --date 2027-01-09 missed --note "no sample after all")
RECORDS_MADE=$((RECORDS_MADE + 1)) CORRECTIONS=$((CORRECTIONS + 1)) MISSED_RESULT=$((MISSED_RESULT + 1)) RESULTS=$((RESULTS + 1))
expect_match "a test corrected to missed is taken back on the server" \
    'the server no longer counts a test taken on 2027-01-09' "$OUT"
expect_match "and the correction is told" 'corrected the test of 2027-01-09: negative -> missed' "$OUT"
vn bud contact record --kind chat >/dev/null
BUDDY_CONTACTS=$((BUDDY_CONTACTS + 1))
vn doc selfhelp record >/dev/null
SELFHELP=$((SELFHELP + 1))
jump_to 2027-02-02

step "the tally of the month, counted here"
# Every day from the 4th to the 31st is drawn (28); tests taken on the
# 4th, 5th and 7th (the 9th's was taken back); no check-in on the 6th and
# from the 10th (1 + 22).
TEST_DAYS=28
CHECKINS_MISSED=$((28 - CHECKINS))
# Missed: drawn days past without a test and without a result (the 6th,
# the 10th to the 31st), and those recorded missed (the 8th, the 9th).
TESTS_MISSED=$((1 + 22 + MISSED_RESULT))
# Overdue: the buddy contact and the self-help group (last on the 9th, due
# on the 16th), and each drawn day without a test (6th, 8th, 9th, 10th-31st).
OVERDUE=$((2 + 3 + 22))
expect_eq "eight outcomes were recorded for five tests" "8 5" "$RECORDS_MADE $RESULTS"

step "the report's JSON totals equal the tally"
vn cm --json report --case "$CASE" --month 2027-01 > "$T/report.json"
# A total: in the "totals" object (a day's list has keys of the same name).
total() { sed 's/.*"totals": //' "$T/report.json" | grep -oE "\"$1\": [0-9]+" | head -n 1 | awk '{print $2}'; }
expect_eq "check-ins" "$CHECKINS" "$(total checkins)"
expect_eq "missed check-ins" "$CHECKINS_MISSED" "$(total checkins_missed)"
expect_eq "test days" "$TEST_DAYS" "$(total test_days)"
expect_eq "tests taken" "$TESTS_TAKEN" "$(total tests_taken)"
expect_eq "tests missed" "$TESTS_MISSED" "$(total tests_missed)"
expect_eq "results: one per test, not one per record" "$RESULTS" "$(total results_total)"
expect_eq "negative" "$NEG" "$(total negative)"
expect_eq "positive confirmed" "$POS_CONFIRMED" "$(total positive_confirmed)"
expect_eq "positive pending" "$POS_PENDING" "$(total positive_pending)"
expect_eq "dilute" "$DILUTE" "$(total dilute)"
expect_eq "missed results" "$MISSED_RESULT" "$(total missed)"
expect_eq "corrections" "$CORRECTIONS" "$(total corrections)"
expect_eq "casemanager contacts" "$CM_CONTACTS" "$(total casemanager_contacts)"
expect_eq "buddy contacts" "$BUDDY_CONTACTS" "$(total buddy_contacts)"
expect_eq "self-help" "$SELFHELP" "$(total selfhelp)"
expect_eq "overdue items" "$OVERDUE" "$(total overdue)"
expect_eq "alerts" "$ALERTS" "$(total alerts)"
expect_eq "alerts still open" "$ALERTS_OPEN" "$(total alerts_open)"
# The lists agree with their totals.
LIST() { tr '{' '\n' < "$T/report.json" | grep -c "$1" || true; }
expect_eq "the tests listed: every drawn day" "$TEST_DAYS" "$(LIST '"drawn": true')"
expect_eq "missed check-ins listed" "$CHECKINS_MISSED" \
    "$(grep -o '"checkins_missed": \[[^]]*\]' "$T/report.json" | grep -o '"2027-01-[0-9]*"' | wc -l)"
expect_match "the overdue buddy contact is listed with its deadline" \
    '"kind": "buddy-contact", "date": "2027-01-16"' "$(cat "$T/report.json")"
expect_match "the test taken back is not taken, and missed" \
    '"date": "2027-01-09", "drawn": true, "taken": false, "missed": true, "result": "missed", "corrects": "negative"' \
    "$(cat "$T/report.json")"
expect_match "the corrected test shows what it corrects" \
    '"date": "2027-01-07", "drawn": true, "taken": true, "missed": false, "result": "dilute", "corrects": "negative"' \
    "$(cat "$T/report.json")"

step "the CSV export: RFC 4180, parsed with awk; totals equal the tally"
vn cm report --case "$CASE" --month 2027-01 --csv > "$T/report.csv"
expect_eq "the header" 'section,date,item,value,note' "$(head -n 1 "$T/report.csv" | tr -d '\r')"
check "every line ends in CRLF" bash -c "[ \"\$(grep -c \$'\\r\$' '$T/report.csv')\" = \"\$(wc -l < '$T/report.csv')\" ]"
csv_total() { tr -d '\r' < "$T/report.csv" | awk -F, -v k="$1" '$1 == "total" && $3 == k {print $4}'; }
expect_eq "CSV check-ins" "$CHECKINS" "$(csv_total checkins)"
expect_eq "CSV missed check-ins" "$CHECKINS_MISSED" "$(csv_total checkins_missed)"
expect_eq "CSV tests missed" "$TESTS_MISSED" "$(csv_total tests_missed)"
expect_eq "CSV results" "$RESULTS" "$(csv_total results)"
expect_eq "CSV positive confirmed" "$POS_CONFIRMED" "$(csv_total results_positive-confirmed)"
expect_eq "CSV corrections" "$CORRECTIONS" "$(csv_total corrections)"
expect_eq "CSV overdue" "$OVERDUE" "$(csv_total overdue)"
expect_eq "CSV alerts" "$ALERTS" "$(csv_total alerts)"
# Rows are counted the same way the totals are.
expect_eq "one CSV row per missed check-in" "$CHECKINS_MISSED" \
    "$(tr -d '\r' < "$T/report.csv" | awk -F, '$1 == "checkin" && $4 == "missed"' | wc -l)"
expect_eq "one CSV row per correction" "$CORRECTIONS" \
    "$(tr -d '\r' < "$T/report.csv" | awk -F, '$1 == "correction"' | wc -l)"
check "a note with a comma and quotes is one quoted field" \
    grep -qF 'test,2027-01-07,taken,dilute,"lab ""B"", re-run asked"' "$T/report.csv"

step "the text report, at 80 columns"
vn cm report --case "$CASE" --month 2027-01 > "$T/report.txt"
cat "$T/report.txt"
expect_match "results with pending and confirmed told apart" \
    "results +$RESULTS: $NEG negative, $POS_PENDING positive pending confirmation" "$(cat "$T/report.txt")"
expect_match "a correction shows OLD -> NEW, with the note" \
    '2027-01-04  taken +positive, confirmed +correction: positive-pending -> positive-confirmed; lab confirmed' \
    "$(tr '\n' ' ' < "$T/report.txt")"
check "no line is wider than 80 columns" bash -c "! awk 'length > 80' '$T/report.txt' | grep -q ."

step "the participant's own report counts the same results from their device"
vn doc inbox >/dev/null
vn doc --json report --case "$CASE" --month 2027-01 > "$T/doc.json"
expect_eq "the participant's results" "$RESULTS $CORRECTIONS" \
    "$(grep -o '"results_total": [0-9]*' "$T/doc.json" | awk '{print $2}') $(grep -o '"corrections": [0-9]*' "$T/doc.json" | awk '{print $2}')"
check "no result or note reached the server's disk" bash -c \
    "! grep -rqaF 're-run asked' '$STATE' && ! grep -rqaF 'lab confirmed' '$STATE'"

step "bad command lines"
RC=0; vn cm report --case "$CASE" --month 2027-1 >/dev/null 2>&1 || RC=$?
expect_eq "a bad month is a usage error" 2 "$RC"
RC=0; vn cm --json report --case "$CASE" --month 2027-01 --csv >/dev/null 2>&1 || RC=$?
expect_eq "--csv with --json is a usage error" 2 "$RC"
RC=0; vn bud report --case "$CASE" --month 2027-01 >/dev/null 2>&1 || RC=$?
expect_eq "a buddy may not read the case's month" 1 "$RC"

finish
