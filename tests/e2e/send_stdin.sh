#!/usr/bin/env bash
# `send --stdin` loses no line: with the server out of reach from the start
# or gone half-way, every line read is queued in the outbox and arrives
# later, in order; when the server refuses (a rate limit), the reading
# stops and the error says up to which line standard input was taken.
. "$(dirname "$0")/lib.sh"

step "a casemanager and a participant with a session"
server_init
server_start
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
vn cm send "$DOC" "hallo"
vn doc inbox >/dev/null

step "server out of reach: every line waits in the outbox"
server_stop
RC=0
ERR=$(printf 'een\ntwee\ndrie\n' | vn cm --timeout 2 send "$DOC" --stdin 2>&1) || RC=$?
expect_eq "the sender is told to retry (exit 3)" 3 "$RC"
expect_match "all three lines are queued" '^vangnet: 3 messages queued; will retry' "$ERR"
check "the whole input was taken (no line left unread)" \
    bash -c '! grep -q "Standard input was read up to" <<< "$1"' _ "$ERR"
expect_eq "the outbox holds the three" 3 "$(mdb_stat -s outbox "$T/cm" | sed -n 's/ *Entries: //p')"

step "once the server is back the outbox drains, in order"
server_start
vn cm send "$DOC" --stdin </dev/null
OUT=$(vn doc inbox)
printf '%s\n' "$OUT" | sed -n 's/.*: \(een\|twee\|drie\)$/\1/p' > "$T/got"
printf 'een\ntwee\ndrie\n' > "$T/want"
check "the three lines arrive in order" cmp -s "$T/want" "$T/got"
expect_eq "the outbox is empty" 0 "$(mdb_stat -s outbox "$T/cm" | sed -n 's/ *Entries: //p')"

step "a refusal stops the reading and says where"
server_stop
server_start --rate-burst 3 --rate-per-sec 1
RC=0
ERR=$(seq -f "regel-%02g" 1 20 | vn cm --timeout 3 send "$DOC" --stdin 2>&1) || RC=$?
expect_eq "rate limited: retry later (exit 3)" 3 "$RC"
expect_match "the error names the last line taken" \
    'Standard input was read up to line [0-9]+; nothing after it was read or sent' "$ERR"
TAKEN=$(sed -n 's/.*read up to line \([0-9]*\);.*/\1/p' <<< "$ERR")
check "fewer than all 20 lines were taken ($TAKEN)" test "${TAKEN:-20}" -lt 20
finish
