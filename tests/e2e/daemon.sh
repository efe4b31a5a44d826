#!/usr/bin/env bash
# vangnet daemon: JSON-RPC on PROFILE/daemon.sock (mode 0600), events to a
# subscriber, a notify command for an SOS (no message content in it), the
# CLI going through the daemon with the same output and exit code, clear
# errors for bad requests, and a dead daemon's socket ignored.
. "$(dirname "$0")/lib.sh"

# rpc PROFILE LINE...: the lines to PROFILE's daemon, its answers printed.
rpc() { local p=$1; shift; printf '%s\n' "$@" | "$VANGNET" --profile "$T/$p" jsonrpc --connect; }

step "a case with a participant and a buddy; the buddy's daemon starts"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
B=$(join b buddy)
vn b contacts add pat "$P"
"$VANGNET" --profile "$T/b" daemon --notify-cmd "printf '%s|%s|%s\n' \"\$VANGNET_NOTIFY_KIND\" \"\$VANGNET_NOTIFY_TEXT\" \"\$1\" >> '$T/notes'" 2>"$T/daemon.log" &
DAEMON=$!
wait_for "the daemon's socket" 20 test -S "$T/b/daemon.sock"
expect_eq "the socket is the owner's only (0600)" "600" "$(stat -c %a "$T/b/daemon.sock")"

step "methods and a call over the socket"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"methods"}')
expect_match "methods lists case.show with its params" '"method":"case.show","summary":"[^"]*","params":\[\{"name":"case"' "$OUT"
check "methods has no join, daemon or jsonrpc" test -z "$(grep -Eo '"method":"(join|daemon|jsonrpc|change-passphrase)"' <<< "$OUT" || true)"
OUT=$(rpc b '{"jsonrpc":"2.0","id":"w","method":"whoami"}')
expect_eq "whoami's result is its --json output" \
    "{\"jsonrpc\":\"2.0\",\"result\":{\"account\":\"$B\",\"role\":\"buddy\"},\"id\":\"w\"}" "$OUT"
OUT=$(rpc b '[{"jsonrpc":"2.0","id":1,"method":"whoami"},{"jsonrpc":"2.0","method":"whoami"},{"jsonrpc":"2.0","id":2,"method":"contacts"}]')
expect_match "a batch answers each call with an id, in order" '^\[\{"jsonrpc":"2.0","result":\{"account".*"id":1\},\{"jsonrpc":"2.0","result":\[\{"name":"pat".*"id":2\}\]$' "$OUT"

step "bad requests get clear JSON-RPC errors"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":')
expect_match "malformed JSON: -32700 parse error" '"code":-32700,"message":"not JSON: [^"]+","data":\{"error":"PROTO"' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"fly"}')
expect_match "unknown method: -32601 naming it" '"code":-32601,"message":"no method \\"fly\\"' "$OUT"
OUT=$(rpc b '{"id":1,"method":"whoami"}')
expect_match "no jsonrpc 2.0: -32600" '"code":-32600' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"send","params":{"whom":"pat","text":"x"}}')
expect_match "an unknown param: -32602 naming it and what it takes" '"code":-32602,"message":"unknown param \\"whom\\"; it takes: who, text, case, timeout"' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"send","params":{"who":"pat","text":7.5}}')
expect_match "a param of the wrong type: -32602" '"code":-32602,"message":"param \\"text\\" wants a string or a whole number"' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"send","params":["pat","x"]}')
expect_match "positional params: -32602" '"code":-32602,"message":"params must be an object' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"claim","params":{}}')
expect_match "a missing argument: the command's usage error (exit 2)" '"code":-32002,"message":"[^"]*ALERT[^"]*","data":\{"error":"INVAL","message":"[^"]*","exit":2\}' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"claim","params":{"alert":"00000000000000000000000000000000"}}')
expect_match "a refused command: -32000 - exit code, with its stable error name" '"code":-32001,"message":"[^"]+","data":\{"error":"NOTFOUND","message":"[^"]+","exit":1\}' "$OUT"
BIG=$(head -c 1100000 /dev/zero | tr '\0' 'a')
OUT=$(rpc b "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"whoami\",\"params\":{\"x\":\"$BIG\"}}")
expect_match "an oversize request: -32600 TOOBIG" '"code":-32600,"message":"request longer than 1048576 bytes[^"]*","data":\{"error":"TOOBIG"' "$OUT"
expect_eq "the daemon still answers after all that" \
    "{\"jsonrpc\":\"2.0\",\"result\":{\"account\":\"$B\",\"role\":\"buddy\"},\"id\":1}" \
    "$(rpc b '{"jsonrpc":"2.0","id":1,"method":"whoami"}')"

step "a subscriber gets a typed event per message; an SOS runs the notify command"
mkfifo "$T/sub.in"
exec 7<>"$T/sub.in"
"$VANGNET" --profile "$T/b" jsonrpc --connect <"$T/sub.in" >"$T/events" &
RELAY=$!
echo '{"jsonrpc":"2.0","id":1,"method":"subscribe"}' >&7
wait_for "the subscription" 10 grep -q '"result":{"subscribed":true}' "$T/events"
vn p send "$B" "private words"
vn p sos "secret detail"
got_events() { grep -q '"kind":"message"' "$T/events" && [ "$(grep -c '"kind":"alert"' "$T/events" || true)" -ge 2 ]; }
wait_for "the message and both SOS events" 20 got_events
EV=$(cat "$T/events")
expect_match "a message event with sender, name and text" "\"method\":\"event\",\"params\":\\{\"kind\":\"message\",\"case\":null,\"id\":\"[0-9a-f]{32}\",\"from\":\"$P\",\"from_name\":\"pat\",\"time\":\"[0-9T:Z-]+\",\"text\":\"private words\",\"seq\":[0-9]+\\}" "$EV"
expect_match "the server's SOS notice as an alert event" '"kind":"alert","source":"server","action":"raised","alert":"[0-9a-f]{32}","alert_kind":"sos","severity":"[a-z]+","notice":"sos"' "$EV"
expect_match "the participant's SOS as an alert event" '"kind":"alert","source":"end-to-end","action":"raised","alert":"[0-9a-f]{32}","alert_kind":"sos",.*"note":"secret detail"' "$EV"
wait_for "the notify command for the SOS" 20 grep -q '^alert|SOS' "$T/notes"
NOTES=$(cat "$T/notes")
expect_match "the notify text tells how to take it" '^alert\|SOS .*vangnet claim [0-9a-f]{32}\|SOS .*vangnet claim' "$NOTES"
expect_eq "one SOS notifies once" 1 "$(grep -c '^alert|' "$T/notes")"
expect_match "the message notifies by sender" '^message\|Message from pat\|Message from pat$' "$NOTES"
check "no message content in any notification" test -z "$(grep -E 'private|secret' "$T/notes" || true)"

step "a client that sends half a request holds nobody up"
mkfifo "$T/slow.in"
exec 9<>"$T/slow.in"
"$VANGNET" --profile "$T/b" jsonrpc --connect <"$T/slow.in" >"$T/slow.out" &
SLOW=$!
printf '{"jsonrpc":"2.0","id":1,"method":"who' >&9
# Nothing to wait for: the point is that the daemon waits for the rest.
sleep 0.5
expect_eq "another client is answered meanwhile" "$B buddy" "$(vn b whoami)"
kill "$SLOW" 2>/dev/null || true
exec 9>&-

step "the CLI goes through the daemon: the same output and exit code"
expect_eq "whoami" "$(VANGNET_NO_DAEMON=1 vn b whoami)" "$(vn b whoami)"
expect_eq "contacts --json" "$(VANGNET_NO_DAEMON=1 vn b --json contacts)" "$(vn b --json contacts)"
INBOX=$(vn b inbox)
expect_match "inbox shows what the daemon stored" 'pat: private words' "$INBOX"
expect_match "and the SOS" '\[SOS\] secret detail' "$INBOX"
expect_eq "then nothing new" "no new messages" "$(vn b inbox)"
vn p send "$B" "one more"
wait_for "its event" 20 grep -q '"text":"one more"' "$T/events"
# Into a file (not a pipe) inbox goes through the daemon: no passphrase needed.
env -u VANGNET_PASSPHRASE "$VANGNET" --profile "$T/b" inbox >"$T/inbox.out"
expect_match "inbox through the daemon, without the passphrase" 'pat: one more' "$(cat "$T/inbox.out")"
RC1=0; E1=$(VANGNET_NO_DAEMON=1 vn b claim 00000000000000000000000000000000 2>&1) || RC1=$?
RC2=0; E2=$(vn b claim 00000000000000000000000000000000 2>&1) || RC2=$?
expect_eq "a failing command: the same exit code" "$RC1" "$RC2"
expect_eq "and the same message" "$E1" "$E2"
check "the CLI did no key derivation: no passphrase needed" env -u VANGNET_PASSPHRASE "$VANGNET" --profile "$T/b" whoami
check "the daemon served them" grep -q 'serving' "$T/daemon.log"

step "vangnet is a thin front: libc only; what the daemon must not run goes to vangnet-full"
NEEDED=$(readelf -d "$VANGNET" | grep NEEDED || true)
# (An ASan build adds the sanitizers' runtimes, nothing else.)
expect_eq "vangnet needs only libc" "" "$(grep -vE 'libc\.so|libasan|libubsan|libm\.so|libgcc|libstdc' <<< "$NEEDED" || true)"
expect_match "and libc it needs" 'libc\.so' "$NEEDED"
check "vangnet-full sits beside it" test -x "$(dirname "$VANGNET")/vangnet-full"
expect_match "--version (run by vangnet-full)" '^vangnet [0-9]' "$(vn b --version)"
RC1=0; E1=$(VANGNET_NO_DAEMON=1 vn b whoami --bogus 2>&1) || RC1=$?
RC2=0; E2=$(vn b whoami --bogus 2>&1) || RC2=$?
expect_eq "a wrong option: the same exit code" "$RC1" "$RC2"
expect_eq "and the same message" "$E1" "$E2"
RC2=0; E2=$(vn b --timeout 0 whoami 2>&1) || RC2=$?
expect_eq "a wrong --timeout is a usage error" "2" "$RC2"
expect_match "naming it" 'timeout wants whole seconds' "$E2"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":["vangnet","whoami"]}}')
expect_match "exec runs a command line: exit 0" '"exit":0' "$OUT"
expect_eq "its output, base64" "$(vn b whoami)" "$(sed -E 's/.*"stdout":"([^"]*)".*/\1/' <<< "$OUT" | base64 -d)"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":["vangnet","send","--stdin","'"$P"'"]}}')
expect_match "send --stdin is left to the caller" '"local":true' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":["vangnet","inbox"],"stdout_fifo":true}}')
expect_match "so is inbox onto a pipe" '"local":true' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":["vangnet","wellbeing"],"stdin_tty":true}}')
expect_match "and a question for a person on a terminal" '"local":true' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":["vangnet","--help"]}}')
expect_match "and --help" '"local":true' "$OUT"
OUT=$(rpc b '{"jsonrpc":"2.0","id":1,"method":"exec","params":{"words":"whoami"}}')
expect_match "exec without an array of words is refused" '"code":-32602.*exec wants words' "$OUT"
RC1=0; E1=$(VANGNET_NO_DAEMON=1 vn b case close 0123456789abcdef0123456789abcdef </dev/null 2>&1) || RC1=$?
RC2=0; E2=$(vn b case close 0123456789abcdef0123456789abcdef </dev/null 2>&1) || RC2=$?
expect_eq "case close off a terminal: the same exit code" "$RC1" "$RC2"
expect_eq "and the same message" "$E1" "$E2"

step "a daemon that died leaves a socket nobody answers: the CLI works as before"
kill "$RELAY" 2>/dev/null || true
kill -9 "$DAEMON"
wait "$DAEMON" 2>/dev/null || true
check "the socket file is still there" test -S "$T/b/daemon.sock"
expect_eq "whoami runs here" "$B buddy" "$(vn b whoami)"
expect_match "jsonrpc --connect says no daemon answers" 'no daemon answers' "$(vn b jsonrpc --connect </dev/null 2>&1 || true)"

step "a new daemon takes the stale socket over; a second one is refused"
"$VANGNET" --profile "$T/b" daemon 2>"$T/daemon2.log" &
DAEMON=$!
wait_for "the new daemon to serve" 20 grep -q serving "$T/daemon2.log"
RC=0; OUT=$(vn b daemon 2>&1) || RC=$?
expect_match "a second daemon for the profile is refused" 'a daemon already serves profile' "$OUT"
check "the first daemon still answers" test "$(rpc b '{"jsonrpc":"2.0","id":1,"method":"whoami"}' | grep -c "$B")" -eq 1
kill -TERM "$DAEMON"
RC=0; wait "$DAEMON" || RC=$?
expect_eq "the daemon ends 0 on SIGTERM" 0 "$RC"
check "and removes its socket" test ! -e "$T/b/daemon.sock"
check "no sanitizer report from the daemons" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/daemon*.log || true)"
finish
