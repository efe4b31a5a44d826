#!/usr/bin/env bash
# The --metrics endpoint: Prometheus text on a loopback address or a UNIX
# socket. Scraped during traffic, its counters move (requests by name and
# result, handling time, commits, connections, store use, rate-limit
# refusals); no label value looks like an id or a key, and no account or
# case id appears anywhere in it.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "metrics.sh: curl is missing (deploy/install-deps.sh installs it)"; exit 1; }

# metrics_start [run options]: starts vangnetd with --metrics on a free
# loopback port ($MPORT), trying another port if that one is taken.
MPORT=
metrics_up() { log_has "metrics on 127.0.0.1:$MPORT" || ! kill -0 "$SERVER_PID" 2>/dev/null; }
metrics_start() {
    for _ in 1 2 3 4 5; do
        MPORT=$((20000 + RANDOM % 30000))
        rm -f "$STATE/endpoint"
        "$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "${ENDPOINT:-tcp://127.0.0.1:*}" \
            --metrics "127.0.0.1:$MPORT" "$@" 2>>"$SERVER_LOG" &
        SERVER_PID=$!
        wait_for "vangnetd to serve metrics or exit" 20 metrics_up
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            ENDPOINT=$(cat "$STATE/endpoint")
            return 0
        fi
        wait "$SERVER_PID" || true
        SERVER_PID=
    done
    fail "no free port for --metrics in five tries"
    exit 1
}
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics"; }
# value TEXT SERIES: the value of one series (0 if absent).
value() { awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }' <<< "$1"; }

step "start with --metrics; a casemanager and a participant"
server_init
metrics_start --rate-burst 5 --rate-per-sec 1
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
M1=$(scrape)
expect_match "text format with HELP and TYPE" '^# TYPE vangnet_requests_total counter$' "$M1"

step "scrape during traffic: the counters move"
vn doc send "$CM" "one" >/dev/null
M2=$(scrape)
for i in 2 3 4; do vn doc send "$CM" "message $i" >/dev/null; done
M3=$(scrape)
s2=$(value "$M2" 'vangnet_requests_total{request="send",result="ok"}')
s3=$(value "$M3" 'vangnet_requests_total{request="send",result="ok"}')
check "sends counted by name and result ($s2 then $s3)" test "$s3" -ge $((s2 + 3)) -a "$s2" -ge 1
check "redeem counted" test "$(value "$M3" 'vangnet_requests_total{request="redeem",result="ok"}')" -ge 2
check "handling time of sends in the histogram" \
    test "$(value "$M3" 'vangnet_request_duration_seconds_count{request="send"}')" -eq "$s3"
check "the +Inf bucket holds every send" \
    test "$(value "$M3" 'vangnet_request_duration_seconds_bucket{request="send",le="+Inf"}')" -eq "$s3"
c2=$(value "$M2" vangnet_commit_requests_count)
c3=$(value "$M3" vangnet_commit_requests_count)
check "commits counted ($c2 then $c3)" test "$c3" -gt "$c2"
check "connections accepted" test "$(value "$M3" vangnet_connections_accepted_total)" -ge 3
check "store use in bytes" test "$(value "$M3" vangnet_store_used_bytes)" -gt 0
expect_eq "the map size is the default 1 GiB" 1073741824 "$(value "$M3" vangnet_store_map_bytes)"
expect_eq "events about people are not published before the hour" 0 \
    "$(value "$M3" 'vangnet_events_total{event="registered"}')"

step "rate-limit refusals"
# One client sending as fast as it can: the pair's burst of 5 runs out,
# whatever the load (the client waits out each refusal and tries again).
printf 'flood %s\n' $(seq 1 12) | vn doc send "$CM" --stdin >/dev/null 2>&1 || true
M4=$(scrape)
check "refusals counted for send" test "$(value "$M4" 'vangnet_rate_limit_refusals_total{request="send"}')" -ge 1
check "and as results of send" test "$(value "$M4" 'vangnet_requests_total{request="send",result="rate"}')" -ge 1

step "no label value looks like an id or a key"
labels=$(grep -v '^#' <<< "$M4" | grep -oE '="[^"]*"' | sort -u)
expect_eq "no 16+ hex digits in a label" "" "$(grep -E '[0-9a-fA-F]{16,}' <<< "$labels" || true)"
expect_eq "no base64url key in a label" "" "$(grep -E '[A-Za-z0-9_-]{22,}' <<< "$labels" || true)"
check "no account or case id anywhere" bash -c "! grep -qiE '$CM|$DOC|$CASE' <<< \"\$0\"" "$M4"

step "only GET /metrics"
expect_eq "another path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")"
expect_eq "POST is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$MPORT/metrics")"
exec 3<>"/dev/tcp/127.0.0.1/$MPORT"
printf 'nonsense\r\n\r\n' >&3
expect_match "a line that is not HTTP is 400" '^HTTP/1.0 400 ' "$(head -n 1 <&3)"
exec 3<&-
server_stop

step "a UNIX socket"
"$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "$ENDPOINT" --metrics "$T/metrics.sock" 2>>"$SERVER_LOG" &
SERVER_PID=$!
wait_for "the metrics socket" 20 test -S "$T/metrics.sock"
check "served on the socket" bash -c "curl -sf --max-time 5 --unix-socket '$T/metrics.sock' http://localhost/metrics | grep -q '^vangnet_info'"
server_stop
finish
