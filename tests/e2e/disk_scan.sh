#!/usr/bin/env bash
# What a copy of the state directory gives away: nothing. A realistic run
# (two cases, one with a participant, two buddies and a naaste, the other
# with its own participant; 1:1 and team messages, some read and deleted; a
# contract, check-ins, test results (positive, dilute, negative, missed),
# signals, an SOS with a claim, an escalation, a disclosure, a removal and
# an account deletion), then, with the server stopped, every byte of every
# file under the state directory (data.mdb with its free pages, the lock
# file, the key files, the rest) is searched for every account, case, alert
# and read message id and every device key (raw, hex in both cases, base64
# and base64url), for role and severity words, and for the text of every
# message, note and SOS sent. The scan is
# vn_diskscan (tests/e2e/diskscan.c); a finding names what and where.
#
# Before vn_kv hashed keys (sealed values only), the ids of every account,
# case and alert lay raw in the LMDB keys and this test failed on each; the
# sender ids inside queued envelopes are in sealed values and were never
# found. Taking the sender out of envelopes is about what the server knows,
# not what its disk shows: this test does not depend on it.
. "$(dirname "$0")/lib.sh"
: "${VN_DISKSCAN:?set VN_DISKSCAN}"

acct() { vn "$1" whoami | cut -d' ' -f1; }
TAG=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Every text sent below (messages, notes, SOS); the scan looks for each.
TEXTS=("Goedemorgen $TAG, donderdag om tien uur bellen?" "Het was een zware week $TAG"
    "Zin in een wandeling $TAG" "Teamoverleg $TAG: wie neemt zaterdag" "Ik maak me zorgen over $TAG"
    "Hij drinkt weer $TAG" "Crisisnotitie $TAG" "Help me nu $TAG" "Na het vertrek van de buddy $TAG"
    "Uitslag besproken $TAG" "Tweede casus $TAG" "Uitslag verdund $TAG")

step "a case and its people"
server_init
server_start --test-clock --sweep 1s --sos-window 15m
server_clock set 2031-03-03T08:00
join cm casemanager >/dev/null
new_case cm
join doc participant >/dev/null
join b1 buddy >/dev/null
join b2 buddy >/dev/null
join nst naaste >/dev/null
join ml medical-lead >/dev/null
declare -A ID
CASE1=$CASE
CASE=$(vn cm case new)   # a second case, with a participant of its own
CASE2=$CASE
join doc2 participant >/dev/null
CASE=$CASE1
for u in cm doc b1 b2 nst ml doc2; do ID[$u]=$(acct "$u"); done

step "1:1 and team messages, some read, some waiting"
vn cm send "${ID[doc]}" "${TEXTS[0]}"
# Read and acknowledged: deleted on the server, so only free pages could
# still hold it; its message id is a needle.
MIDS=$(vn doc --json inbox | grep -o '"id": "[0-9a-f]*"' | cut -d'"' -f4)
check "a read message has an id" test -n "$MIDS"
vn doc send "${ID[cm]}" "${TEXTS[1]}"
vn b1 send "${ID[doc]}" "${TEXTS[2]}"
vn b1 send --case "$CASE" "${TEXTS[3]}"
vn nst send "${ID[cm]}" "${TEXTS[4]}"
MIDS+=" $(vn b2 --json inbox | grep -o '"id": "[0-9a-f]*"' | cut -d'"' -f4)"
vn doc2 send "${ID[cm]}" "${TEXTS[10]}"

step "contract, check-ins, records"
vn cm contract set --case "$CASE" >/dev/null
vn doc contract sign --case "$CASE" >/dev/null
vn doc checkin >/dev/null
vn cm contact record --case "$CASE" --kind call >/dev/null
vn cm absence add --case "$CASE" 2031-04-01 2031-04-03 >/dev/null
vn b1 case show "$CASE" >/dev/null
server_clock advance 2d
wait_for "the scheduler to queue notices" 20 db_count_at_least notices 1
vn doc checkin >/dev/null
vn cm test record --case "$CASE" --date 2031-03-05 positive --note "${TEXTS[9]}" >/dev/null
vn cm test record --case "$CASE" --date 2031-03-05 dilute --note "${TEXTS[11]}" >/dev/null
vn cm test record --case "$CASE" --date 2031-03-05 negative >/dev/null
vn cm test record --case "$CASE" --date 2031-03-05 missed >/dev/null

step "signals and an SOS"
vn nst signal E01 --case "$CASE" --note "${TEXTS[5]}" >/dev/null
vn b1 signal X05 --note "${TEXTS[6]}" >/dev/null
SOS=$(vn doc --json sos "${TEXTS[7]}" | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
vn b2 claim "$SOS" >/dev/null
ALERTS=$(vn cm --json alerts | grep -o '"alert": "[0-9a-f]*"' | cut -d'"' -f4)
check "the alerts are listed" test -n "$ALERTS"
# Left alone past its window, the crisis signal goes up to the medical lead.
server_clock advance 2h
wait_inbox ml "escalated: The crisis signal of case"
vn cm quiet-hours 00:00-23:59 >/dev/null
vn nst signal E02 --case "$CASE" >/dev/null   # a concern notice held in quiet hours
step "a disclosure, attested by both"
vn cm disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null
vn ml disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null

step "a removal and a deletion"
vn cm case remove "$CASE" "${ID[b2]}" >/dev/null
vn cm send --case "$CASE" "${TEXTS[8]}"
vn nst delete-account --yes >/dev/null
# The device keys (CURVE public keys) the server knows, read with the key.
DEVICES=$(store_dump -s devices | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d && /^ /{n++; if (n % 2 == 1) print $1}')
expect_eq "the server knows the six remaining devices (the naaste deleted hers)" 6 "$(wc -w <<< "$DEVICES")"
server_stop

step "scan every file of the state directory"
{
    for m in $MIDS; do echo "id message $m"; done
    for d in $DEVICES; do echo "id device $d"; done
    for u in "${!ID[@]}"; do echo "id account:$u ${ID[$u]}"; done
    echo "id case:1 $CASE"
    echo "id case:2 $CASE2"
    for a in $ALERTS $SOS; do echo "id alert $a"; done
    for w in participant casemanager buddy naaste concern urgent crisis; do echo "text word $w"; done
    for t in "${TEXTS[@]}"; do echo "text message $t"; done
    echo "text tag $TAG"
} > "$T/needles"
RC=0
OUT=$("$VN_DISKSCAN" "$STATE" < "$T/needles") || RC=$?
grep -E '^(scanned|[0-9]+ needles)' <<< "$OUT" || true
check "every file under the state directory was scanned" grep -q "scanned $STATE/data.mdb" <<< "$OUT"
if [ "$RC" -eq 0 ]; then
    pass "no id, role, severity or text on the disk"
else
    fail "found on the disk:"
    grep '^FOUND' <<< "$OUT" | sed 's/^/    /'
fi

# The scan can see: in a copy of the same store made in the clear (with the
# key) it finds the ids and a role, so a clean disk above means sealed, not
# a blind scanner.
step "the same scan of a clear copy finds them"
: "${VN_STORETOOL:?set VN_STORETOOL}"
mkdir "$T/plain"
"$VN_STORETOOL" copy "$STORE_KEY" "$STATE" "$T/plain"
CLEAR=$("$VN_DISKSCAN" "$T/plain" < "$T/needles") || true
expect_match "the case id, raw" 'FOUND case:1 as raw bytes' "$CLEAR"
expect_match "the participant's account id, raw" 'FOUND account:doc as raw bytes' "$CLEAR"
expect_match "an alert id, raw" 'FOUND alert as raw bytes' "$CLEAR"
expect_match "a device key, raw" 'FOUND device as raw bytes' "$CLEAR"
finish
