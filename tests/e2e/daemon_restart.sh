#!/usr/bin/env bash
# The daemon's event stream survives a restart of the server and misses
# nothing: messages sent before, while the server is away (kept in the
# sender's outbox) and after reach a socket subscriber and an HTTP
# event stream (Server-Sent Events), each exactly once, and the health
# check says when the server is away.
. "$(dirname "$0")/lib.sh"

step "a participant and a buddy; the buddy's daemon with HTTP, two subscribers"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
B=$(join b buddy)
vn p send "$B" "first" && vn b inbox >/dev/null
while :; do
    PORT=$((20000 + RANDOM % 40000))
    "$VANGNET" --profile "$T/b" daemon --http "127.0.0.1:$PORT" 2>"$T/daemon.log" &
    DAEMON=$!
    wait_for "the daemon" 20 grep -Eq 'serving|cannot listen' "$T/daemon.log"
    grep -q serving "$T/daemon.log" && break
    wait "$DAEMON" 2>/dev/null || true
done
H="http://127.0.0.1:$PORT"
curl -sN "$H/events" >"$T/sse" &
SSE=$!
mkfifo "$T/sub.in"
exec 7<>"$T/sub.in"
"$VANGNET" --profile "$T/b" jsonrpc --connect <"$T/sub.in" >"$T/events" &
RELAY=$!
echo '{"jsonrpc":"2.0","id":1,"method":"subscribe"}' >&7
wait_for "the socket subscription" 10 grep -q '"subscribed":true' "$T/events"
wait_for "the event stream's head" 10 grep -q 'vangnet events' "$T/sse"
expect_eq "health: connected" '{"ok":true,"server":"connected"}' "$(curl -sS "$H/health")"

# count FILE TEXT: events whose text is TEXT.
count() { grep -c "\"text\":\"$2\"" "$1" || true; }
both_have() { for t in "$@"; do [ "$(count "$T/events" "$t")" -ge 1 ] && [ "$(count "$T/sse" "$t")" -ge 1 ] || return 1; done; }

step "before the restart"
vn p send "$B" "before-1"
vn p send "$B" "before-2"
wait_for "both before the restart" 20 both_have before-1 before-2

step "the server goes away; the participant's messages wait in its outbox"
server_stop
health_is() { [ "$(curl -sS "$H/health")" = "{\"ok\":true,\"server\":\"$1\"}" ]; }
wait_for "health to say disconnected" 20 health_is disconnected
for i in 1 2 3; do
    RC=0; vn p send "$B" "during-$i" 2>/dev/null || RC=$?
    expect_eq "during-$i queued (exit 3: try again)" 3 "$RC"
done

step "the server is back: everything arrives, once"
server_start $NOLIMITS
for i in 1 2 3; do vn p send "$B" "after-$i"; done
ALL="before-1 before-2 during-1 during-2 during-3 after-1 after-2 after-3"
wait_for "all eight at both subscribers" 60 both_have $ALL
wait_for "health to say connected again" 20 health_is connected
for t in $ALL; do
    expect_eq "socket: $t once" 1 "$(count "$T/events" "$t")"
    expect_eq "SSE: $t once" 1 "$(count "$T/sse" "$t")"
done
expect_match "SSE frames name the kind and carry the event as data" '^event: message$' "$(cat "$T/sse")"
check "every SSE data line is one JSON event" test -z "$(grep '^data: ' "$T/sse" | grep -v '^data: {"kind":"message",.*"seq":[0-9]*}$' || true)"
check "the daemon said it lost the server" grep -q 'out of reach' "$T/daemon.log"
check "and that it is connected again" test "$(grep -c 'connected to the server' "$T/daemon.log")" -ge 2
INBOX=$(vn b inbox)
for t in $ALL; do
    expect_eq "the next inbox shows $t once" 1 "$(grep -c ": $t\$" <<< "$INBOX" || true)"
done

kill "$SSE" "$RELAY" 2>/dev/null || true
kill -TERM "$DAEMON"
RC=0; wait "$DAEMON" || RC=$?
expect_eq "the daemon ends 0 on SIGTERM" 0 "$RC"
check "no sanitizer report from the daemon" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T/daemon.log" || true)"
finish
