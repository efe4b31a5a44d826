#!/usr/bin/env bash
# One server, several addresses, one pinned key. The server's public
# endpoints (--public-endpoint given twice, one of them a list) go into
# every invite (a vn2 code); the client tries them in turn: a dead one
# (nothing listening) and one where another server answers under another
# key are passed over, the right server is found at the third, and the
# profile remembers it. When the server moves to the fourth address (the
# same state directory started on another port), clients and a daemon go on
# without a new invite. A profile whose only address holds another server
# is refused at once, naming that address.
. "$(dirname "$0")/lib.sh"

# free_port: a loopback port nothing listens on (checked, not reserved),
# below the kernel's ephemeral range (32768-60999): a port in it could be
# given meanwhile to another test's connection, and the server's listen
# then failed ("Address already in use", seen once in a full run).
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12768))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
# code_endpoints CODE: the endpoints inside a vn2 code, one a line
# ("vn2-" and base64url of [count]([length][endpoint])*[key][secret]).
code_endpoints() {
    local b64=${1#vn2-} raw
    b64=$(tr '_-' '/+' <<< "$b64")
    while [ $(( ${#b64} % 4 )) -ne 0 ]; do b64+="="; done
    read -r -a raw <<< "$(base64 -d <<< "$b64" | od -An -tu1 -v | tr -s ' \n' ' ')"
    local count=${raw[0]} at=1 k i out
    for ((k = 0; k < count; k++)); do
        out=
        for ((i = 0; i < raw[at]; i++)); do out+=$(printf "\\$(printf '%03o' "${raw[at + 1 + i]}")"); done
        echo "$out"
        at=$((at + 1 + raw[at]))
    done
}
last_is() { [ "$(vn "$1" server show --json)" = "{\"endpoints\": [$ALL_JSON], \"last\": \"$2\"}" ]; }

step "another server (another key) and a dead address beside the real one"
"$VANGNETD" init --state "$T/other" --store-key "$T/other.key" >/dev/null 2>&1
"$VANGNETD" run --state "$T/other" --store-key "$T/other.key" --listen 'tcp://127.0.0.1:*' 2>>"$T/other.log" &
OTHER_PID=$!
wait_for "the other server to listen" 20 test -s "$T/other/endpoint"
OTHER=$(cat "$T/other/endpoint")
DEAD=tcp://127.0.0.1:$(free_port)
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
ONE=tcp://127.0.0.1:$P1
TWO=tcp://127.0.0.1:$P2
ALL_JSON="\"$DEAD\", \"$OTHER\", \"$ONE\", \"$TWO\""
server_init
ENDPOINT=$ONE
server_start --public-endpoint "$DEAD,$OTHER" --public-endpoint "$ONE,$TWO"
expect_eq "the server listens at the third address" "$ONE" "$ENDPOINT"

step "the operator's invite carries all four addresses (vn2)"
CODE=$("$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role casemanager)
expect_match "a vn2 code" '^vn2-' "$CODE"
expect_eq "in the order given" "$DEAD $OTHER $ONE $TWO" "$(code_endpoints "$CODE" | tr '\n' ' ' | sed 's/ $//')"
RC=0; ERR=$("$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role casemanager \
    --endpoint "$DEAD,$OTHER,$ONE,$TWO,tcp://127.0.0.1:9" 2>&1) || RC=$?
expect_eq "five addresses are a bad command line" 2 "$RC"
expect_match "saying so" 'more than 4 addresses' "$ERR"
RC=0; ERR=$("$VANGNETD" run --state "$T/nostate" --store-key "$T/other.key" \
    --public-endpoint "$ONE" --public-endpoint "tcp://0.0.0.0:$P2" 2>&1) || RC=$?
expect_eq "a wildcard among the public addresses stops the start" 2 "$RC"
expect_match "naming it" "not tcp://0\.0\.0\.0:$P2" "$ERR"

step "joining goes past the dead address and the other server"
vn cm join "$CODE" >/dev/null
pass "the casemanager joined through the third address"
check "and its profile remembers that one" last_is cm "$ONE"
CMP=cm
CASE=$(vn cm case new)
PCODE=$(vn cm invite --case "$CASE" --role participant)
expect_eq "the casemanager's invite carries the server's four addresses" \
    "$DEAD $OTHER $ONE $TWO" "$(code_endpoints "$PCODE" | tr '\n' ' ' | sed 's/ $//')"
P=$(vn p join "$PCODE")
B=$(join b buddy)
vn cm send "$P" "hello before the move"
wait_inbox p 'hello before the move'
check "the participant starts at the one that answered" last_is p "$ONE"

step "the buddy's daemon, subscribed"
mkfifo "$T/sub.in"
exec 7<>"$T/sub.in"
"$VANGNET" --profile "$T/b" daemon 2>"$T/daemon.log" &
DAEMON=$!
wait_for "the daemon's socket" 20 test -S "$T/b/daemon.sock"
"$VANGNET" --profile "$T/b" jsonrpc --connect <"$T/sub.in" >"$T/events" &
RELAY=$!
echo '{"jsonrpc":"2.0","id":1,"method":"subscribe"}' >&7
wait_for "the subscription" 10 grep -q '"subscribed":true' "$T/events"
vn p send "$B" "to the daemon before"
wait_for "the daemon to tell of it" 20 grep -q '"text":"to the daemon before"' "$T/events"

step "the server moves to the fourth address: no new invite needed"
server_stop
ENDPOINT=$TWO
# This time the list comes from the settings file.
printf 'public-endpoint = %s\n' "$DEAD,$OTHER,$ONE,$TWO" > "$T/vangnetd.conf"
server_start --config "$T/vangnetd.conf"
expect_eq "the settings file's list is what invites carry" "$DEAD,$OTHER,$ONE,$TWO" "$(cat "$STATE/public-endpoint")"
expect_eq "the server listens at the fourth address" "$TWO" "$ENDPOINT"
vn cm send "$P" "hello after the move"
wait_inbox p 'hello after the move'
pass "sender and recipient went on at the new address"
check "both remember it" last_is cm "$TWO"
check "the participant too" last_is p "$TWO"
vn p send "$B" "to the daemon after"
wait_for "the daemon to reconnect and tell of it" 60 grep -q '"text":"to the daemon after"' "$T/events"
exec 7>&-
kill -TERM "$RELAY" 2>/dev/null || true
wait "$RELAY" 2>/dev/null || true
kill -TERM "$DAEMON"
RC=0; wait "$DAEMON" || RC=$?
expect_eq "the daemon ends 0 on SIGTERM" 0 "$RC"
check "no sanitizer report from the daemon" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T/daemon.log" || true)"

step "a server with another key is refused, naming its address"
run() { RC=0; OUT=$("$@" 2>"$T/err") || RC=$?; ERR=$(cat "$T/err"); }
run vn cm --timeout 5 server set-endpoint "$OTHER"
expect_eq "set-endpoint to the other server fails (exit 3)" 3 "$RC"
expect_match "naming it and the pin" "$OTHER: a server answers there under another key than the one this profile pinned" "$ERR"
check "the addresses stay" last_is cm "$TWO"
run vn cm server set-endpoint --no-check "$OTHER"
START=$(date +%s%N)
run vn cm --timeout 20 case list
ELAPSED=$(( ($(date +%s%N) - START) / 1000000 ))
expect_eq "stored unchecked, the next command is refused (exit 3)" 3 "$RC"
expect_match "naming the address" "cannot list cases: $OTHER: a server answers there under another key" "$ERR"
check "at once, not after the timeout (${ELAPSED} ms)" test "$ELAPSED" -lt 15000
run vn cm server set-endpoint "$DEAD" "$OTHER,$TWO"
expect_eq "a list with the right server among them is taken" 0 "$RC"
expect_match "and shown" "server addresses now $DEAD,$OTHER,$TWO" "$OUT"
run vn cm server set-endpoint "$DEAD" "$OTHER" "$ONE" "$TWO" "tcp://127.0.0.1:9"
expect_eq "five addresses are a bad command line" 2 "$RC"
run vn cm case list
expect_eq "the profile works through the list" 0 "$RC"

step "every address dead: a timeout that says what was found at each"
server_stop
run vn cm --timeout 3 case list
expect_eq "exit 3 (try again)" 3 "$RC"
expect_match "naming the dead ones and the other server" \
    "no answer from the server within 3 s.*$DEAD: nothing answers there.*$OTHER: a server answers there under another key.*$TWO: nothing answers there" "$ERR"
kill -TERM "$OTHER_PID"; wait "$OTHER_PID" || true
finish
