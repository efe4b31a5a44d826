#!/usr/bin/env bash
# Clients that send requests and never read the replies cost the server a
# bounded amount of memory: the ROUTER queues at most --send-queue (64)
# replies per connection, the rest is dropped and counted, and a normal
# client is served all the while.
. "$(dirname "$0")/lib.sh"
: "${VN_LOADPEER:?set VN_LOADPEER to the vn_loadpeer binary}"

# What the server may grow by while 8 connections flood it. The worst case
# per connection is 64 replies of 2 x 64 KiB plus 64 requests of 4 x 64 KiB
# (docs in server/conns.h); these replies are small errors, so 16 MiB for
# all eight is generous, and far below the ~60 MiB per connection an
# unbounded queue reached.
GROWTH_MAX_KB=$((16 * 1024))
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }

step "start the server and a normal client"
server_init
server_start
join cm casemanager >/dev/null
expect_match "the server logs its connection limit" "accepting at most 1024 connections; at most 64 replies queued per connection" "$(cat "$SERVER_LOG")"
vn cm case list >/dev/null
BEFORE=$(rss_kb)
echo "RSS before: $BEFORE kB"

step "8 connections send requests and never read"
# The flood lasts until the checks below end it with SIGTERM; the
# kernel's socket buffers take many replies before the first queue is full,
# which takes a second here and over 40 s on a loaded CI machine.
"$VN_LOADPEER" "$ENDPOINT" "$STATE/server.pub" flood 8 2000000 300 > "$T/flood.out" &
FLOOD_PID=$!
wait_for "replies dropped to slow readers in the log" 150 log_has "dropped [0-9]+ replies to [0-9]+ connections whose send queue \(64\) was full"

step "a normal client is served during the flood"
MAXRSS=$BEFORE
# The first answer may wait for the flood's opening burst (a sanitizer build
# is several times slower); then every request is answered.
served() { vn cm --timeout 10 case list >/dev/null 2>&1; }
wait_for "a normal client to be served during the flood" 60 served
# Under AddressSanitizer the server is several times slower and the flood
# saturates it: there each of these requests is made and timed, but only
# the plain build requires every one answered (the first one above, and
# the one after the flood, are required in both).
for i in 1 2 3 4 5; do
    if [ -n "${ASAN_OPTIONS:-}" ]; then
        S=$(date +%s)
        RC=0
        vn cm --timeout 20 case list >/dev/null 2>&1 || RC=$?
        echo "   request $i during the flood under AddressSanitizer: exit $RC after $(($(date +%s) - S)) s"
    else
        check "the server answers a normal client during the flood ($i)" vn cm --timeout 20 case list
    fi
    R=$(rss_kb)
    [ "$R" -gt "$MAXRSS" ] && MAXRSS=$R
    sleep 1
done
R=$(rss_kb); [ "$R" -gt "$MAXRSS" ] && MAXRSS=$R
echo "RSS during the flood: at most $MAXRSS kB (before: $BEFORE kB)"
# AddressSanitizer keeps freed memory in quarantine, so under it RSS says
# nothing about the server's queues: the bound is checked in the plain build.
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "skipped under AddressSanitizer: the RSS bound (checked in the plain build)"
else
    check "RSS grew by less than $GROWTH_MAX_KB kB ($((MAXRSS - BEFORE)) kB)" test $((MAXRSS - BEFORE)) -lt "$GROWTH_MAX_KB"
fi

step "after the flood"
kill -TERM "$FLOOD_PID"
wait "$FLOOD_PID"
expect_match "the flooders sent their requests" "^sent [0-9]+" "$(cat "$T/flood.out")"
check "a normal client is still served" vn cm case list
R=$(rss_kb)
echo "RSS after the flood: $R kB"
[ -n "${ASAN_OPTIONS:-}" ] ||
    check "RSS after the flood is still within the bound ($((R - BEFORE)) kB)" test $((R - BEFORE)) -lt "$GROWTH_MAX_KB"
server_stop
check "the drops are counted, per connection in aggregate" log_has "dropped [0-9]+ replies to [0-9]+ connections"
finish
