#!/usr/bin/env bash
# The server keeps only what its rules need, only as long as they need it.
# On the test clock: a superseded contract version is gone once the next is
# signed; an alert once acknowledged (after an escalation too); dated
# records older than the retention are cut to what the schedule needs,
# which still gives the same deadlines; notices keep one record per kind
# and item; and a closed case is purged after its retention. The store
# checker walks what is left, and a scan of a clear copy of the store (made
# with the key) finds no trace of the purged case.
. "$(dirname "$0")/lib.sh"
: "${VN_STORECHECK:?set VN_STORECHECK}" "${VN_METADATA:?set VN_METADATA}" "${VN_DISKSCAN:?set VN_DISKSCAN}"

step "a case under a contract"
server_init
server_start --test-clock --sweep 1s --case-retention 30d
server_clock set 2031-03-03T07:00
echo 2031-03-03 > "$T/today"
join cm casemanager >/dev/null
new_case cm
join doc participant >/dev/null
join b1 buddy >/dev/null
join ml medical-lead >/dev/null
vn cm contract set --case "$CASE" --template default --start 2031-03-03 >/dev/null
vn doc contract sign --case "$CASE" >/dev/null

step "a new contract version supersedes the old"
vn cm contract set --case "$CASE" --phase 1-12:4 --phase 13-24:2 --phase 25-60:4 >/dev/null
expect_eq "the version in force and the one waiting are kept" 2 "$(db_count contracts)"
vn doc contract sign --case "$CASE" >/dev/null
expect_match "version 2 is in force" '"version": 2, .*"signed": true' "$(vn cm --json contract show --case "$CASE")"
expect_eq "version 1 is gone" 1 "$(db_count contracts)"

step "alerts are kept only until acknowledged"
vn b1 signal X05 >/dev/null
A1=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "the alert is open" test -n "$A1"
vn cm ack "$A1" >/dev/null
expect_eq "acknowledged, it is gone" 0 "$(db_count alerts)"
vn b1 signal X05 >/dev/null
server_clock advance 2h
wait_inbox ml "escalated: The crisis signal of case"
A2=$(grep -o 'vangnet ack [0-9a-f]\{32\}' <<< "$INBOX" | head -1 | cut -d' ' -f3)
vn ml ack "$A2" >/dev/null
expect_eq "escalated and then acknowledged, it is gone too" 0 "$(db_count alerts)"

step "dated records are cut to what the schedule needs"
jump_to 2031-03-13
vn cm contact record --case "$CASE" --kind call >/dev/null   # day 10: the deadline counts from here
jump_to 2031-06-21
EVENTS=$(db_count events)
# 62 days of a missed check-in and a draw each, plus the last contact and
# the untested draws still due: far less than the 110 days run.
check "at most 62 days of records and a few older ones are kept ($EVENTS)" test "$EVENTS" -le 140
vn cm --json caseload --calendar --month 2031-03 > "$T/march.json"
vn cm --json caseload --calendar --month 2031-06 > "$T/june.json"
expect_eq "March's missed check-ins are gone" 0 "$(grep -o '"checkin_missed": true' "$T/march.json" | wc -l)"
check "June's are there" test "$(grep -o '"checkin_missed": true' "$T/june.json" | wc -l)" -gt 10
expect_match "the contact deadline still counts from the kept last contact (day 10 + 30)" \
    '"overdue": \[[^]]*\{"kind": "casemanager-contact", "date": "2031-04-12"\}' "$(vn cm --json caseload)"
check "notices keep one record per kind and item ($(db_count notices))" test "$(db_count notices)" -le 12

step "a closed case is purged after its retention"
vn cm case close --yes "$CASE" >/dev/null
server_clock advance 31d
wait_for "the closed case to be purged" 20 db_count_is cases 0
for db in members memberof contracts events absences sched notices alerts attest disclosures; do
    expect_eq "no $db record is left" 0 "$(db_count "$db")"
done
server_stop

step "the store checker and a clear copy agree"
store_copy "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) || true
expect_match "what is left is as documented" ' 0 problems$' "$(tail -n1 <<< "$OUT")"
CLEAR=$("$VN_DISKSCAN" "$T/plain" <<< "id case $CASE") && RC=0 || RC=$?
expect_eq "even with the key, the purged case's id is nowhere" 0 "$RC"
grep '^FOUND' <<< "$CLEAR" | sed 's/^/    /' || true
finish
