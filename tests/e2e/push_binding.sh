#!/usr/bin/env bash
# A push goes to the connection that subscribed, never to another that
# takes its ROUTER routing id. libzmq lets a client choose its routing id,
# so vn_pushspy (tests/e2e/pushspy.c) claims the one a victim's connection
# uses: while the victim is connected, then after its connection closed,
# subscribed as its own account both times, and stays while the victim
# comes back on a new connection. Each time the victim's buddy sends the
# victim a message; the spy must get no push of it, the victim every one.
. "$(dirname "$0")/lib.sh"
: "${VN_PROBE:?set VN_PROBE to the vn_probe binary}"
VN_PUSHSPY=${VN_PUSHSPY:-$(dirname "$VN_PROBE")/vn_pushspy}

step "start the server; a case with room for three buddies"
server_init
server_start
new_case cm

step "a spy takes the victim's routing id"
V=$(invite buddy)
S=$(invite buddy)
SPY=$(invite buddy)
RC=0
OUT=$("$VN_PUSHSPY" "$V" "$S" "$SPY") || RC=$?
echo "$OUT"
expect_eq "vn_pushspy ran every phase" 0 "$RC"
expect_eq "while the victim is connected, it gets the push and the spy nothing" \
    "live: victim 1 spy 0" "$(grep '^live:' <<< "$OUT")"
expect_eq "after the victim's connection closed, the spy holds its routing id and gets nothing" \
    "takeover: spy holds the route yes; spy 0" "$(grep '^takeover:' <<< "$OUT")"
expect_eq "the victim on a new connection gets its push, the spy still nothing" \
    "after: victim 1 spy 0" "$(grep '^after:' <<< "$OUT")"

step "the server is still serving"
check "a registered client is served (case list)" vn cm case list
finish
