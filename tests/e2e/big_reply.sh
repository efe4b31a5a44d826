#!/usr/bin/env bash
# A reply too large for the frame limit is never dropped silently: the
# client gets an error naming its request, the size and the limit, and the
# server's log counts it.
. "$(dirname "$0")/lib.sh"

step "a casemanager with more cases than one reply can list"
# Replies may be twice the frame limit: 8 KiB here, and 150 case ids do
# not fit in that.
server_init
server_start --frame-max 4096
join cm casemanager >/dev/null
for i in $(seq 1 150); do vn cm case new >/dev/null; done

step "the list is refused with a clear error, at once"
RC=0
START=$SECONDS
ERR=$(vn cm case list 2>&1) || RC=$?
expect_eq "the client fails (exit 1)" 1 "$RC"
expect_match "naming the request, the size and the limit" "cannot list cases: the reply to request [0-9]+ would be [0-9]+ bytes; the frame limit is 8192: ask for fewer \(page\)" "$ERR"
check "without waiting for the client's timeout ($((SECONDS - START)) s)" test $((SECONDS - START)) -lt 5
check "the server counts it" log_has "1 replies over the frame limit were answered with an error"
finish
