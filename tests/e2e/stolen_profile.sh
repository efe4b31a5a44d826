#!/usr/bin/env bash
# A stolen laptop without the passphrase shows nothing: after contacts, 1:1
# and team messages and recorded test outcomes, no file of a client profile
# holds an account id, the case id, a message id or a recorded day, in raw
# bytes, hex or base64; records of every kind (positive, negative, dilute,
# a clinical state) are stored at one size and messages in 64-byte steps;
# and the passphrase can be changed (old refused, new
# works, data intact) while a wrong one is refused with a clear error; a
# profile of the scrypt era is moved into the current format.
. "$(dirname "$0")/lib.sh"

step "a case with a participant, two buddies and a contract"
server_init
server_start --test-clock --sweep 1s
server_clock set 2027-01-04T07:00
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
B1=$(join b1 buddy)
B2=$(join b2 buddy)
vn cm contract set --case "$CASE" --template default --start 2027-01-04 >/dev/null
vn doc inbox >/dev/null
vn doc contract sign --case "$CASE" >/dev/null

step "contacts, 1:1 and team messages"
vn doc contacts add "my casemanager" "$CM"
vn doc contacts add "buddy one" "$B1"
vn cm contacts add "the doctor" "$DOC"
# Message ids are learnt from the server's index while the messages wait.
msgids() { store_dump -s msgindex | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
    d && /^ / {n++; if (n % 2 == 1) print substr($1, 33)}'; }
vn cm send "the doctor" "ok"
vn doc send "my casemanager" "a longer message of some sixty characters, give or take a few"
vn b1 send "$DOC" "here if you need me"
vn doc send --case "$CASE" "hello team"
vn b2 send --case "$CASE" "hello from the second buddy, a bit longer than the first"

step "test outcomes: positive, negative, dilute, and other records"
server_clock advance 4d
vn cm test record --case "$CASE" --date 2027-01-05 positive --confirmed --note "confirmed by lab" >/dev/null
vn cm test record --case "$CASE" --date 2027-01-06 negative >/dev/null
vn cm test record --case "$CASE" --date 2027-01-07 dilute --note "x" >/dev/null
vn cm state record --case "$CASE" relapse >/dev/null
vn cm contact record --case "$CASE" --kind in-person --date 2027-01-04 >/dev/null
IDS=$(msgids | sort -u)
check "message ids were learnt from the server" test "$(wc -l <<< "$IDS")" -ge 5
for p in doc cm b1 b2; do
    INBOX_JSON=$(vn "$p" --json inbox)
    IDS+=$'\n'$(grep -o '"id": "[0-9a-f]*"' <<< "$INBOX_JSON" | cut -d'"' -f4 || true)
done
IDS=$(sort -u <<< "$IDS" | grep . || true)
expect_match "the participant has the results" '"positive": 1, "positive_confirmed": 1, "dilute": 1' \
    "$(vn cm --json report --case "$CASE" --month 2027-01)"

# hex_of TEXT: the lowercase hex of TEXT's bytes.
hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# b64_variants HEX: base64 of the bytes, starting at each of the first
# three offsets (an encoding inside a longer blob depends on alignment),
# cut to whole groups of four and to at least 8 characters.
b64_variants() {
    local k s
    for k in 0 1 2; do
        s=$(xxd -r -p <<< "${1:$((k * 2))}" | base64 -w0)
        s=${s%%=*}
        s=${s:0:$(( ${#s} / 4 * 4 ))}
        [ "${#s}" -ge 8 ] && echo "$s"
    done
}
# pcre_of HEX: a grep -P pattern matching those raw bytes.
pcre_of() { sed 's/../\\x&/g' <<< "$1"; }
# patterns HEX...: sets RAW (a grep -P alternation of the raw bytes) and
# TEXTS (grep -F options for their hex and base64) for these HEX strings.
patterns() {
    local h b
    RAW="" TEXTS=()
    for h in "$@"; do
        RAW+="${RAW:+|}$(pcre_of "$h")"
        TEXTS+=(-e "$h")
        for b in $(b64_variants "$h"); do TEXTS+=(-e "$b"); done
    done
}
# found_in DIR: true if any file under DIR holds what patterns set.
found_in() { LC_ALL=C grep -raqP "$RAW" "$1" || grep -raqiF "${TEXTS[@]}" "$1"; }
# What must not be found, as LABEL:HEX: each id as text and as the 16 bytes
# it spells, every message id, every recorded day in both spellings, names
# and texts.
ITEMS=()
for what in "$CM" "$DOC" "$B1" "$B2" "$CASE"; do
    ITEMS+=("id-as-text:$what:$(hex_of "$what")" "id-as-bytes:$what:$what")
done
for what in $IDS; do ITEMS+=("message:$what:$what"); done
# The contract's start, the tests' days, and today (the clinical state's).
for what in 2027-01-04 2027-01-05 2027-01-06 2027-01-07 2027-01-08 \
    20270104 20270105 20270106 20270107 20270108; do
    ITEMS+=("date:$what:$(hex_of "$what")")
done
# And, for good measure, contact names, a note and message texts.
for what in "my casemanager" "buddy one" "the doctor" "confirmed by lab" "here if you need me" \
    "hello from the second buddy" "a longer message of some sixty"; do
    ITEMS+=("text:${what// /_}:$(hex_of "$what")")
done
patterns "${ITEMS[@]##*:}"
ALL_RAW=$RAW ALL_TEXTS=("${TEXTS[@]}")
# scan_profile NAME: nothing of ITEMS in any file of the profile. One pass
# over everything; only when it finds something, one pass per item to name
# what leaked.
scan_profile() {
    local dir=$T/$1 what leaks=""
    RAW=$ALL_RAW TEXTS=("${ALL_TEXTS[@]}")
    if ! found_in "$dir"; then
        pass "profile $1: no id, message id or date on disk"
        return
    fi
    for what in "${ITEMS[@]}"; do
        patterns "${what##*:}"
        found_in "$dir" && leaks+=" ${what%:*}"
    done
    fail "profile $1 leaks:$leaks"
}
step "the scan finds each form it looks for (a control)"
MID=$(head -n1 <<< "$IDS")
mkdir "$T/control"
control() {
    printf 'xyz' > "$T/control/f"; cat >> "$T/control/f"; printf 'xyz' >> "$T/control/f"
    RAW=$ALL_RAW TEXTS=("${ALL_TEXTS[@]}")
    check "the scan finds $1" found_in "$T/control"
}
xxd -r -p <<< "$MID" | control "a message id's bytes"
tr a-f A-F <<< "$MID" | control "a message id in upper-case hex"
{ printf 'q'; xxd -r -p <<< "$MID"; } | base64 -w0 | control "a message id in base64, shifted"
printf '%s' "$CASE" | base64 -w0 | control "the case id's text in base64"
printf '%s' 20270106 | control "a day without dashes"
for p in doc cm b1 b2; do scan_profile "$p"; done

# sizes PROFILE DB: the distinct stored value lengths of one database.
sizes() {
    mdb_dump -s "$2" "$T/$1" | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
        d && /^ / {n++; if (n % 2 == 0) print length($1) / 2}' | sort -u
}
# at_least DESCRIPTION N ACTUAL
at_least() { if [ "$3" -ge "$2" ]; then pass "$1"; else fail "$1: expected at least $2, got $3"; fi; }
count() { mdb_dump -s "$2" "$T/$1" | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d && /^ /{n++} END{print int(n/2)}'; }
step "records of every kind at one size; messages in size steps"
for p in doc cm; do
    at_least "profile $p holds records of several kinds" 4 "$(count "$p" records)"
    expect_eq "profile $p: positive, negative, dilute, state and contact records are equally long" \
        1 "$(sizes "$p" records | wc -l)"
done
at_least "the participant keeps messages of several lengths" 3 "$(count doc history)"
# Text lengths show only in the store's 64-byte steps: short messages all
# look alike, and a long one differs by whole steps.
steps_ok() { awk 'NR == 1 {f = $1} ($1 - f) % 64 != 0 {bad = 1} END {exit bad}'; }
check "messages are stored in 64-byte steps" steps_ok < <(sizes doc history)
at_least "the two short messages ('ok', 'here if you need me') share a size" 1 \
    "$(( $(count doc history) - $(sizes doc history | wc -l) ))"
expect_eq "contacts are stored equally long" 1 "$(sizes doc contacts | wc -l)"

step "a wrong passphrase is refused clearly"
rc=0; ERR=$(VANGNET_PASSPHRASE=wrong vn doc whoami 2>&1) || rc=$?
expect_eq "a wrong passphrase exits 1" 1 "$rc"
expect_match "and says so" "wrong passphrase for profile $T/doc" "$ERR"
rc=0; ERR=$(VANGNET_PASSPHRASE=wrong VANGNET_NEW_PASSPHRASE=new vn doc change-passphrase 2>&1) || rc=$?
expect_eq "change-passphrase with a wrong old one exits 1" 1 "$rc"
expect_match "and says so" "wrong passphrase for profile" "$ERR"

step "change-passphrase: old refused, new works, data intact"
BEFORE=$(vn doc --json contacts; vn doc --json report --case "$CASE" --month 2027-01)
KEYFILE=$(od -An -tx1 "$T/doc/profile.key")
rc=0; ERR=$(VANGNET_NEW_PASSPHRASE= vn doc change-passphrase 2>&1 </dev/null) || rc=$?
expect_eq "no new passphrase exits 1" 1 "$rc"
expect_match "and says where to give it" "set VANGNET_NEW_PASSPHRASE" "$ERR"
expect_eq "and the key file is untouched" "$KEYFILE" "$(od -An -tx1 "$T/doc/profile.key")"
expect_match "a new passphrase is taken" "passphrase changed" \
    "$(VANGNET_NEW_PASSPHRASE="a new passphrase" vn doc change-passphrase 2>/dev/null)"
check "no temporary key file is left behind" test ! -e "$T/doc/profile.key.tmp"
rc=0; ERR=$(vn doc whoami 2>&1) || rc=$?
expect_eq "the old passphrase exits 1" 1 "$rc"
expect_match "the old passphrase is refused" "wrong passphrase" "$ERR"
AFTER=$(export VANGNET_PASSPHRASE="a new passphrase"; vn doc --json contacts; vn doc --json report --case "$CASE" --month 2027-01)
expect_match "the records are there" '"positive": 1, "positive_confirmed": 1, "dilute": 1' "$AFTER"
expect_eq "the new one opens the same contacts and records" "$BEFORE" "$AFTER"
VANGNET_PASSPHRASE="a new passphrase" vn doc send --case "$CASE" "still here"
expect_match "and the same sessions: a team message still reaches a buddy" "still here" "$(vn b1 inbox)"

step "a profile of the scrypt era is moved into the current format"
# tests/e2e/fixtures/scrypt-profile/README.md says how it was made.
FIXTURE=$(dirname "$0")/fixtures/scrypt-profile
OLD_DOC=34b3937b99ca2355019f8c0a896f9f47 OLD_CM=9cc0b5ee53eff2fa948750522053b86b
old_copy() { mkdir -m 700 "$T/$1"; cp "$FIXTURE/data.mdb" "$FIXTURE/profile.salt" "$T/$1/"; }
old_copy old
check "the old store shows the casemanager's id in clear (what the move ends)" \
    grep -aqF "$OLD_CM" "$T/old/data.mdb"
rc=0; ERR=$(VANGNET_PASSPHRASE=wrong vn old whoami 2>&1) || rc=$?
expect_eq "a wrong passphrase exits 1" 1 "$rc"
expect_match "and says so" "wrong passphrase for profile" "$ERR"
expect_eq "and changes nothing" "data.mdb lock.mdb profile.salt" "$(ls -A "$T/old" | tr '\n' ' ' | sed 's/ $//')"
OUT=$(vn old whoami 2>&1)
expect_match "the right one opens it and says it was moved" "moved to the current format" "$OUT"
expect_match "the account is the old one" "^$OLD_DOC participant$" "$OUT"
expect_eq "the salt is gone, a key file is there" "data.mdb lock.mdb profile.key" "$(ls -A "$T/old" | tr '\n' ' ' | sed 's/ $//')"
expect_match "the contact survives" "^my casemanager +$OLD_CM$" "$(vn old contacts)"
expect_match "and the Signal state: the same safety number" "^09295 04891 51281" "$(vn old verify "my casemanager")"
check "no id in clear any more" bash -c "! grep -raqF -e '$OLD_CM' -e '$OLD_DOC' '$T/old'"
VANGNET_NEW_PASSPHRASE=newer vn old change-passphrase >/dev/null 2>&1
expect_match "its passphrase can be changed" "^$OLD_DOC" "$(VANGNET_PASSPHRASE=newer vn old whoami)"

step "a move that a crash interrupted is finished on the next open"
# The state after the new store and key file were made, before they moved.
old_copy crashed
mkdir "$T/crashed/migrate.tmp"
cp "$T/old/data.mdb" "$T/old/profile.key" "$T/crashed/migrate.tmp/"
OUT=$(VANGNET_PASSPHRASE=newer vn crashed contacts 2>&1)
expect_match "it opens with the moved copy's passphrase" "^my casemanager +$OLD_CM$" "$OUT"
expect_eq "and is in the new layout" "data.mdb lock.mdb profile.key" "$(ls -A "$T/crashed" | tr '\n' ' ' | sed 's/ $//')"

step "profiles that cannot be opened are named"
cp "$T/b1/profile.key" "$T/b2/profile.key"
rc=0; ERR=$(vn b2 whoami 2>&1) || rc=$?
expect_eq "a store with another profile's key file exits 1" 1 "$rc"
expect_match "and does not pass for a new profile" "profile.key\) is whole but belongs to another store" "$ERR"
rm "$T/b2/profile.key"
rc=0; ERR=$(vn b2 whoami 2>&1) || rc=$?
expect_eq "a store without its key file exits 1" 1 "$rc"
expect_match "and names the key file" "profile.key\) is missing" "$ERR"

step "delete-account removes the key file too"
expect_match "the buddy's account is deleted from this device" "and from this device" "$(vn b1 delete-account --yes)"
check "no key file or store is left" test -z "$(ls -A "$T/b1")"
finish
