#!/usr/bin/env bash
# vangnetd raises its descriptor limit, fits --max-connections into it, and
# refuses connections past the maximum with a log line instead of letting
# them hang; a normal client is served afterwards.
. "$(dirname "$0")/lib.sh"
: "${VN_LOADPEER:?set VN_LOADPEER to the vn_loadpeer binary}"

# vangnetd under a descriptor limit: VN_ULIMIT is the ulimit option (-Sn
# for the soft limit only, -n for both), set by each step.
REAL_VANGNETD=$VANGNETD
cat > "$T/vangnetd-limited" <<WRAP
#!/usr/bin/env bash
ulimit \$VN_ULIMIT 1024 && exec "$REAL_VANGNETD" "\$@"
WRAP
chmod +x "$T/vangnetd-limited"
VANGNETD=$T/vangnetd-limited
export VN_ULIMIT=-Sn
many() { "$VN_LOADPEER" "$ENDPOINT" "$STATE/server.pub" many "$1" 20; }

step "a soft limit of 1024 is raised to the hard limit"
server_init
server_start
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ] || [ "$HARD" -gt 1024 ]; then
    check "the raise is logged" log_has "descriptor limit raised from 1024 to [0-9]+"
else
    check "the limit is logged" log_has "descriptor limit is 1024 \(already the hard limit\)"
fi
check "the maximum is logged" log_has "accepting at most 1024 connections"
server_stop

step "a maximum that does not fit in 1024 descriptors is lowered, and says so"
export VN_ULIMIT=-n
server_start --max-connections 5000
check "the lowering is logged" log_has "--max-connections 5000 does not fit in the descriptor limit of 1024 .*: lowered to 896"
check "the maximum in force is logged" log_has "accepting at most 896 connections"
OUT=$(many 300)
echo "300 connections: $OUT"
expect_eq "300 connections all fit and are served" "served 300 refused 0 silent 0" "$OUT"
server_stop

step "connections past the maximum are refused with a log line"
server_start --max-connections 100
OUT=$(many 300)
echo "300 connections, at most 100: $OUT"
expect_match "every connection is served or refused, none hangs" "^served [0-9]+ refused [0-9]+ silent 0$" "$OUT"
SERVED=$(sed -n 's/^served \([0-9]*\) .*/\1/p' <<< "$OUT")
REFUSED=$(sed -n 's/.* refused \([0-9]*\) .*/\1/p' <<< "$OUT")
# Connections still in their handshake count too, so a burst is refused
# more than it needs to be (the next step shows that 100 do fit).
check "never more than the maximum are served ($SERVED)" test "$SERVED" -le 100
check "the rest are refused ($REFUSED)" test $((SERVED + REFUSED)) -eq 300
check "the refusals are logged, with counts only" log_has "server busy: refused [0-9]+ connections \([0-9]+ open, the limit is 100\)"
check "no refusal is logged one by one with a key" bash -c "! grep -Eq '[0-9a-f]{64}' '$SERVER_LOG'"

step "a client of a full server is told so at once, not after its timeout"
probe_served() { "$VN_PROBE" "$ENDPOINT" "$STATE/server.pub" unregistered | grep -q "^UNREGISTERED:"; }
wait_for "the refused connections to close" 10 probe_served
join cm casemanager >/dev/null
# 100 holders fill the server; one the server refused while it still
# counted closing connections is replaced.
"$VN_LOADPEER" "$ENDPOINT" "$STATE/server.pub" hold 100 30 > "$T/hold.out" &
HOLD_PID=$!
wait_for "100 connections held" 20 grep -q "^held 100" "$T/hold.out"
probe_refused() { "$VN_PROBE" "$ENDPOINT" "$STATE/server.pub" unregistered | grep -q "refused the connection"; }
check "an unregistered key is refused now" probe_refused
RC=0
START=$SECONDS
ERR=$(vn cm case list 2>&1) || RC=$?
expect_eq "the client exits with the retry code (3)" 3 "$RC"
expect_match "with a clear message" "the server refused the connection \(status 400\): it is busy \(too many connections\)" "$ERR"
check "within 5 s, not after its 10 s timeout ($((SECONDS - START)) s)" test $((SECONDS - START)) -lt 5
kill "$HOLD_PID"; wait "$HOLD_PID" || true

step "a normal client is served afterwards"
wait_for "room on the server: an unregistered key gets its error reply" 10 probe_served
check "a registered client is served (case list)" vn cm case list
finish
