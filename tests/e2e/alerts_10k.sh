#!/usr/bin/env bash
# Alerts at scale, the must-show of issue 10: with the alert limits lifted
# one naaste raises 10,000 alerts (VN_ALERTS_COUNT overrides the number).
# The casemanager's list is complete across pages (every alert once),
# ordered (crisis, urgent, concern; oldest first) and paginated (100 and a
# "more" count); the caseload counts what it does not list; another user's
# requests during the casemanager's full listing are answered in their
# usual time (printed; only a generous bound is asserted). The
# participant's audit log, hundreds of entries long, comes in pages too.
# A contact name with an escape sequence is shown escaped.
# About 30 s in a plain build, a minute under AddressSanitizer (labelled
# slow); VN_ALERTS_COUNT=3000 makes it a third of that.
. "$(dirname "$0")/lib.sh"
: "${VN_ALERTFLOOD:?set VN_ALERTFLOOD to the vn_alertflood binary}"
COUNT=${VN_ALERTS_COUNT:-10000}
PAGES=$(( (COUNT + 99) / 100 ))

step "start the server with the alert limits lifted; one case"
server_init
server_start --test-clock --sweep 1s $NOLIMITS --alert-fold 0s --alert-burst 1000000 \
    --alert-per-hour 1000000 --case-alert-burst 1000000 --case-alert-per-hour 1000000
server_clock set 2027-05-03T08:00
new_case cm
DOC=$(join doc participant)
BUD=$(join bud buddy)

# ms_of CMD...: runs CMD (output dropped), prints how long it took in ms.
ms_of() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}
BASE=$(ms_of vn bud alerts)
echo "the buddy's alert list before the flood: $BASE ms"

step "one naaste raises $COUNT alerts"
OUT=$("$VN_ALERTFLOOD" raise "$(invite naaste)" "$CASE" "$COUNT")
echo "$OUT"
expect_match "all $COUNT were accepted" "^raised $COUNT in [0-9]+ ms$" "$OUT"

step "the casemanager's list: complete, ordered, paginated"
FIRST=$(vn cm alerts)
expect_eq "the first page holds 100" 100 "$(grep -c ' case ' <<< "$FIRST")"
expect_match "and says how many more" "^more: $(( COUNT - 100 )) " "$FIRST"
# Another user's requests while the casemanager reads every page.
vn cm --json alerts --all > "$T/all.json" 2> "$T/all.err" &
LISTER=$!
T0=$(date +%s%N)
SLOWEST=0
N=0
while kill -0 "$LISTER" 2>/dev/null && [ "$N" -lt 20 ]; do
    MS=$(ms_of vn bud alerts)
    [ "$MS" -gt "$SLOWEST" ] && SLOWEST=$MS
    N=$((N + 1))
done
wait "$LISTER" && RC=0 || RC=$?
T1=$(date +%s%N)
echo "the casemanager listed $COUNT alerts in $PAGES pages in about $(( (T1 - T0) / 1000000 )) ms"
echo "meanwhile the buddy's alert list was answered $N times, the slowest in $SLOWEST ms (before: $BASE ms)"
expect_eq "the full listing succeeded" 0 "$RC"
check "another user was served during the listing" test "$N" -ge 1
check "another user's request took under 5 s" test "$SLOWEST" -lt 5000
IDS=$(grep -o '"alert": "[0-9a-f]*"' "$T/all.json" | cut -d'"' -f4)
expect_eq "every alert is listed" "$COUNT" "$(grep -c . <<< "$IDS")"
expect_eq "each once" "$COUNT" "$(sort -u <<< "$IDS" | grep -c .)"
SEVS=$(grep -o '"severity": "[a-z]*"' "$T/all.json" | cut -d'"' -f4 | uniq | tr '\n' ' ')
expect_eq "ordered: crisis, then urgent, then concern" "crisis urgent concern " "$SEVS"
for s in crisis urgent concern; do
    C=$(grep -o "\"severity\": \"$s\", \"state\": \"[a-z]*\", \"claimed_by\": \"[0-9a-f]*\", \"level\": [0-9]*, \"created\": \"[^\"]*\"" "$T/all.json" |
        grep -o '"created": "[^"]*"' | cut -d'"' -f4)
    expect_eq "$s alerts oldest first" "$(sort <<< "$C")" "$C"
done

step "the caseload lists the most urgent and counts the rest"
CL=$(vn cm --json caseload)
expect_match "it counts the alerts it does not list" "\"alerts_more\": $(( COUNT - 8 ))" "$CL"
expect_match "and says so on the terminal" "\\(\\+$(( COUNT - 8 )) more alerts: vangnet alerts\\)" "$(vn cm caseload --wide)"
expect_match "and the 100-column line counts them all beside the worst" "^  [0-9a-f]{8}  .* [A-Z]+ [a-z]+ \\+$(( COUNT - 1 ))" "$(vn cm caseload)"

step "the participant's audit log comes in pages"
OUT=$("$VN_ALERTFLOOD" read "$(invite medical-lead)" "$CASE" 600)
echo "$OUT"
expect_match "a medical lead read the case 600 times" '^read 600 in [0-9]+ ms$' "$OUT"
AUD=$(vn doc audit)
expect_eq "the first page holds 512 entries" 512 "$(grep -c ' read your ' <<< "$AUD")"
MORE=$(sed -n 's/^more: \([0-9]*\) .*/\1/p' <<< "$AUD")
check "and says how many more" test -n "$MORE"
ALLAUD=$(vn doc --json audit --all)
expect_eq "--all reads every page" $(( 512 + ${MORE:-0} )) "$(grep -o '"reader": ' <<< "$ALLAUD" | wc -l)"
check "600 reads of the lead and $((PAGES + 2)) of the casemanager at least" \
    test "$(grep -o '"reader": ' <<< "$ALLAUD" | wc -l)" -ge $(( 600 + PAGES + 2 ))
expect_match "the JSON is one valid document" '^\[.*\]$' "$(tr -d '\n' <<< "$ALLAUD")"

step "a contact name with an escape sequence is shown escaped"
vn cm contacts add $'Dr\e[2J\rX' "$DOC" >/dev/null
SHOW=$(vn cm case show --wide "$CASE")
expect_match "case show escapes it" 'participant +Dr\\e\[2J\\rX \([0-9a-f]{32}\)' "$SHOW"
check "no raw escape reaches the terminal" test "$(grep -c $'\e' <<< "$SHOW")" -eq 0
finish
