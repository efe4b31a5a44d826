#!/usr/bin/env bash
# An identity-changed event: a message under a sender's changed identity
# key (a compromised server's forged certificate, as in identity.sh) is
# held on the server, and the daemon tells its subscriber and its notify
# command once, though the held message comes back with every fetch.
. "$(dirname "$0")/lib.sh"
: "${VN_FORGE:?set VN_FORGE}"

step "Bob knows Alice; Bob's daemon with a subscriber and a notify command"
server_init
server_start
new_case
ALICE=$(join alice participant)
BOB=$(join bob buddy)
vn bob contacts add alice "$ALICE"
vn alice send "$BOB" "hello from the real Alice"
vn bob inbox >/dev/null
"$VANGNET" --profile "$T/bob" daemon --notify-cmd "printf '%s|%s\n' \"\$VANGNET_NOTIFY_KIND\" \"\$1\" >> '$T/notes'" 2>"$T/daemon.log" &
DAEMON=$!
wait_for "the daemon" 20 grep -q 'connected to the server' "$T/daemon.log"
mkfifo "$T/sub.in"
exec 7<>"$T/sub.in"
"$VANGNET" --profile "$T/bob" jsonrpc --connect <"$T/sub.in" >"$T/events" &
RELAY=$!
echo '{"jsonrpc":"2.0","id":1,"method":"subscribe"}' >&7
wait_for "the subscription" 10 grep -q '"subscribed":true' "$T/events"

step "a message under Mallory's key, certified as Alice's"
SIGNKEY=$(store_dump -s meta | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
    d && k {print substr($1, 1); exit} d && $1 == "73656e6465725f7369676e5f6b6579" {k=1}')
"$VN_FORGE" "$(invite buddy)" "$BOB" "$ALICE" "I am Alice, trust me" "$SIGNKEY" >/dev/null
wait_for "the identity-changed event" 20 grep -q '"kind":"identity-changed"' "$T/events"
expect_match "it names the account and the contact" "\"params\":\\{\"kind\":\"identity-changed\",\"account\":\"$ALICE\",\"name\":\"alice\",\"seq\":[0-9]+\\}" "$(cat "$T/events")"
wait_for "the notification" 20 grep -q '^identity-changed|' "$T/notes"
expect_match "which says what to do" '^identity-changed\|The safety number with alice changed: their messages wait until you verify it$' "$(cat "$T/notes")"
check "the forged text is in neither" test -z "$(grep -h 'trust me' "$T/events" "$T/notes" || true)"
expect_eq "the message stays on the server" 1 "$(db_count_prefix mailbox "$BOB")"
# The daemon fetches every 5 s; the held message comes back each time.
pause_for_sweeps 11
expect_eq "told once, not at every fetch: one event" 1 "$(grep -c '"kind":"identity-changed"' "$T/events")"
expect_eq "and one notification" 1 "$(grep -c '^identity-changed|' "$T/notes")"

kill "$RELAY" 2>/dev/null || true
kill -TERM "$DAEMON"
RC=0; wait "$DAEMON" || RC=$?
expect_eq "the daemon ends 0" 0 "$RC"
check "no sanitizer report from the daemon" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T/daemon.log" || true)"
finish
