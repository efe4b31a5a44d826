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
check "some are served ($SERVED), never more than the maximum" test "$SERVED" -ge 1 -a "$SERVED" -le 100
check "the rest are refused ($REFUSED)" test "$REFUSED" -ge 200
check "the refusals are logged, with counts only" log_has "server busy: refused [0-9]+ connections \([0-9]+ open, the limit is 100\)"
check "no refusal is logged one by one with a key" bash -c "! grep -Eq '[0-9a-f]{64}' '$SERVER_LOG'"

step "a normal client is served afterwards"
expect_match "an unregistered key gets its error reply" "^UNREGISTERED:" "$("$VN_PROBE" "$ENDPOINT" "$STATE/server.pub" unregistered)"
expect_match "a registered client is served" " casemanager$" "$(join cm casemanager >/dev/null; vn cm whoami)"
finish
