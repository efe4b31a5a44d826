#!/usr/bin/env bash
# The address invites carry: a server listening on a wildcard address
# (0.0.0.0) gives out no invite until it is told its public address
# (--public-endpoint or public-endpoint in its settings file); with one,
# both the operator's and the casemanager's invites carry it, and new
# devices join through it. Bad public addresses stop the start-up.
. "$(dirname "$0")/lib.sh"

# code_endpoint CODE: the endpoint inside an invite code (vn1- and
# base64url of [length][endpoint][key][secret]).
code_endpoint() {
    local b64=${1#vn1-}
    b64=$(tr '_-' '/+' <<< "$b64")
    while [ $(( ${#b64} % 4 )) -ne 0 ]; do b64+="="; done
    local raw len
    raw=$(base64 -d <<< "$b64" | od -An -tu1 -v | tr -s ' \n' ' ')
    read -r len rest <<< "$raw"
    local out= i=0
    for byte in $rest; do
        [ $i -ge "$len" ] && break
        out+=$(printf "\\$(printf '%03o' "$byte")")
        i=$((i + 1))
    done
    echo "$out"
}
op_invite() { "$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" "$@"; }

step "a wildcard listener without a public endpoint: the operator's invite is refused, naming the option"
server_init
ENDPOINT="tcp://0.0.0.0:*"
server_start
PORT=${ENDPOINT##*:}
expect_match "the server bound a wildcard address" '^tcp://0\.0\.0\.0:[0-9]+$' "$ENDPOINT"
RC=0; OUT=$(op_invite --role casemanager 2>&1) || RC=$?
expect_eq "refused" 1 "$RC"
expect_match "the error names the address and the option" \
    "tcp://0\.0\.0\.0:$PORT is a wildcard address .*--public-endpoint tcp://HOST:PORT" "$OUT"
for wild in "tcp://0.0.0.0:$PORT" "tcp://*:$PORT" "tcp://[::]:$PORT" "tcp://[0:0::0]:$PORT"; do
    RC=0; OUT=$(op_invite --role casemanager --endpoint "$wild" 2>&1) || RC=$?
    expect_eq "--endpoint $wild is a usage error" 2 "$RC"
done
CODE=$(op_invite --role casemanager --endpoint "tcp://127.0.0.1:$PORT")
expect_eq "--endpoint with a reachable host is what the code carries" "tcp://127.0.0.1:$PORT" "$(code_endpoint "$CODE")"
vn cm join "$CODE" >/dev/null
CMP=cm
CASE=$(vn cm case new)
CODE=$(vn cm invite --case "$CASE" --role participant)
expect_eq "the casemanager's invite carries the address its profile uses" \
    "tcp://127.0.0.1:$PORT" "$(code_endpoint "$CODE")"
vn p join "$CODE" >/dev/null
pass "a participant joined through it"

step "a profile that reaches the server by a wildcard address gives out no invite"
vn cm server set-endpoint "tcp://0.0.0.0:$PORT" >/dev/null
RC=0; OUT=$(vn cm invite --case "$CASE" --role buddy 2>&1) || RC=$?
expect_eq "refused" 1 "$RC"
expect_match "naming the server option" "wildcard address no one else can connect to.*--public-endpoint tcp://HOST:PORT" "$OUT"
vn cm server set-endpoint "tcp://127.0.0.1:$PORT" >/dev/null
server_stop

step "bad public endpoints stop the start-up, on the command line and in a settings file"
for bad in "tcp://0.0.0.0:$PORT" "tcp://*:$PORT" "tcp://[::]:$PORT" "localhost:$PORT" "tcp://localhost" "tcp://localhost:0"; do
    RC=0; OUT=$("$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "$ENDPOINT" \
        --public-endpoint "$bad" 2>&1) || RC=$?
    expect_eq "--public-endpoint $bad: a usage error" 2 "$RC"
    expect_match "it says what is wanted" "public-endpoint.* must be tcp://HOST:PORT" "$OUT"
done
printf 'public-endpoint = tcp://0.0.0.0:%s\n' "$PORT" > "$T/bad.conf"
RC=0; OUT=$("$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --config "$T/bad.conf" 2>&1) || RC=$?
expect_eq "a wildcard public-endpoint in the settings file: refused" 2 "$RC"
expect_match "naming the key" "public-endpoint in a settings file\) must be tcp://HOST:PORT" "$OUT"

step "with a public endpoint (settings file), both invites carry it and devices join through it"
printf '# the address clients use\npublic-endpoint = tcp://localhost:%s\n' "$PORT" > "$T/good.conf"
server_start --config "$T/good.conf"
CODE=$(op_invite --role casemanager)
expect_eq "the operator's invite carries the public endpoint" "tcp://localhost:$PORT" "$(code_endpoint "$CODE")"
vn cm2 join "$CODE" >/dev/null
pass "a casemanager joined through it"
CODE=$(vn cm invite --case "$CASE" --role buddy)
expect_eq "the casemanager's invite carries it too, not the profile's own address" \
    "tcp://localhost:$PORT" "$(code_endpoint "$CODE")"
vn b join "$CODE" >/dev/null
vn b send "$(vn p whoami | cut -d' ' -f1)" "hello through the public address" >/dev/null
wait_inbox p "hello through the public address"
pass "the buddy who joined through it messages the participant"
server_stop

step "on the command line it wins over the file; without one the published address goes"
server_start --config "$T/good.conf" --public-endpoint "tcp://127.0.0.1:$PORT"
expect_eq "the command line's public endpoint" "tcp://127.0.0.1:$PORT" "$(code_endpoint "$(op_invite --role admin)")"
server_stop
server_start
check "a server started without one no longer publishes it" test ! -e "$STATE/public-endpoint"
expect_match "and the operator's invite is refused again" "wildcard address" "$(op_invite --role admin 2>&1 || true)"
server_stop
finish
