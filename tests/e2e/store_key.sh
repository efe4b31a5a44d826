#!/usr/bin/env bash
# The store key: vangnetd opens the store only with the key it was made
# with, from a file kept outside the state directory and closed to group and
# others; each refusal says what was wrong. With the right key it serves.
. "$(dirname "$0")/lib.sh"

# err CMD...: the command's stderr; the command must fail.
err() { local out rc=0; out=$("$@" 2>&1 >/dev/null) || rc=$?; [ "$rc" -ne 0 ] || out="(exit 0)"; printf '%s' "$out"; }
run_with() { "$VANGNETD" run --state "$STATE" --listen 'tcp://127.0.0.1:*' "$@"; }

step "init makes the key file, outside the state directory"
expect_match "init without --store-key is refused, naming the option" '--store-key FILE is required' \
    "$(err "$VANGNETD" init --state "$STATE")"
expect_match "init with the key inside the state directory is refused" 'lies inside the state directory' \
    "$(err "$VANGNETD" init --state "$STATE" --store-key "$STATE/store.key")"
ADVICE=$("$VANGNETD" init --state "$STATE" --store-key "$STORE_KEY" 2>&1 >/dev/null)
expect_match "init says where the key is and how to seal it" "store key is in $STORE_KEY.*systemd-creds encrypt" \
    "$(tr '\n' ' ' <<< "$ADVICE")"
expect_eq "the key file is 0600" 600 "$(stat -c %a "$STORE_KEY")"
check "the key file is 64 hex characters and a newline" grep -Eqx '[0-9a-f]{64}' "$STORE_KEY"
expect_eq "and nothing more" 65 "$(stat -c %s "$STORE_KEY")"
check "nothing of the key is in the state directory" bash -c "! grep -rqF '$(cat "$STORE_KEY")' '$STATE'"
expect_match "init never overwrites a key file" 'exists already' \
    "$(err "$VANGNETD" init --state "$T/state2" --store-key "$STORE_KEY")"

step "without a key"
expect_match "run without a key is refused, naming the option and the credential" \
    'no store key: give --store-key FILE or run under systemd with LoadCredentialEncrypted=vangnetd-store-key' \
    "$(env -u CREDENTIALS_DIRECTORY "$VANGNETD" run --state "$STATE" --listen 'tcp://127.0.0.1:*' 2>&1 || true)"
expect_match "so is invite" 'no store key: give --store-key FILE' \
    "$(err env -u CREDENTIALS_DIRECTORY "$VANGNETD" invite --state "$STATE" --role admin --endpoint tcp://127.0.0.1:1)"

step "a wrong key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/wrong.key"; echo >> "$T/wrong.key"
chmod 600 "$T/wrong.key"
expect_match "run with another key is refused, naming both" \
    "the store key in $T/wrong.key does not open the store in $STATE \\(wrong key\\? it is the key that seals the store and its server.key\\)" \
    "$(err run_with --store-key "$T/wrong.key")"
expect_match "so is clock" 'does not open the store' \
    "$(err "$VANGNETD" clock --state "$STATE" --store-key "$T/wrong.key" advance 1d)"

step "key files vangnetd will not use"
cp -p "$STORE_KEY" "$STATE/store.key"
expect_match "a key inside the state directory is refused" 'lies inside the state directory' \
    "$(err run_with --store-key "$STATE/store.key")"
rm -f "$STATE/store.key"
cp -p "$STORE_KEY" "$T/open.key"; chmod 644 "$T/open.key"
expect_match "a key file others may read (0644) is refused" 'open to group or others \(mode 0644\)' \
    "$(err run_with --store-key "$T/open.key")"
chmod 640 "$T/open.key"
expect_match "so is one the group may read (0640)" 'open to group or others' \
    "$(err run_with --store-key "$T/open.key")"
printf 'not a key\n' > "$T/short.key"; chmod 600 "$T/short.key"
expect_match "a file that is not a key is refused" 'is not a store key: it must hold 64 hex characters' \
    "$(err run_with --store-key "$T/short.key")"
head -c 32 /dev/urandom > "$T/raw.key"; chmod 600 "$T/raw.key"
expect_match "so are 32 raw bytes" 'is not a store key' "$(err run_with --store-key "$T/raw.key")"
expect_match "a missing file is named" "cannot open the store key $T/none.key" \
    "$(err run_with --store-key "$T/none.key")"

step "the right key serves, also as a systemd credential"
mkdir -m 700 "$T/creds"
cp -p "$STORE_KEY" "$T/creds/vangnetd-store-key"; chmod 400 "$T/creds/vangnetd-store-key"
CODE=$(CREDENTIALS_DIRECTORY=$T/creds "$VANGNETD" invite --state "$STATE" --role casemanager --endpoint tcp://127.0.0.1:1)
expect_match "invite opens the store with the credential" '^vn1-' "$CODE"
server_start
new_case cm
expect_match "the server serves: a casemanager joined and opened a case" '^[0-9a-f]{32}$' "$CASE"
expect_match "and answers whoami" 'casemanager' "$(vn cm whoami)"

step "a new key: rekey"
expect_match "rekey while the server runs is refused" 'vangnetd is running on .*: stop it first' \
    "$(err "$VANGNETD" rekey --state "$STATE" --store-key "$STORE_KEY" --new-key "$T/new.key")"
check "and leaves no unused key behind" test ! -e "$T/new.key"
server_stop
expect_match "rekey needs --new-key" '--new-key FILE is required' \
    "$(err "$VANGNETD" rekey --state "$STATE" --store-key "$STORE_KEY")"
expect_match "rekey with a wrong old key is refused" 'does not open the store' \
    "$(err "$VANGNETD" rekey --state "$STATE" --store-key "$T/wrong.key" --new-key "$T/new2.key")"
expect_match "rekey never overwrites a key file" 'exists already' \
    "$(err "$VANGNETD" rekey --state "$STATE" --store-key "$STORE_KEY" --new-key "$T/wrong.key")"
RECORDS=$(store_dump -a | grep -c '^ ')
"$VANGNETD" rekey --state "$STATE" --store-key "$STORE_KEY" --new-key "$T/new.key" 2>"$T/rekey.err"
expect_match "rekey says which key now opens the store" "now sealed with the key in $T/new.key" "$(cat "$T/rekey.err")"
check "no rotation leftovers in the state directory" test ! -e "$STATE/rekey.tmp"
expect_match "the old key no longer opens the store" 'does not open the store' \
    "$(err "$VANGNETD" clock --state "$STATE" --store-key "$STORE_KEY" advance 1d)"
STORE_KEY=$T/new.key
expect_eq "every record came along" "$RECORDS" "$(store_dump -a | grep -c '^ ')"
server_start
expect_match "the server serves with the new key: the casemanager is known" 'casemanager' "$(vn cm whoami)"
expect_match "and the case is there" "$CASE" "$(vn cm case list --wide)"
server_stop

step "a store of the old, unsealed format is refused"
mkdir -m 700 "$T/old"
# What an old server left: meta's names in the clear.
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n mail_seq\n 12345678\nDATA=END\n' | mdb_load -s meta "$T/old"
cp "$STATE/server.key" "$STATE/server.pub" "$T/old/"
expect_match "an old store is named as such" 'is of the old, unsealed format' \
    "$("$VANGNETD" run --state "$T/old" --store-key "$STORE_KEY" --listen 'tcp://127.0.0.1:*' 2>&1 || true)"
finish
