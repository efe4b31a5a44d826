#!/usr/bin/env bash
# Alerts at scale: a naaste raising signal after signal hits the per-
# reporter limit with an error naming it and when to retry, while the
# participant's SOS still gets through; alike signals fold into one
# alert; with a few hundred alerts stored
# (limits lifted) the casemanager's list is complete across pages and
# ordered (crisis, urgent, concern; oldest first), and another case's
# escalated crisis is on the medical lead's first page.
. "$(dirname "$0")/lib.sh"

step "start the server with its default alert limits; two cases"
server_init
server_start --test-clock --sweep 1s
server_clock set 2027-05-03T08:00
CM=$(join cm casemanager)
ML=$(join ml medical-lead)
new_case cm2
CASE2=$CASE
join doc2 participant >/dev/null
join nst2 naaste >/dev/null
new_case cm
DOC=$(join doc participant)
join nst naaste >/dev/null

# The other case's crisis is the oldest alert on the server.
vn nst2 signal X01 --case "$CASE2" >/dev/null
server_clock advance 1m

step "a flooding naaste hits the per-reporter limit"
for i in $(seq 1 12); do vn nst signal E01 --case "$CASE" >/dev/null; done
OUT=$(vn nst signal E01 --case "$CASE" 2>&1) && RC=0 || RC=$?
check "the 13th signal in a burst is refused" test "$RC" -ne 0
expect_match "naming the limit and when to retry" 'rate limit: you raised too many signals in this case; retry after [0-9]+ s' "$OUT"
expect_eq "the twelve alike signals folded into one alert" 1 "$(vn cm --json alerts | grep -o '"severity": "concern"' | wc -l)"
vn doc signal E01 >/dev/null
expect_eq "another reporter's alike signal folds too" 1 "$(vn cm --json alerts | grep -o '"severity": "concern"' | wc -l)"
vn doc signal P08 >/dev/null
expect_eq "a more severe one is an alert of its own" 1 "$(vn cm --json alerts | grep -o '"severity": "urgent"' | wc -l)"
expect_match "the participant's SOS still gets through" 'sos|SOS' "$(vn doc sos 2>&1)"

step "lift the limits; a few hundred alerts"
server_stop
server_start --test-clock --sweep 1s $NOLIMITS --alert-fold 0s --alert-burst 1000000 --alert-per-hour 1000000 \
    --case-alert-burst 1000000 --case-alert-per-hour 1000000
for i in $(seq 1 100); do vn nst signal E01 --case "$CASE" >/dev/null; done
for i in $(seq 1 80); do vn nst signal P08 --case "$CASE" >/dev/null; done
for i in $(seq 1 60); do vn nst signal X05 --case "$CASE" >/dev/null; done
# Folding off: 1 + 100 concerns, 1 + 80 urgent, 60 crisis signals and one SOS.
ALL=$(vn cm --json alerts --all)
N=$(grep -o '"alert": ' <<< "$ALL" | wc -l)
expect_eq "the casemanager's list is complete across pages" 243 "$N"
FIRST=$(vn cm alerts)
expect_eq "the first page holds 100" 100 "$(grep -c ' case ' <<< "$FIRST")"
expect_match "and says how many more" '^more: 143 ' "$FIRST"
SEVS=$(grep -o '"severity": "[a-z]*"' <<< "$ALL" | cut -d'"' -f4 | uniq | tr '\n' ' ')
expect_eq "ordered: crisis, then urgent, then concern" "crisis urgent concern " "$SEVS"
CREATED=$(grep -o '"severity": "concern", "state": "[a-z]*", "claimed_by": "[0-9a-f]*", "level": [0-9]*, "created": "[^"]*"' <<< "$ALL" | grep -o '"created": "[^"]*"' | cut -d'"' -f4)
expect_eq "oldest first within a severity" "$(sort <<< "$CREATED")" "$CREATED"

step "the other case's escalated crisis is on the medical lead's first page"
server_clock advance 61m
pause_for_sweeps 2.5
MLP=$(vn ml --json alerts 2>/dev/null)
expect_match "it is there" "\"case\": \"$CASE2\", \"kind\": \"signal\", \"severity\": \"crisis\"" "$MLP"
expect_match "and first: it is the oldest crisis" "^\\[\\{\"alert\": \"[0-9a-f]*\", \"case\": \"$CASE2\"" "$MLP"
T0=$(date +%s%N)
vn cm --json alerts --all >/dev/null
T1=$(date +%s%N)
echo "listing 243 alerts in 3 pages took $(( (T1 - T0) / 1000000 )) ms"
finish
