#!/usr/bin/env bash
# Storage quotas and the crisis reserve: a buddy flooding its participant
# is stopped by the recipient's quota with an error that names it, while
# the participant of another case raises an SOS that reaches its buddies
# and casemanager. The counts survive a restart, the quota frees up when
# the recipient fetches, a sender's daily quota counts a team message once
# and starts over the next day, and once the store is full for ordinary
# messages an SOS and its reports still get through.
. "$(dirname "$0")/lib.sh"

step "bad quota options are refused by name"
server_init
bad() { "$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" "$@" 2>&1 && echo "exit 0" || true; }
expect_match "a reserve past half the map" '--crisis-reserve must be 1..50 \(percent\), not 90' "$(bad --crisis-reserve 90)"
expect_match "a recipient's quota that is not a number" '--quota-recipient-bytes must be 1..1048576 MiB, not lots' \
    "$(bad --quota-recipient-bytes lots)"

step "start a server with a 3 MiB store and small quotas; two cases"
# Small quotas, rate limits lifted (this is about volume), a 10% reserve.
QUOTAS="--quota-recipient-envelopes 20 --quota-sender-envelopes 40 --crisis-reserve 10"
# shellcheck disable=SC2086
server_start --test-clock --sweep 1s --map-size 3 $NOLIMITS $QUOTAS
server_clock set 2027-05-03T08:00
new_case cm
CASE_A=$CASE
DOC_A=$(join docA participant)
join budA buddy >/dev/null
join budA2 buddy >/dev/null
new_case cm
DOC_B=$(join docB participant)
join b1 buddy >/dev/null
join b2 buddy >/dev/null

step "a buddy flooding its participant hits the recipient's quota"
RC=0
ERR=$(seq -f "flood-%03g" 1 50 | vn budA --json --timeout 5 send "$DOC_A" --stdin 2>&1) || RC=$?
expect_eq "the flooder is told to retry later (exit 3)" 3 "$RC"
expect_match "with the code of a full store" '"code": "FULL"' "$ERR"
# `send --stdin` reports only the code; a send of what the outbox kept
# shows the server's words.
RC=0
ERR=$(vn budA --json send "$DOC_A" --stdin </dev/null 2>&1) || RC=$?
expect_eq "the kept message waits (exit 3)" 3 "$RC"
expect_match "with an error that names the recipient's quota and when it frees up" \
    '"code": "FULL".*recipient.s quota reached \(messages\): their mailbox is full \(it holds at most 20 undelivered messages.*once they fetch their mail' "$ERR"
expect_eq "the mailbox holds exactly its quota" 20 "$(db_count_prefix mailbox "$DOC_A")"

step "meanwhile an SOS in the other case reaches its buddies and casemanager"
OUT=$(vn docB sos "help me B")
expect_match "the participant is told the SOS went out" 'SOS sent to your 2 buddies' "$OUT"
expect_match "buddy 1 of case B sees it" '\[SOS\] help me B -- take it: vangnet claim [0-9a-f]{32}' "$(vn b1 inbox)"
expect_match "buddy 2 of case B sees it" '\[SOS\] help me B' "$(vn b2 inbox)"
vn cm inbox >/dev/null
server_clock advance 16m
wait_inbox cm "escalated: The urgent SOS of case"
pass "unclaimed, it reaches case B's casemanager"

step "the counts survive a restart"
server_stop
# shellcheck disable=SC2086
server_start --test-clock --sweep 1s --map-size 3 $NOLIMITS $QUOTAS
RC=0
ERR=$(vn budA --json send "$DOC_A" --stdin </dev/null 2>&1) || RC=$?
expect_eq "after a restart the kept message is still refused (exit 3)" 3 "$RC"
expect_match "by the recipient's quota: the count survived" 'recipient.s quota reached \(messages\)' "$ERR"

step "the quota frees up once the recipient fetches"
OUT=$(vn docA inbox)
expect_eq "the participant reads the 20 stored messages" 20 "$(grep -c 'flood-' <<< "$OUT")"
vn budA send "$DOC_A" --stdin </dev/null
expect_match "then the kept message goes out" 'flood-021$' "$(vn docA inbox)"
expect_eq "and nothing waits for the participant" 0 "$(db_count_prefix mailbox "$DOC_A")"

step "a team message counts once against its sender"
# 14 team messages to the three others of the team (participant,
# casemanager, buddy) are 42 envelopes, more than the sender's 40 a day,
# but 14 messages.
seq -f "team-%02g" 1 14 | vn budA2 send --case "$CASE_A" --stdin
expect_match "all 14 reach the participant" 'team-14$' "$(vn docA inbox)"
expect_match "and the casemanager" 'team-14$' "$(vn cm inbox)"

step "the sender's daily quota"
# budA has sent 21 messages today, and its first team message hands its
# sender key to the three others first (three 1:1 messages of one size,
# counted once): 18 more are allowed.
RC=0
ERR=$(seq -f "day-%02g" 1 30 | vn budA --json --timeout 5 send --case "$CASE_A" --stdin 2>&1) || RC=$?
expect_eq "past 40 messages a day the sender is told to wait (exit 3)" 3 "$RC"
RC=0
ERR=$(vn budA --json send --case "$CASE_A" --stdin </dev/null 2>&1) || RC=$?
expect_eq "the kept message waits (exit 3)" 3 "$RC"
expect_match "by an error that names the sender's quota and when it starts over" \
    '"code": "FULL".*sender.s quota reached \(messages\): you sent 40 messages .*after midnight UTC' "$ERR"
expect_match "with a retry-after" 'retry after [0-9]+ ms' "$ERR"
expect_match "what fitted arrived" 'day-18$' "$(vn docA inbox)"
server_clock advance 1d
vn budA send --case "$CASE_A" --stdin </dev/null
expect_match "the next day the kept message goes out" 'day-19$' "$(vn docA inbox)"

step "fill the store for ordinary messages"
server_stop
# Quotas lifted so one sender can fill the store.
BIG="--quota-recipient-envelopes 1000000 --quota-sender-envelopes 1000000"
BIG+=" --quota-sender-bytes 1024 --quota-recipient-bytes 1024 --crisis-reserve 10"
# shellcheck disable=SC2086
server_start --test-clock --sweep 1s --map-size 3 $NOLIMITS $BIG
LINE=$(head -c 16000 /dev/zero | tr '\0' 'x')
RC=0
ERR=$(for i in $(seq 1 500); do echo "fill-$i $LINE"; done |
    vn budA --json --timeout 5 send "$DOC_A" --stdin 2>&1) || RC=$?
expect_eq "the flooder is told the storage is full (exit 3)" 3 "$RC"
expect_match "in those words" '"code": "FULL".*storage is full' "$ERR"
# The server refuses as soon as a batch may cross the threshold (its guess
# errs on the full side), so what waits in the outbox may still fit in part:
# retry until the store takes no more.
PREV=-1 SAME=0
for _ in $(seq 1 30); do
    N=$(db_count_prefix mailbox "$DOC_A")
    if [ "$N" -eq "$PREV" ]; then SAME=$((SAME + 1)); else SAME=0; fi
    [ "$SAME" -ge 3 ] && break
    PREV=$N
    sleep 0.3 # past the server's 200 ms between walks of the free pages
    vn budA --timeout 5 send "$DOC_A" --stdin </dev/null >/dev/null 2>&1 || true
done
check "the store took what fitted ($(db_count_prefix mailbox "$DOC_A") messages)" \
    test "$(db_count_prefix mailbox "$DOC_A")" -gt 20
RC=0
ERR=$(vn cm --json send "$DOC_B" "ordinary" 2>&1) || RC=$?
expect_eq "another ordinary message waits too (exit 3)" 3 "$RC"
expect_match "because the storage is full" 'storage is full' "$ERR"
RC=0
ERR=$(vn cm --json invite --case "$CASE_A" --role buddy 2>&1) || RC=$?
expect_match "an invitation waits as well" '"code": "FULL".*storage is full' "$ERR"

step "with the store full for ordinary messages, an SOS still gets through"
OUT=$(vn docB sos "help me again")
expect_match "the participant is told the SOS went out" 'SOS sent to your 2 buddies' "$OUT"
INB=$(vn b1 inbox)
expect_match "buddy 1 gets the SOS report" '\[SOS\] help me again -- take it' "$INB"
expect_match "and the server's notice of it" 'sos: SOS: the participant of case' "$INB"
expect_match "buddy 2 gets the SOS report" '\[SOS\] help me again' "$(vn b2 inbox)"
S=$(grep -o 'vangnet claim [0-9a-f]*' <<< "$INB" | tail -n1 | cut -d' ' -f3)
expect_match "a buddy can claim it" 'is claimed' "$(vn b1 claim "$S")"
expect_match "the participant hears who has it" 'sos-claimed: Your SOS was claimed by' "$(vn docB inbox)"
finish
