#!/usr/bin/env bash
# 1,000 messages each way between two clients arrive in order, decrypted,
# none lost and none shown twice; then the same with a kill -9 of the server
# in the middle and a restart.
. "$(dirname "$0")/lib.sh"
N=${N:-1000}

step "start the server; enrol two clients"
server_init
# shellcheck disable=SC2086
server_start $NOLIMITS
new_case
ALICE=$(join alice buddy)
BOB=$(join bob participant)

# run_round TAG: both send N lines at once, then both read everything.
send_both() {
    seq -f "$1-a2b-%04g" 1 "$N" | vn alice --timeout 60 send "$BOB" --stdin &
    PA=$!
    seq -f "$1-b2a-%04g" 1 "$N" | vn bob --timeout 60 send "$ALICE" --stdin &
    PB=$!
}
wait_both() {
    local ra=0 rb=0
    wait $PA || ra=$?
    wait $PB || rb=$?
    expect_eq "$1: alice's sender finished" 0 "$ra"
    expect_eq "$1: bob's sender finished" 0 "$rb"
}
verify_round() {
    vn bob inbox > "$T/bob.txt"
    vn alice inbox > "$T/alice.txt"
    sed -n 's/^\[[^]]*\] [0-9a-f]*: //p' "$T/bob.txt" > "$T/bob.got"
    sed -n 's/^\[[^]]*\] [0-9a-f]*: //p' "$T/alice.txt" > "$T/alice.got"
    seq -f "$1-a2b-%04g" 1 "$N" > "$T/bob.want"
    seq -f "$1-b2a-%04g" 1 "$N" > "$T/alice.want"
    check "$1: bob got all $N from alice, in order, once" cmp -s "$T/bob.want" "$T/bob.got"
    check "$1: alice got all $N from bob, in order, once" cmp -s "$T/alice.want" "$T/alice.got"
    # Bob takes alice's delivery receipts (client-cli/receipt.h); hers came with her inbox.
    vn bob inbox >/dev/null
    expect_eq "$1: nothing left on the server" 0 "$(db_count mailbox)"
    expect_eq "$1: a further inbox finds nothing" "[]" "$(vn bob --json inbox)"
}

step "1,000 messages each way"
send_both plain
wait_both plain
verify_round plain

# Same again, but the server dies hard in the middle and comes back on the
# same endpoint; clients resend what was not acknowledged.
step "1,000 each way with a kill -9 of the server in the middle"
send_both crash
# Kill once the stream is well under way (not on a timer, which would flake).
wait_for "the stream to be under way (100 messages stored)" 60 db_count_at_least mailbox 100
server_kill9
MID=$(db_count mailbox)
echo "stored when the server was killed: $MID of $((2 * N))"
check "the kill came in the middle of the stream" test "$MID" -gt 0 -a "$MID" -lt $((2 * N))
# Deliberate downtime, not a wait for anything: the clients find no server
# and must resend once it is back.
sleep 1
# shellcheck disable=SC2086
server_start $NOLIMITS
wait_both crash
verify_round crash
grep -q "ready" "$SERVER_LOG" && pass "server restarted after kill -9"
finish
