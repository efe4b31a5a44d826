#!/usr/bin/env bash
# Sends and acks run in the batch's transaction without a sub-transaction
# of their own (FLAT rows, server/batch.c): they refuse before they write.
# Should one fail after writing all the same, its writes must not reach
# the store: the whole batch is undone and refused, the server says so in
# its log, runs every request isolated from then on, and the message,
# which the client kept, arrives exactly once when it sends again. VANGNETD_TEST_FAIL_FLAT makes the
# first send or ack that wrote fail after its writes.
. "$(dirname "$0")/lib.sh"

step "a casemanager and a participant; the server restarted with the failure armed"
server_init
server_start
ALICE=$(join alice casemanager)
new_case alice
BOB=$(join bob participant)
server_stop
VANGNETD_TEST_FAIL_FLAT=1 server_start --verbose
wait_for "the server to say the failure is armed" 10 log_has "VANGNETD_TEST_FAIL_FLAT is set"
SENT_BEFORE=$(db_count sendquota)

step "the first send fails after writing: nothing of it is kept"
rc=0
OUT=$(vn alice send "$BOB" "Eerste bericht na de herstart" 2>&1) || rc=$?
check "the send is not confirmed (exit $rc)" test "$rc" -ne 0
expect_match "the sender is told why" "failed after writing" "$OUT"
expect_match "the server names what happened" "a send request failed after writing .*its batch is undone" "$(cat "$SERVER_LOG")"
expect_eq "no envelope in the mailbox" 0 "$(db_count mailbox)"
expect_eq "no id in the index" 0 "$(db_count msgindex)"
expect_eq "the sender's daily count is as before" "$SENT_BEFORE" "$(db_count sendquota)"

step "from then on every request is isolated; the kept message goes out once"
# The client kept the unconfirmed message and sends it before the next one.
vn alice send "$BOB" "Tweede bericht"
expect_eq "two envelopes wait" 2 "$(db_count mailbox)"
OUT=$(vn bob --json inbox)
expect_eq "Bob reads the first exactly once" 1 "$(grep -c '"text": "Eerste bericht na de herstart"' <<< "$OUT")"
expect_eq "and the second exactly once" 1 "$(grep -c '"text": "Tweede bericht"' <<< "$OUT")"
vn alice inbox >/dev/null # takes Bob's delivery receipts
expect_eq "the acks emptied the mailbox" 0 "$(db_count mailbox)"
expect_eq "the failure was logged once" 1 "$(grep -c 'failed after writing (' "$SERVER_LOG")"
server_stop
finish
