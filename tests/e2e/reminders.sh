#!/usr/bin/env bash
# Reminders from the schedule, on the test clock, with the sweep set to ten
# minutes so that everything the scheduler does here follows from the clock
# moving (the server sweeps at once when `vangnetd clock` moves it):
# - a participant who has not checked in is reminded when the window opens
#   (05:00; held past quiet hours that end at 07:00) and once more at 13:00,
#   an hour before it closes; each once, across a restart; none after a
#   check-in, none on an approved absence day;
# - the casemanager, not the participant, is reminded before the monthly
#   contact falls due;
# - buddies are reminded of an SOS nobody claimed: once after five minutes,
#   again when it goes to the casemanager after fifteen.
# Times below are UTC; Amsterdam is one hour ahead in January.
. "$(dirname "$0")/lib.sh"

# count_in TEXT REGEX: lines of TEXT that match REGEX.
count_in() { grep -Ec -- "$2" <<< "$1" || true; }
# lacks TEXT REGEX: no line of TEXT matches REGEX.
lacks() { ! grep -Eq -- "$2" <<< "$1"; }
# seen PROFILE: everything PROFILE's inbox showed so far, kept in $T/PROFILE.seen.
seen() { vn "$1" inbox >> "$T/$1.seen"; cat "$T/$1.seen"; }
# wait_seen PROFILE REGEX: reads PROFILE's inbox until what it showed matches.
seen_has() { grep -Eq -- "$2" <<< "$(seen "$1")"; }
wait_seen() { wait_for "/$2/ in the inbox of $1" "${3:-10}" seen_has "$1" "$2"; }

step "start the server (sweep every 10 min); a case with a signed contract"
server_init
server_start --test-clock --sweep 10m --sos-window 15m
server_clock set 2027-01-03T18:00
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
B1=$(join b1 buddy)
B2=$(join b2 buddy)
vn doc contacts add anna "$B1" >/dev/null
vn cm contract set --case "$CASE" --template default --start 2027-01-04 >/dev/null
vn doc contract sign --case "$CASE" >/dev/null
vn doc quiet-hours 22:00-07:00 >/dev/null
seen doc >/dev/null
seen cm >/dev/null

step "the window opens at 05:00 inside the participant's quiet hours: no reminder yet"
server_clock set 2027-01-04T04:30   # 05:30 in Amsterdam
pause_for_sweeps 1
expect_eq "no check-in reminder during quiet hours" 0 "$(count_in "$(seen doc)" 'checkin-open')"

step "the quiet hours end at 07:00: the held reminder comes at once"
server_clock set 2027-01-04T06:05   # 07:05
wait_seen doc 'checkin-open: Your check-in for today \(2027-01-04\) is open until 14:00: vangnet checkin'
pass "the reminder says until when and what to run"
server_clock advance 30m
pause_for_sweeps 1
expect_eq "exactly one window-open reminder" 1 "$(count_in "$(seen doc)" 'checkin-open')"

step "an hour before the window closes, one more reminder"
server_clock set 2027-01-04T12:05   # 13:05
wait_seen doc 'checkin-closing: You have not checked in today \(2027-01-04\); the window closes at 14:00: vangnet checkin'
pass "the closing reminder came"
step "a restart sends neither reminder again"
server_stop
server_start --test-clock --sweep 10m --sos-window 15m
server_clock advance 10m
pause_for_sweeps 1.5
expect_eq "still one window-open reminder" 1 "$(count_in "$(seen doc)" 'checkin-open')"
expect_eq "and one closing reminder" 1 "$(count_in "$(seen doc)" 'checkin-closing')"
server_clock set 2027-01-04T13:10   # 14:10: the window has closed
wait_seen cm 'checkin-missed: The participant of case [0-9a-f]{8} did not check in on 2027-01-04'
pass "the casemanager hears the check-in was missed"

step "checked in before the window-open reminder could go out: no reminders that day"
server_clock set 2027-01-05T04:10   # 05:10, quiet hours
vn doc checkin >/dev/null
server_clock set 2027-01-05T06:10   # 07:10
server_clock set 2027-01-05T12:10   # 13:10
pause_for_sweeps 1
OUT=$(seen doc)
check "no reminder on a day with a check-in" lacks "$OUT" '2027-01-05'

step "no reminder on an approved absence day"
vn cm absence add --case "$CASE" 2027-01-07 2027-01-08 >/dev/null
server_clock set 2027-01-07T06:10   # 07:10
server_clock set 2027-01-07T12:10   # 13:10
pause_for_sweeps 1
OUT=$(seen doc)
check "no reminder while away" lacks "$OUT" '2027-01-07'
server_clock set 2027-01-09T06:10   # the day after the absence: reminded again
wait_seen doc 'checkin-open: .*\(2027-01-09\)'
pass "reminded again the day after the absence"
vn doc checkin >/dev/null

step "the casemanager is reminded before the monthly contact falls due; the participant is not"
# No contact yet: the first is due 30 days after the start, by
# 2027-02-03, and the reminder comes two days ahead.
server_clock set 2027-01-31T09:00
pause_for_sweeps 1
check "not three days ahead" lacks "$(seen cm)" 'reminder: Your contact'
server_clock set 2027-02-01T09:00
wait_seen cm "reminder: Your contact with the participant of case ${CASE:0:8} is due by 2027-02-03\. Once you have spoken, record it: vangnet contact record --case $CASE --kind"
pass "the casemanager's reminder names the case and the command"
check "the participant is not reminded of the casemanager's contact" \
    lacks "$(seen doc)" 'casemanager-contact|casemanager contact|Your contact with the participant'
server_clock advance 1d
pause_for_sweeps 1
expect_eq "the reminder is sent once, not every day of its window" 1 \
    "$(count_in "$(seen cm)" 'reminder: Your contact with the participant')"

step "an SOS nobody claims: buddies reminded after five minutes, again at fifteen"
server_clock set 2027-02-02T10:00
vn doc sos "need help" >/dev/null
wait_for "the SOS at the first buddy" 10 seen_has b1 'sos: SOS: the participant of case'
seen b2 >/dev/null
server_clock advance 4m
pause_for_sweeps 1
check "no reminder after four minutes" lacks "$(seen b1)" 'sos-unclaimed'
server_clock advance 2m
wait_seen b1 'sos-unclaimed: The SOS of case [0-9a-f]{8} has waited 6 minutes and nobody has taken it\. Take it: vangnet claim [0-9a-f]{32}'
wait_seen b2 'sos-unclaimed: The SOS of case'
pass "both buddies are reminded"
server_clock advance 3m
pause_for_sweeps 1
expect_eq "once" 1 "$(count_in "$(seen b1)" 'sos-unclaimed')"
server_clock advance 7m
wait_seen b1 'sos-unclaimed: .*has waited 16 minutes and nobody has taken it; the casemanager has been told too\. Take it'
wait_seen cm 'escalated: The urgent SOS of case'
wait_seen doc 'escalated: Your SOS was not answered in time and has gone to your casemanager'
pass "at the window the buddies are reminded again, the casemanager and the participant told"
server_clock advance 10m
pause_for_sweeps 1
expect_eq "twice in all" 2 "$(count_in "$(seen b1)" 'sos-unclaimed')"

finish
