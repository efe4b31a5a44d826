#!/usr/bin/env bash
# server.key: the server's CURVE secret key is sealed under the store key,
# so a copy of the state directory cannot pose as the server. init writes
# it sealed; a plain one of an older release is sealed on the first start
# (and clients pinned to its server.pub still connect); a wrong store key,
# a server.key of another store and a damaged one are refused, each naming
# server.key; rekey seals it anew under the new key.
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../data/format0/state" && pwd)
# err CMD...: the command's stderr; the command must fail with exit 1.
err() { local out rc=0; out=$("$@" 2>&1 >/dev/null) || rc=$?; [ "$rc" -eq 1 ] || out="(exit $rc) $out"; tr '\n' ' ' <<< "$out"; }
run_with() { "$VANGNETD" run --state "$STATE" --listen 'tcp://127.0.0.1:*' "$@"; }
# z85_hex Z85: the bytes a z85 text stands for, in lower-case hex.
z85_hex() {
    local a='0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
    local s=$1 i k v c pre out=
    for ((i = 0; i < ${#s}; i += 5)); do
        v=0
        for ((k = 0; k < 5; k++)); do
            c=${s:i+k:1}
            pre=${a%%"$c"*}
            v=$((v * 85 + ${#pre}))
        done
        out+=$(printf '%08x' "$v")
    done
    printf '%s' "$out"
}
SEALED='^vnsk1:[0-9a-f]{144}$'

step "init writes server.key sealed"
server_init
expect_eq "server.key is 0600" 600 "$(stat -c %a "$STATE/server.key")"
check "it is one sealed line" grep -Eqx "$SEALED" "$STATE/server.key"
check "not a plain z85 key" bash -c "! grep -Eqx '.{40}' '$STATE/server.key'"
check "server.pub stays plain z85" grep -Eqx '.{40}' "$STATE/server.pub"
server_start
join cm casemanager
expect_match "the server authenticates a client: it joined and answers" casemanager "$(vn cm whoami)"
server_stop

step "a wrong store key, a server.key of another store, a damaged one"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/wrong.key"; echo >> "$T/wrong.key"
chmod 600 "$T/wrong.key"
expect_match "a wrong store key names the key, the store and server.key" \
    "the store key in $T/wrong.key does not open the store in $STATE \\(wrong key\\? it is the key that seals the store and its server.key\\)" \
    "$(err run_with --store-key "$T/wrong.key")"
cp -p "$STATE/server.key" "$T/server.key.good"
"$VANGNETD" init --state "$T/other" --store-key "$T/other.key" >/dev/null 2>&1
cp "$T/other/server.key" "$STATE/server.key"
expect_match "another store's server.key is refused, named" \
    "the store key in $STORE_KEY does not open $STATE/server.key .*sealed under another store key" \
    "$(err run_with --store-key "$STORE_KEY")"
head -c 100 "$T/server.key.good" > "$STATE/server.key"
expect_match "a truncated server.key is named as damaged" \
    "$STATE/server.key is damaged or cut short: 100 characters, where a sealed server key has 150 and an older plain one 40" \
    "$(err run_with --store-key "$STORE_KEY")"
head -c 40 "$T/server.key.good" > "$STATE/server.key"
expect_match "cut to a plain key's length, it is not taken for one" \
    "$STATE/server.key is damaged or cut short: 40 characters" "$(err run_with --store-key "$STORE_KEY")"
GOOD=$(cat "$T/server.key.good")
# One hex digit of the box changed (its tag no longer fits).
[ "${GOOD:100:1}" = a ] && C=b || C=a
printf '%s\n' "${GOOD:0:100}$C${GOOD:101}" > "$STATE/server.key"
expect_match "a changed byte does not open" "does not open $STATE/server.key" \
    "$(err run_with --store-key "$STORE_KEY")"
rm "$STATE/server.key"
expect_match "a missing server.key names init" "there is no $STATE/server.key: run \`vangnetd init" \
    "$(err run_with --store-key "$STORE_KEY")"
cp -p "$T/server.key.good" "$STATE/server.key"
server_start
expect_match "put back, it serves again" casemanager "$(vn cm whoami)"
server_stop

step "a plain server.key of an older release is sealed on the first start"
cp "$DATA/server.key" "$DATA/server.pub" "$STATE/"
chmod 600 "$STATE/server.key"
SECRET=$(head -c 40 "$DATA/server.key")
SECRET_HEX=$(z85_hex "$SECRET")
expect_eq "the plain secret is 32 bytes" 64 "${#SECRET_HEX}"
server_start
check "the log says it was sealed" log_has "$STATE/server.key held the server's secret key in the clear \\(an older release\\): now sealed under the store key"
check "server.key is sealed now" grep -Eqx "$SEALED" "$STATE/server.key"
check "the z85 secret is not in it" bash -c "! grep -qF -- '$SECRET' '$STATE/server.key'"
check "nor the secret's bytes in hex" bash -c "! grep -qiF -- '$SECRET_HEX' '$STATE/server.key'"
check "nor the raw bytes" bash -c "! od -An -tx1 '$STATE/server.key' | tr -d ' \n' | grep -qF -- '$SECRET_HEX'"
check "no temporary file is left" test ! -e "$STATE/server.key.tmp"
expect_eq "still 0600" 600 "$(stat -c %a "$STATE/server.key")"
join p casemanager
expect_match "a client pinned to the old server.pub joins and is served" casemanager "$(vn p whoami)"
server_stop
cp "$STATE/server.key" "$T/sealed-once"
server_start
check "a second start does not seal again" cmp -s "$STATE/server.key" "$T/sealed-once"
expect_match "and the client still connects" casemanager "$(vn p whoami)"
server_stop

step "rekey seals server.key under the new key"
"$VANGNETD" rekey --state "$STATE" --store-key "$STORE_KEY" --new-key "$T/new.key" 2>/dev/null
check "sealed" grep -Eqx "$SEALED" "$STATE/server.key"
check "and changed" bash -c "! cmp -s '$STATE/server.key' '$T/sealed-once'"
check "no rekey leftover" test ! -e "$STATE/server.key.rekey"
expect_match "the old key no longer opens the store or server.key" "does not open the store in $STATE .*its server.key" \
    "$(err run_with --store-key "$STORE_KEY")"
STORE_KEY=$T/new.key
server_start
expect_match "with the new key the client connects" casemanager "$(vn p whoami)"
server_stop

step "a rotation that stopped after it moved the store is finished on start"
# What such a stop leaves: server.key still under the old key, server.key.rekey under the new.
mv "$STATE/server.key" "$STATE/server.key.rekey"
cp -p "$T/sealed-once" "$STATE/server.key"
mv "$STATE/server.key.rekey" "$T/sealed-new"
expect_match "alone, the server.key under the old key does not open with the new key" \
    "the store key in $STORE_KEY does not open $STATE/server.key" "$(err run_with --store-key "$STORE_KEY")"
mv "$T/sealed-new" "$STATE/server.key.rekey"
server_start
check "the log says the rotation's server.key was moved" log_has "server.key.rekey was left by a key rotation"
check "it is gone" test ! -e "$STATE/server.key.rekey"
expect_match "and the client connects" casemanager "$(vn p whoami)"
server_stop
check "the state opens with the new key alone now" bash -c "! grep -qF -- '$(cat "$T/sealed-once")' '$STATE/server.key'"
finish
