#!/usr/bin/env bash
# A full store: the sender is told the server's storage is full, the
# message waits in its outbox, the server keeps serving (the recipient reads
# and so frees room), and nothing accepted or queued is lost.
. "$(dirname "$0")/lib.sh"

step "start a server with a 2 MiB store"
server_init
# Quotas lifted too: this is about the store itself (quota.sh is about them).
QUOTAS="--quota-sender-envelopes 1000000 --quota-recipient-envelopes 1000000"
QUOTAS+=" --quota-sender-bytes 1024 --quota-recipient-bytes 1024"
# shellcheck disable=SC2086
server_start --map-size 2 $NOLIMITS $QUOTAS
new_case
DOC=$(join doc participant)
join bud buddy >/dev/null

step "fill the store"
RC=0
ERR=$(seq -f "full-%05g" 1 5000 | vn bud --json --timeout 2 send "$DOC" --stdin 2>&1) || RC=$?
expect_eq "the sender is told to try again later (exit 3)" 3 "$RC"
expect_match "because the server's storage is full" '"code": "FULL".*storage is full' "$ERR"
STORED=$(db_count mailbox)
check "the store took what fitted ($STORED messages)" test "$STORED" -gt 100
check "the server still runs" kill -0 "$SERVER_PID"
step "the recipient reads what was stored, in order"
OUT=$(vn doc inbox)
GOT=$(printf '%s\n' "$OUT" | grep -c 'full-' || true)
expect_eq "the recipient reads every stored message" "$STORED" "$GOT"
printf '%s\n' "$OUT" | sed -n 's/.*: \(full-[0-9]*\)$/\1/p' > "$T/got"
seq -f "full-%05g" 1 "$GOT" > "$T/want"
check "in order, without gaps" cmp -s "$T/want" "$T/got"
step "with room again, the outbox drains"
vn bud send "$DOC" --stdin </dev/null
expect_match "with room again, the kept message arrives" "full-$(printf %05d $((GOT + 1)))\$" "$(vn doc inbox)"
# The buddy takes the participant's delivery receipts (client-cli/receipt.h).
expect_eq "receipts are not shown" "no new messages" "$(vn bud inbox)"
expect_match "the buddy's messages are delivered" '"state": "delivered"' "$(vn bud --json history | tail -c 300)"
expect_eq "nothing waits anywhere" 0 "$(db_count mailbox)"
finish
