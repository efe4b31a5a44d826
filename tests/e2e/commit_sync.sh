#!/usr/bin/env bash
# The pipelined group commit (server/batch.c): a batch is committed on the
# loop and flushed to the disk on the syncer's thread, and nothing of it
# is told before that flush has ended. vangnetd's test hooks make flushes
# wait while $T/hold exists and fail while $T/fail exists.
# 1. While the flush waits, the message is already in the store but the
#    sender has no reply, and a read that sees it (the recipient's inbox)
#    waits too; released, both finish.
# 2. A failed flush: the sender is told it was not stored, the server
#    stops with an error; restarted, the resent message arrives once.
. "$(dirname "$0")/lib.sh"

# A held flush never ends by itself: the files go before lib.sh's cleanup
# stops the server.
trap 'rc=$?; trap - ERR; set +e; rm -f "$T/hold" "$T/fail"; (exit $rc); cleanup' EXIT

step "start a server whose flushes the test can hold and fail"
server_init
VANGNETD_TEST_SYNC_HOLD=$T/hold VANGNETD_TEST_SYNC_FAIL=$T/fail server_start --verbose
check "the server warns that the test hooks are on" log_has 'VANGNETD_TEST_SYNC_HOLD/_FAIL are set'
ALICE=$(join alice casemanager)
new_case alice
BOB=$(join bob participant)
# The first message sets up the session (more requests); the next one is
# one request.
vn alice send "$BOB" "first"
expect_match "the first message arrives" 'first' "$(vn bob inbox)"
vn alice inbox >/dev/null # takes Bob's delivery receipt
BEFORE=$(db_count mailbox)

step "a held flush: committed, but nothing told"
touch "$T/hold"
vn alice send "$BOB" "held until flushed" >"$T/send.out" 2>&1 &
SEND_PID=$!
wait_for "the message committed to the store" 20 db_count_is mailbox $((BEFORE + 1))
vn bob --json inbox >"$T/inbox.out" 2>&1 &
INBOX_PID=$!
sleep 1
check "the sender has no reply while the flush waits" kill -0 "$SEND_PID"
check "the recipient's read of it waits too" kill -0 "$INBOX_PID"
rm "$T/hold"
RC=0
wait "$SEND_PID" || RC=$?
expect_eq "released, the send succeeds" 0 "$RC"
RC=0
wait "$INBOX_PID" || RC=$?
expect_eq "released, the inbox is read" 0 "$RC"
expect_match "with the message" '"text": "held until flushed"' "$(cat "$T/inbox.out")"

step "a failed flush: not stored, and the server stops"
touch "$T/fail"
RC=0
OUT=$(vn alice --timeout 5 send "$BOB" "flush fails" 2>&1) || RC=$?
check "the sender is told it failed (exit $RC)" test "$RC" -ne 0
expect_match "that it was not stored" 'not stored' "$OUT"
RC=0
wait "$SERVER_PID" || RC=$?
SERVER_PID=
check "the server stopped with an error (exit $RC)" test "$RC" -ne 0
check "its log says why" log_has 'flushing the store to the disk failed .*stopping'
# A sanitizer build: stopping this way leaks nothing and trips nothing.
check "no sanitizer report on the way out" test "$(grep -c 'Sanitizer' "$SERVER_LOG")" -eq 0
rm "$T/fail"

step "restarted, the resent message arrives once"
server_start
vn alice send "$BOB" --stdin </dev/null
OUT=$(vn bob inbox)
expect_eq "the message told 'not stored' arrives once" 1 "$(grep -c 'flush fails' <<<"$OUT")"
server_stop
finish
