#!/usr/bin/env bash
# Garbage on every newer command line: each gets a clear error naming what
# was wrong, a non-zero exit, and nothing is written.
. "$(dirname "$0")/lib.sh"

step "start the server; a case with a participant"
server_init
server_start --test-clock
server_clock set 2027-01-04T20:00    # 21:00 in Amsterdam
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)

step "bad contract terms"
err() { local rc=0 out; out=$("$@" 2>&1) || rc=$?; [ $rc -ne 0 ] || out="UNEXPECTED SUCCESS: $out"; printf '%s' "$out"; }
expect_match "a bad phase is named" '--phase wants FROM-TO:RATE such as 1-12:4, not 1-12' \
    "$(err vn cm contract set --case "$CASE" --phase 1-12)"
expect_match "phases that leave gaps are refused" 'contract terms are not valid' \
    "$(err vn cm contract set --case "$CASE" --phase 1-12:4 --phase 20-60:1)"
expect_match "a bad window is named" '--window wants HH:MM-HH:MM, not 5-14' \
    "$(err vn cm contract set --case "$CASE" --window 5-14)"
expect_match "a bad start date is refused" 'contract terms are not valid' \
    "$(err vn cm contract set --case "$CASE" --start 2027-02-30)"
step "check-in, absences and records"
vn cm contract set --case "$CASE" >/dev/null
vn doc contract sign --case "$CASE" >/dev/null
expect_match "a check-in outside the window says when it opens" 'check-in is open 05:00-14:00 \(server time 21:00\)' \
    "$(err vn doc checkin)"
expect_match "an impossible absence date is named" 'FROM and TO must be dates YYYY-MM-DD' \
    "$(err vn cm absence add --case "$CASE" 2027-13-01 2027-01-02)"
expect_match "an absence ending before it starts is refused" 'FROM and TO must be dates' \
    "$(err vn cm absence add --case "$CASE" 2027-03-10 2027-03-01)"
expect_match "a future record is refused" 'is in the future' \
    "$(err vn cm contact record --case "$CASE" --kind call --date 2031-01-01)"
expect_match "an unknown contact kind is named" 'contact record .*--kind chat\|call\|video\|in-person' \
    "$(err vn cm contact record --case "$CASE" --kind smoke-signal)"
expect_match "an unknown test result is named" 'negative\|positive\|dilute\|missed' \
    "$(err vn cm test record --case "$CASE" --date 2027-01-04 unclear)"
expect_match "bad quiet hours are named" 'usage: vangnet quiet-hours \[HH:MM-HH:MM \| off\]' \
    "$(err vn cm quiet-hours 25:00-07:00)"
expect_match "a bad calendar month is named" '--month wants YYYY-MM, not 2027-1' \
    "$(err vn cm caseload --calendar --month 2027-1)"
expect_match "a bad case id is named" 'not a case id \(32 hex characters\)' "$(err vn cm case show nonsense)"
expect_match "an unknown alert is named" 'no alert [0-9a-f]{32} that you can see' \
    "$(err vn cm ack 0123456789abcdef0123456789abcdef)"
step "server options"
expect_match "the server refuses a bad time zone" '--tz must be a zone name' \
    "$(err "$VANGNETD" run --state "$T/other" --tz 'Europe Amsterdam')"
expect_match "and a bad SOS window" '--sos-window must be a duration such as 15m' \
    "$(err "$VANGNETD" run --state "$T/other" --sos-window soon)"
expect_match "and bad rate limits" '--rate-burst must be a whole number from 1' \
    "$(err "$VANGNETD" run --state "$T/other" --rate-burst 0)"
expect_match "and a retention too short for the schedule" '--event-retention must be a duration from 2d to 3653d' \
    "$(err "$VANGNETD" run --state "$T/other" --event-retention 1d)"
expect_match "and no room for connections" '--max-connections must be 1..1000000' \
    "$(err "$VANGNETD" run --state "$T/other" --max-connections 0)"
expect_match "and no send queue" '--send-queue must be 1..10000' \
    "$(err "$VANGNETD" run --state "$T/other" --send-queue 0)"
expect_match "and a kernel send buffer too small" '--socket-buffer must be 4096..16777216 bytes' \
    "$(err "$VANGNETD" run --state "$T/other" --socket-buffer 100)"
expect_match "and a bad alert limit" '--alert-burst must be a whole number from 1' \
    "$(err "$VANGNETD" run --state "$T/other" --alert-burst many)"
expect_match "and a bad fold window" '--alert-fold must be a duration such as 1h, or 0s' \
    "$(err "$VANGNETD" run --state "$T/other" --alert-fold soon)"
step "nothing was written"
expect_eq "nothing was recorded by any of it" 0 "$(db_count absences)"
check "the server still runs" kill -0 "$SERVER_PID"
finish
