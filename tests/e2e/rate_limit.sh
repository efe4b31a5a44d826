#!/usr/bin/env bash
# A flooding sender is slowed with retry-after refusals while other pairs'
# messages still flow, and nothing already accepted is lost.
. "$(dirname "$0")/lib.sh"

step "start the server with the default limits"
server_init
server_start    # default limits: burst 60 per (sender, recipient), then 1/s
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
join flood buddy >/dev/null
join calm buddy >/dev/null

step "a flooding sender is refused with a retry-after"
RC=0
ERR=$(seq -f "flood-%03g" 1 200 | vn flood --json --timeout 3 send "$DOC" --stdin 2>&1) || RC=$?
expect_eq "the flooder is told to retry later (exit 3)" 3 "$RC"
expect_match "with a retry-after from the server" '"code": "RATE".*rate limit: too many messages to this recipient; retry after [0-9]+ ms' "$ERR"

step "other pairs still flow"
# Other pairs are not held up, not even towards the same recipient.
vn cm send "$DOC" "cm: unaffected"
vn calm send "$DOC" "calm: unaffected"
vn calm send "$CM" "calm to cm: unaffected"
OUT=$(vn doc inbox)
expect_match "another sender reaches the same recipient" "cm: unaffected" "$OUT"
expect_match "and a third" "calm: unaffected" "$OUT"
expect_match "another pair flows" "calm to cm: unaffected" "$(vn cm inbox)"
GOT=$(printf '%s\n' "$OUT" | grep -c "flood-" || true)
check "the burst (60) and a few refills got through ($GOT)" test "$GOT" -ge 60 -a "$GOT" -le 70
printf '%s\n' "$OUT" | sed -n 's/.*: \(flood-[0-9]*\)$/\1/p' > "$T/got1"
seq -f "flood-%03g" 1 "$GOT" > "$T/want1"
check "what got through is in order, without gaps" cmp -s "$T/want1" "$T/got1"
LEFT=$(mdb_stat -s outbox "$T/flood" | sed -n 's/ *Entries: //p')
expect_eq "the refused message waits in the sender's outbox" 1 "$LEFT"

# Once the limit allows it, the outbox drains and nothing is lost.
step "without limits the outbox drains"
server_stop
# shellcheck disable=SC2086
server_start $NOLIMITS
vn flood send "$DOC" --stdin </dev/null
OUT=$(vn doc inbox)
expect_match "the kept message arrives afterwards" "flood-$(printf %03d $((GOT + 1)))\$" "$OUT"
expect_eq "the outbox is empty" 0 "$(mdb_stat -s outbox "$T/flood" | sed -n 's/ *Entries: //p')"
finish
