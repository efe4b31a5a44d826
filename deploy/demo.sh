#!/usr/bin/env bash
# A scripted conversation between a casemanager, a participant and a buddy,
# through a real vangnetd on a temporary state directory. Shows what each
# side types and sees; cleans up after itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build}
VANGNETD=$BIN/server/vangnetd
VANGNET=$BIN/client-cli/vangnet
[ -x "$VANGNETD" ] && [ -x "$VANGNET" ] || { echo "demo: build first (deploy/build.sh)" >&2; exit 1; }

T=$(mktemp -d /tmp/vangnet-demo.XXXXXX)
# Each profile's store is encrypted at rest with a passphrase; a person
# types theirs, the demo sets one for everybody.
export VANGNET_PASSPHRASE=${VANGNET_PASSPHRASE:-demo passphrase}
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# Headings in bold on a terminal, plain otherwise.
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
# as WHO ARGS...: runs the client as WHO and shows the command line.
as() {
    local who=$1; shift
    printf '%-14s $ vangnet %s\n' "[$who]" "$*"
    "$VANGNET" --profile "$T/$who" "$@"
}
# join WHO CODE: enrolls WHO and sets the variable named WHO to the account.
join() {
    printf '%-14s $ vangnet join %s...\n' "[$1]" "${2:0:24}"
    local acct
    acct=$("$VANGNET" --profile "$T/$1" join "$2")
    echo "$acct"
    eval "$3=\$acct"
}

say "The programme office starts a server on an embedded LMDB state, sealed with a store key"
# The store key lies outside the state directory: a copy of the state alone
# reads as noise. (In production systemd hands it over; see docs/THREAT-MODEL.md.)
KEY=$T/store.key
"$VANGNETD" init --state "$T/state" --store-key "$KEY" >/dev/null 2>&1
"$VANGNETD" run --state "$T/state" --store-key "$KEY" --listen 'tcp://127.0.0.1:*' 2>"$T/server.log" &
SERVER=$!
for _ in $(seq 1 100); do [ -s "$T/state/endpoint" ] && break; sleep 0.05; done
echo "vangnetd listening on $(cat "$T/state/endpoint"), server key $(cat "$T/state/server.pub")"

say "The programme office invites a casemanager (one-time code that pins the server key)"
CODE=$("$VANGNETD" invite --state "$T/state" --store-key "$KEY" --role casemanager)
echo "casemanager invite: ${CODE:0:24}..."
join casemanager "$CODE" CM

say "The casemanager opens a case and invites the doctor and a buddy into it"
CASE=$("$VANGNET" --profile "$T/casemanager" case new)
printf '%-14s $ vangnet case new\n%s\n' "[casemanager]" "$CASE"
CODE_participant=$("$VANGNET" --profile "$T/casemanager" invite --case "$CASE" --role participant)
CODE_buddy=$("$VANGNET" --profile "$T/casemanager" invite --case "$CASE" --role buddy)
printf '%-14s $ vangnet invite --case %.8s... --role participant\n' "[casemanager]" "$CASE"
printf '%-14s $ vangnet invite --case %.8s... --role buddy\n' "[casemanager]" "$CASE"

say "Each person joins on their own device (profile)"
join participant "$CODE_participant" DOC
join buddy "$CODE_buddy" BUD

say "Names live only on each device, never on the server"
as casemanager contacts add dokter "$DOC"
as casemanager contacts add buddy "$BUD"
as participant contacts add casemanager "$CM"
as participant contacts add buddy "$BUD"
as buddy contacts add dokter "$DOC"
as buddy contacts add casemanager "$CM"

say "The casemanager writes first; the participant is offline"
as casemanager send dokter "Goedemorgen. Zullen we donderdag om 10:00 bellen voor ons maandelijkse gesprek?"

say "The participant opens the app later"
as participant inbox
as participant send casemanager "Donderdag 10:00 is goed. Het was een zware week."

say "The participant asks the buddy for a walk"
as participant send buddy "Heb je vanavond tijd om even te wandelen?"
as buddy inbox
as buddy send dokter "Zeker, 19:30 bij het park. Fijn dat je het vraagt."

say "Everyone reads their replies"
as casemanager inbox
as participant inbox

say "The care team chat (participant, casemanager, buddies), end-to-end with sender keys"
as casemanager send --case "$CASE" "Welkom in het team. Hier kunnen we samen afstemmen."
as buddy inbox
as participant inbox

say "The casemanager looks at the case; the doctor sees that read in their audit log"
as casemanager case show "$CASE"
as participant audit

say "The monitoring contract: the casemanager sets it, the doctor signs it"
# The demo runs at any hour, so its check-in window is the whole day.
as casemanager contract set --case "$CASE" --window 00:00-24:00 | sed -n 1,4p
as participant contract sign --case "$CASE"
as participant checkin
as casemanager contact record --case "$CASE" --kind call
as casemanager caseload

say "A buddy notices signals; only the casemanager reads them, the server sees a severity"
as buddy signal E03 E07 --note "Sinds twee weken nauwelijks contact, drinkt meer."
as casemanager inbox
ALERT=$("$VANGNET" --profile "$T/casemanager" --json alerts | grep -o '"alert": "[0-9a-f]*"' | sed -n 1p | cut -d'"' -f4)
as casemanager ack "$ALERT"

say "Safety numbers: compare in person, then confirm"
as participant verify casemanager --confirm

for who in casemanager participant buddy; do "$VANGNET" --profile "$T/$who" inbox >/dev/null; done
say "What the server keeps: ciphertext only until delivery (everyone has read their inbox)"
if command -v mdb_stat >/dev/null; then
    mdb_stat -s mailbox "$T/state" | grep Entries | sed 's/^ */mailbox /'
fi
echo "demo finished; the temporary server and profiles are removed"
