#!/usr/bin/env bash
# The participant's own view against a real server on the test clock:
# `vangnet calendar` shows the check-in window, absences and contact
# minimums with their next deadlines, and never a test day ahead (even
# when the server's store holds draws for days to come, planted here);
# the casemanager's test-day instructions (site, hours, cut-off) travel
# end to end, are shown at a test-day check-in, and never reach the
# server's disk; quiet-hours reads back its setting.
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
join bud buddy >/dev/null
vn cm contract set --case "$CASE" --template default --start 2027-01-04 --months 12 \
    --phase 1-12:31 >/dev/null
vn doc contract sign --case "$CASE" >/dev/null
vn doc inbox >/dev/null

step "the casemanager sets test-day instructions; they travel end to end"
SITE="Lab Noord $(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'), room 3"
OUT=$(vn cm contract instructions --case "$CASE" --site "$SITE" --hours "Mon-Fri 08:00-12:00" \
    --cutoff 11:00)
expect_match "the casemanager is told what was set" "give the sample at $SITE, Mon-Fri 08:00-12:00, before 11:00" "$OUT"
check "the site is nowhere on the server's disk while it waits there" bash -c "! grep -rqaF '$SITE' '$STATE'"
wait_inbox doc 'instructions'
expect_match "the participant's device receives them" \
    "\\[instructions\\] on a test day, give your sample at $SITE, Mon-Fri 08:00-12:00, before 11:00" "$INBOX"
expect_match "and keeps them" "give the sample at $SITE" "$(vn doc contract instructions)"
RC=0; ERR=$(vn bud contract instructions --case "$CASE" --site elsewhere --cutoff 10:00 2>&1) || RC=$?
expect_match "a buddy may not set them" 'only the casemanager of case' "$ERR"
expect_eq "and is refused with exit 1" 1 "$RC"
RC=0; vn cm contract instructions --case "$CASE" --site x --cutoff 25:00 >/dev/null 2>&1 || RC=$?
expect_eq "a bad cut-off is a usage error" 2 "$RC"
RC=0; vn cm contract instructions --case "$CASE" --site "$(printf 'a\nb')" --cutoff 10:00 >/dev/null 2>&1 || RC=$?
expect_eq "a site of two lines is a usage error" 2 "$RC"

step "plant draws for days to come in the server's store"
# The server draws a day only on that day; a participant's calendar must
# not show a draw ahead even if one were there. events: case|day|kind.
for d in 2027-01-05 2027-01-06 2027-01-07 2027-01-20; do
    printf ' %s%08x07\n 00000001\n' "$CASE" "$(epoch_day "$d")"
done | { echo HEADER=END; cat; echo DATA=END; } | store_load events
expect_match "the casemanager's calendar shows a planted draw" '"date": "2027-01-20".*"test_day": true' \
    "$(vn cm --json caseload --calendar --month 2027-01 | tr '{' '\n' | grep '"date": "2027-01-20"')"

step "the participant's calendar before check-in: no test day shown"
vn doc --json calendar > "$T/cal.json"
check "no day carries a test_day" bash -c "! grep -q test_day '$T/cal.json'"
check "no day is a test not given" bash -c "! grep -q '\"test_not_given\": true' '$T/cal.json'"
# The raw month the server gives the participant (their own report reads
# it): no draw today before the check-in, none ahead.
vn doc --json report --case "$CASE" --month 2027-01 > "$T/rep.json"
expect_eq "the server gives the participant no draw (planted ahead, or today before check-in)" 0 \
    "$(grep -o '"drawn": true' "$T/rep.json" | wc -l)"
expect_match "the check-in window" '"checkin_window": "05:00-14:00"' "$(cat "$T/cal.json")"
expect_match "the instructions" "\"instructions\": \"at $SITE, Mon-Fri 08:00-12:00, before 11:00\"" "$(cat "$T/cal.json")"

step "a test-day check-in shows the instructions"
OUT=$(vn doc checkin)
expect_match "today is a test day" 'TODAY IS A TEST DAY' "$OUT"
expect_match "with where and by when" "Test today at $SITE, Mon-Fri 08:00-12:00, before 11:00\\." "$OUT"
expect_match "in JSON too" "\"instructions\": \"Test today at $SITE" "$(vn doc --json checkin)"
expect_eq "after the check-in the participant sees today's draw, none ahead" 1 \
    "$(vn doc --json report --case "$CASE" --month 2027-01 | grep -o '"drawn": true' | wc -l)"

step "contacts and an absence; the days go by"
vn cm contact record --case "$CASE" --kind call >/dev/null
vn bud contact record --kind chat >/dev/null
vn doc selfhelp record >/dev/null
vn cm absence add --case "$CASE" 2027-01-25 2027-01-27 >/dev/null
jump_to 2027-01-12
vn doc checkin >/dev/null
vn doc --json calendar > "$T/cal.json"
expect_match "the casemanager minimum with its next deadline" \
    '"kind": "casemanager-contact", "every_days": 30, "last": "2027-01-04", "next_due": "2027-02-03", "overdue": false' \
    "$(cat "$T/cal.json")"
expect_match "the buddy contact is overdue since its deadline" \
    '"kind": "buddy-contact", "every_days": 7, "last": "2027-01-04", "next_due": "2027-01-11", "overdue": true' \
    "$(cat "$T/cal.json")"
expect_match "the approved absence" '"absences": \[\{"from": "2027-01-25", "to": "2027-01-27"\}\]' "$(cat "$T/cal.json")"
expect_match "a missed check-in of the past is shown" '"date": "2027-01-05", "checkin": false, "checkin_missed": true' \
    "$(cat "$T/cal.json")"
expect_match "a past test day without a test is shown as not given" \
    '"date": "2027-01-06", [^}]*"test_not_given": true' "$(cat "$T/cal.json")"
AHEAD=$(tr '{' '\n' < "$T/cal.json" | grep '"date": "2027-01-\(1[2-9]\|2[0-9]\|3[01]\)"' | grep -c '"test_not_given": true' || true)
expect_eq "no test day from today on, though one is planted on the 20th" 0 "$AHEAD"
expect_eq "the server still gives no draw ahead" 0 \
    "$(vn doc --json report --case "$CASE" --month 2027-01 | tr '{' '\n' | grep '"drawn": true' | grep -c '"date": "2027-01-\(1[3-9]\|2[0-9]\|3[01]\)"' || true)"

step "the calendar as text, at 80 columns"
vn doc calendar > "$T/cal.txt"
cat "$T/cal.txt"
expect_match "the window and today's check-in" 'check-in +daily 05:00-14:00; today done' "$(cat "$T/cal.txt")"
expect_match "the minimums" 'casemanager +every 30 days; last 2027-01-04; next by 2027-02-03' "$(cat "$T/cal.txt")"
expect_match "the overdue one" 'buddy contact +every 7 days; last 2027-01-04; OVERDUE since 2027-01-11' "$(cat "$T/cal.txt")"
expect_match "the absence" 'approved: 2027-01-25..2027-01-27' "$(cat "$T/cal.txt")"
check "no line is wider than 80 columns" bash -c "! awk 'length > 80' '$T/cal.txt' | grep -q ."
check "the grid shows no T from today on" bash -c \
    "! sed -n '/Mon/,\$p' '$T/cal.txt' | grep -Eq '(1[2-9]|2[0-9]|3[01]) [A-Z]*T'"

step "quiet hours read back"
vn doc quiet-hours 22:00-07:00 >/dev/null
expect_match "quiet-hours without an argument shows the setting" 'quiet hours 22:00-07:00' "$(vn doc quiet-hours)"

step "only a participant has this calendar"
RC=0; ERR=$(vn cm calendar 2>&1) || RC=$?
expect_match "a casemanager is pointed to their own views" 'caseload --calendar' "$ERR"
expect_eq "with exit 1" 1 "$RC"
check "the site never reached the server's disk" bash -c "! grep -rqaF '$SITE' '$STATE'"

finish
