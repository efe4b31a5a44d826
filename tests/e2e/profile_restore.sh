#!/usr/bin/env bash
# Restoring a profile from a backup (docs/CLIENT-STORE.md): a copy taken
# while no command ran, put back after more messages were sent, followed
# by `vangnet profile restore`. The restored profile's Signal sessions and
# sender keys went back in time; without the restore step its next message
# would reuse a counter the recipient has seen and be dropped as a
# duplicate. With it every message arrives, 1:1 and to the team, both ways.
source "$(dirname "$0")/lib.sh"

server_init
server_start
CM=$(join cm casemanager)
new_case cm
P=$(join p participant)
B=$(join b buddy)

# ids of the messages an inbox printed
texts() { sed -n 's/.*"text": "\([^"]*\)".*/\1/p' <<< "$1" | sort | tr '\n' ' '; }

step "messages before the backup"
vn p send "$CM" "p1 before"
vn p send --case "$CASE" "team before"
vn cm send "$P" "cm1 before"
OUT=$(vn cm --json inbox; vn b --json inbox; vn p --json inbox)
expect_match "the casemanager has p's message" "p1 before" "$OUT"
expect_match "the buddy has the team message" "team before" "$OUT"
expect_match "p has the casemanager's" "cm1 before" "$OUT"

step "back up p's profile (no command runs)"
cp -a "$T/p" "$T/p.backup"

step "more messages after the backup"
for i in 1 2 3; do vn p send "$CM" "p after $i"; done
vn p send --case "$CASE" "team after"
vn cm send "$P" "cm after"
vn p inbox >/dev/null
OUT=$(vn cm --json inbox; vn b --json inbox)
expect_match "they arrive" "p after 3" "$OUT"

step "restore the backup"
rm -rf "$T/p"
mv "$T/p.backup" "$T/p"
OUT=$(vn p profile restore 2>&1)
expect_match "restore says what it renewed" "sessions renewed: 2" "$OUT"

step "after the restore every message arrives, and none is dropped as a duplicate"
vn p send "$CM" "p restored 1"
vn p send "$CM" "p restored 2"
vn p send --case "$CASE" "team restored"
CMOUT=$(vn cm --json inbox 2>&1)
BOUT=$(vn b --json inbox 2>&1)
expect_match "the casemanager gets both" "p restored 1.*p restored 2|p restored 2.*p restored 1" "$(texts "$CMOUT")"
expect_match "the buddy gets the team message" "team restored" "$BOUT"
check "no duplicate drop at the casemanager" bash -c "! grep -qi duplicate <<< '$CMOUT'"
check "no duplicate or undecryptable drop at the buddy" bash -c "! grep -qiE 'duplicate|could not' <<< '$BOUT'"
check "nothing refused at the casemanager" bash -c "! grep -qiE 'refused|cannot|could not' <<< '$CMOUT'"

step "and the other way"
vn cm send "$P" "cm after restore"
vn b send --case "$CASE" "buddy after restore"
POUT=$(vn p --json inbox 2>&1)
expect_match "p reads the casemanager" "cm after restore" "$POUT"
expect_match "p reads the buddy's team message" "buddy after restore" "$POUT"
check "nothing refused at p" bash -c "! grep -qiE 'duplicate|refused|cannot' <<< '$POUT'"
finish
