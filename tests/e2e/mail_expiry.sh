#!/usr/bin/env bash
# A message that waits on the server past the mail TTL (30 days) expires.
# Its sender must learn it: the server keeps a receipt of each expired
# envelope (a hash of its message id; it does not know the sender of a
# sealed envelope) and every client fetches the same list, finding its own
# messages there (docs/METADATA.md, "Expired receipts"). Here the test
# clock jumps past the TTL.
source "$(dirname "$0")/lib.sh"

server_init
server_start --test-clock --sweep 1s
CM=$(join cm casemanager)
new_case cm
P=$(join p participant)
B=$(join b buddy)
vn cm contacts add piet "$P"

step "the casemanager writes to p (who stays away) and to b (who reads)"
vn cm send "$P" "first, never read"
vn cm send "$P" "second, never read"
vn cm send "$B" "read in time"
expect_match "b reads its message" "read in time" "$(vn b inbox)"
# (That inbox also takes b's delivery receipt: client-cli/receipt.h.)
ERR=$(vn cm inbox 2>&1 >/dev/null)
expect_eq "two envelopes wait for p" 2 "$(db_count mailbox)"
check "nothing is reported before expiry" bash -c "! grep -q 'NOT DELIVERED' <<< '$ERR'"

step "the test clock jumps past the mail TTL"
server_clock advance 31d
wait_for "the sweep to expire p's envelopes" 20 db_count_is mailbox 0
check "the server logged it" grep -q "expired 2 undelivered messages" "$SERVER_LOG"
expect_eq "and kept two receipts" 2 "$(db_count expired)"

step "the sender is told, once, at its next inbox"
ERR=$(vn cm inbox 2>&1 >/dev/null)
expect_eq "both of its messages to p are reported" 2 "$(grep -c 'NOT DELIVERED: your message to piet' <<< "$ERR")"
check "the delivered one is not" bash -c "! grep -q '$B' <<< '$ERR'"
ERR=$(vn cm inbox 2>&1 >/dev/null)
check "the next inbox reports nothing again" bash -c "! grep -q 'NOT DELIVERED' <<< '$ERR'"
ERR=$(vn b inbox 2>&1 >/dev/null)
check "another account learns nothing of it" bash -c "! grep -q 'NOT DELIVERED' <<< '$ERR'"
expect_eq "p gets nothing" "[]" "$(vn p --json inbox 2>/dev/null)"

step "receipts are not kept forever"
server_clock advance 31d
wait_for "the sweep to drop the receipts" 20 db_count_is expired 0
finish
