#!/usr/bin/env bash
# Announcements: a member removed, a case handed to another casemanager, a
# naaste and then the participant deleting their account mid-contract, a
# case closed (with confirmation) and reopened within its retention, and
# refused after it. Each notice reaches exactly the people it affects, and
# carries only ids, roles and days (checked against the store's mailbox).
. "$(dirname "$0")/lib.sh"

step "start the server; a case under contract with a participant, two buddies and a naaste"
server_init
server_start --test-clock --sweep 1s --case-retention 30d
server_clock set 2027-03-01T07:00
CM=$(join cm casemanager)
CM2=$(join cm2 casemanager)
join adm admin >/dev/null
new_case cm
P=$(join p participant)
B1=$(join b1 buddy)
B2=$(join b2 buddy)
N=$(join n naaste)
vn cm contract set --case "$CASE" --template default --start 2027-03-01 >/dev/null
vn p contract sign --case "$CASE" >/dev/null
# What each person has been told so far is not the point: start empty.
for u in cm cm2 p b1 b2 n; do vn "$u" inbox >/dev/null; done

# inbox_of NAME: NAME's inbox now (the notices are stored before the
# command that caused them returns, so no wait is needed).
inbox_of() { vn "$1" inbox; }
# told NAME REGEX DESCRIPTION / not_told NAME REGEX DESCRIPTION, over $SEEN[NAME].
declare -A SEEN
read_all() { for u in "$@"; do SEEN[$u]=$(inbox_of "$u"); done; }
told() { expect_match "$1 $3" "$2" "${SEEN[$1]}"; }
not_told() { check "$1 is not told: $3" bash -c "! grep -Eq -- '$2' <<< \"\$1\"" _ "${SEEN[$1]}"; }

step "a buddy removed: the casemanager, the participant and the other buddy are told, and the buddy"
vn cm case remove "$CASE" "$B2" >/dev/null
read_all cm p b1 b2 n
for u in cm p b1; do told "$u" "member-removed: the casemanager removed the buddy $B2 from case $CASE" "of the removal"; done
told b2 "removed-from-case: your casemanager removed you \(buddy\) from case $CASE" "that they were removed"
not_told n "member-removed" "a naaste does not message buddies"

step "reassignment: the new and the old casemanager and everyone in the case are told"
vn cm case reassign "$CASE" "$CM2" >/dev/null
read_all cm cm2 p b1 n b2
for u in cm cm2 p b1 n; do
    told "$u" "casemanager-changed: case $CASE is now managed by $CM2 \(before: $CM\)" "of the new casemanager"
done
not_told b2 "casemanager-changed" "a removed buddy is no longer in the case"
expect_match "reassigning to the casemanager it already has is refused" "already manages case" \
    "$(vn cm2 case reassign "$CASE" "$CM2" 2>&1 || true)"
expect_match "the old casemanager no longer manages it" "unknown or not yours" \
    "$(vn cm case remove "$CASE" "$B1" 2>&1 || true)"

step "a naaste deletes their account: the casemanager and the participant are told, not the buddy"
vn n delete-account --yes >/dev/null
read_all cm2 p b1 cm
for u in cm2 p; do told "$u" "member-left: a naaste of case $CASE deleted their account and left" "that the naaste left"; done
not_told cm2 "$N" "the deleted account's id (it leaves no trace)"
not_told b1 "member-left" "a buddy does not message naasten"
not_told cm "member-left" "the old casemanager has handed the case over"

step "closing asks for confirmation: refused without a terminal, a wrong answer keeps it open"
RC=0; OUT=$(vn cm2 case close "$CASE" 2>&1 < /dev/null) || RC=$?
expect_eq "without a terminal and without --yes: a usage error" 2 "$RC"
expect_match "it says how" "needs a confirmation: run it on a terminal, or add --yes" "$OUT"
# script(1) gives the client a terminal and types the answer.
tty_close() { printf '%s\n' "$1" | script -qec "$VANGNET --profile $T/cm2 case close $CASE" /dev/null; }
RC=0; OUT=$(tty_close no 2>&1) || RC=$?
expect_eq "a wrong answer on the terminal: refused" 1 "$RC"
expect_match "the prompt names the case and what to type" "Type the case \($CASE\) or yes to close it" "$OUT"
expect_match "and says it was not closed" "not closed: the confirmation did not match" "$OUT"
expect_match "the case is still open" "case ${CASE:0:8}[0-9a-f]* \(active\)" "$(vn cm2 case show "$CASE")"

step "closed on the terminal by typing the case: everyone in it is told until when it can be reopened"
RC=0; OUT=$(tty_close "$CASE" 2>&1) || RC=$?
expect_eq "typing the case closes it" 0 "$RC"
expect_match "the reply shows it closed" "${CASE:0:8}[0-9a-f]* \(closed\)" "$OUT"
UNTIL=$(date -u -d "2027-03-01 + 29 days" +%F)
read_all cm2 p b1
for u in cm2 p b1; do
    told "$u" "case-closed: case $CASE was closed by its casemanager; they can reopen it until $UNTIL" "of the closure"
done
expect_match "a closed case takes no messages" "DENIED" "$(vn p --json send "$B1" "still there?" 2>&1 || true)"

step "reopened within its retention: active again under its contract, and everyone is told"
server_clock advance 10d
expect_match "only its casemanager reopens it" "unknown or not yours" \
    "$(vn cm case reopen "$CASE" 2>&1 || true)"
expect_match "a case that is open cannot be reopened" "is intake, not closed" \
    "$(vn cm2 case reopen "$(vn cm2 case new)" 2>&1 || true)"
expect_match "reopened" "case ${CASE:0:8}[0-9a-f]* \(active\)" "$(vn cm2 case reopen "$CASE")"
read_all cm2 p b1
for u in cm2 p b1; do told "$u" "case-reopened: case $CASE was reopened by its casemanager $CM2" "of the reopening"; done
vn p send "$B1" "back again" >/dev/null
wait_inbox b1 "back again"
pass "messages flow again after the reopening"
expect_eq "the days it was closed are not missed check-ins" 0 \
    "$(vn cm2 --json caseload --calendar --month 2027-03 | grep -o '"date": "2027-03-0[3-9]"[^}]*"checkin_missed": true' | wc -l)"

step "the participant deletes their account mid-contract: casemanager and buddy are told"
vn p delete-account --yes >/dev/null
read_all cm2 b1
for u in cm2 b1; do
    told "$u" "member-left: the participant of case $CASE deleted their account and left; their casemanager decides what follows" "that the participant left"
done

step "past its retention the case cannot be reopened"
vn cm2 case close --yes "$CASE" >/dev/null
server_clock advance 31d
OUT=$(vn cm2 case reopen "$CASE" 2>&1) && RC=0 || RC=$?
expect_eq "refused" 1 "$RC"
expect_match "with a clear error (purged or about to be)" "retention.*purged.*cannot be reopened|purged.*retention.*cannot be reopened" "$OUT"
wait_for "the closed case to be purged" 20 db_count_is cases 1
OUT=$(vn cm2 case reopen "$CASE" 2>&1) && RC=0 || RC=$?
expect_match "once purged the error still says why it cannot come back" \
    "a closed case is purged 30 days after it closed \(--case-retention\) and cannot be reopened" "$OUT"

step "the notices in the mailbox carry ids, roles and days only"
# The notices above expired with the 31 days; two new ones wait unread.
new_case cm2
B3=$(join b3 buddy)
vn cm2 case close --yes "$CASE" >/dev/null
expect_eq "the closure waits in the mailboxes of the casemanager and the buddy" 2 "$(db_count mailbox)"
server_stop
store_copy "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) || true
expect_match "the store is as docs/METADATA.md describes it" ' 0 problems$' "$(tail -n1 <<< "$OUT")"
finish
