#!/usr/bin/env bash
# A store write that fails in the middle of a send or an inbox (the test
# knob VANGNET_TEST_FAIL_WRITE=N fails the N-th write of the client's store
# as if the disk were full) leaves no trace: a send that says nothing was
# sent sent nothing and used no message key, the next message is delivered
# and decrypted, and an inbox that failed loses nothing and shows nothing
# twice. Every write of a send and of an inbox is failed in turn.
. "$(dirname "$0")/lib.sh"

step "start the server; a casemanager writes to a participant"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
vn cm send "$P" "first"
SHOWN=$(vn p --json inbox)
expect_match "a first message arrives" '"text": "first"' "$SHOWN"

# shown_count TEXT: how often TEXT was shown in everything inbox printed.
shown_count() { grep -c -- "\"text\": \"$1\"" <<< "$SHOWN" || true; }

step "fail each write of a send in turn"
LAST_N=0
for n in $(seq 1 40); do
    RC=0
    VANGNET_TEST_FAIL_WRITE=$n vn cm send "$P" "fail-$n" >/dev/null 2>&1 || RC=$?
    if [ "$RC" -eq 0 ]; then LAST_N=$n; break; fi
    # The next message goes out at once, whatever the failed one left.
    vn cm send "$P" "after-$n"
done
check "a send without a failing write succeeds (it has $((LAST_N - 1)) writes)" test "$LAST_N" -gt 1
# Whatever an earlier failure left queued goes out with this one.
vn cm send "$P" "last"
SHOWN+=$(vn p --json inbox 2>"$T/inbox.err")$'\n'
check "no message was dropped as undecryptable" test -z "$(grep 'could not be decrypted' "$T/inbox.err" || true)"
HISTORY=$(vn cm history)
bad=
for ((n = 1; n < LAST_N; n++)); do
    [ "$(shown_count "after-$n")" -eq 1 ] || bad+=" after-$n:$(shown_count "after-$n")"
done
expect_eq "every message after a failed one arrives exactly once" "" "$bad"
# All or nothing: a failed send left either no trace at all (not
# delivered, not in the sender's history) or the whole message, which is
# then delivered exactly once.
bad= none=0
for ((n = 1; n < LAST_N; n++)); do
    got=$(shown_count "fail-$n")
    kept=$(grep -c -- ": fail-$n\$" <<< "$HISTORY" || true)
    [ "$got" -eq 0 ] && none=$((none + 1))
    [ "$got" -eq "$kept" ] && [ "$got" -le 1 ] || bad+=" fail-$n:shown $got,kept $kept"
done
expect_eq "each failed send left all of the message or nothing of it" "" "$bad"
check "some failed sends left nothing ($none of $((LAST_N - 1)))" test "$none" -gt 0
expect_eq "the successful send arrives once" 1 "$(shown_count "fail-$LAST_N")"
expect_eq "and so does the one after" 1 "$(shown_count "last")"

step "fail each write of an inbox in turn"
# Eight messages wait; each run fails at a later write, so the failures
# fall on every step of storing a message, and on later messages too.
seq -f "in-%g" 1 8 | vn cm send "$P" --stdin
SHOWN=
for n in $(seq 1 8); do
    SHOWN+=$(VANGNET_TEST_FAIL_WRITE=$n vn p --json inbox 2>"$T/inbox.err")$'\n' || true
    if grep -q "could not be decrypted" "$T/inbox.err"; then
        fail "a failed write $n made a message undecryptable: $(cat "$T/inbox.err")"
    fi
done
SHOWN+=$(vn p --json inbox)$'\n'
bad=
for n in $(seq 1 8); do
    [ "$(shown_count "in-$n")" -eq 1 ] || bad+=" in-$n:$(shown_count "in-$n")"
done
expect_eq "every message is shown exactly once despite the failed writes" "" "$bad"
finish
