#!/usr/bin/env bash
# Anonymous first contact. The programme publishes one first-contact code
# (vangnetd intake-code); an unknown person redeems it with `vangnet join`,
# giving no name or number, and writes to the intake desk; intake staff
# (invited by the operator) answer. The same code serves a colleague with a
# "niet-pluis" feeling about a doctor, who names nobody. A visitor reaches
# intake staff only (a casemanager or participant is refused, both ways),
# talks with at most three of them, sends a bounded number of messages a
# day, and the code's redeems are limited per hour. Intake lists the open
# first contacts; a visitor idle for --visitor-idle (on the test clock) is
# purged with its account, keys and mailbox, while an active one stays.
. "$(dirname "$0")/lib.sh"

acct() { vn "$1" whoami 2>/dev/null | cut -d' ' -f1; }
# run CMD...: the output of CMD in $out and its exit code in $rc.
run() { rc=0; out=$("$@" 2>&1) || rc=$?; }
# Clear-store records whose key starts with an account id (hex).
records_of() { db_count_prefix "$1" "$2"; }

step "a server with a test clock, staff and a case"
server_init
server_start --test-clock --sweep 1s --visitor-messages 4
server_clock set 2031-03-03T08:00
declare -A ID # profile -> account id
for p in in1 in2 in3 in4; do ID[$p]=$(join $p intake); done
# profile_of ACCOUNT: the intake profile of an account id.
profile_of() { local p; for p in in1 in2 in3 in4; do if [ "${ID[$p]}" = "$1" ]; then echo "$p"; fi; done; }
new_case cm
DOC=$(join doc participant)
CM=$(acct cm)

step "the operator makes the first-contact code"
run "$VANGNETD" intake-code --state "$STATE" --store-key "$STORE_KEY" --per-hour 0
expect_eq "--per-hour 0 is refused" 2 "$rc"
expect_match "naming it" "--per-hour must be a number of redeems from 1 to 100000" "$out"
run "$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role visitor
expect_eq "a visitor cannot be invited" 2 "$rc"
expect_match "says how one becomes one" "redeeming the programme's first-contact code" "$out"
OLD=$("$VANGNETD" intake-code --state "$STATE" --store-key "$STORE_KEY")
CODE=$("$VANGNETD" intake-code --state "$STATE" --store-key "$STORE_KEY" --per-hour 3)
expect_match "a code in the invite format" '^vn1-' "$CODE"
run vn stale join "$OLD"
check "a replaced code no longer works" test "$rc" -ne 0
expect_match "it is unknown" "not known to the server" "$out"

step "an unknown person joins with the code: no name, no number"
run vn anon join "$CODE"
expect_eq "join works" 0 "$rc"
ANON=$(acct anon)
expect_match "the account is a visitor" "^$ANON visitor\$" "$(vn anon whoami 2>/dev/null)"
check "join asked for nothing but the passphrase" bash -c "! grep -Eqi 'name|phone|number' <<< \"\$1\"" _ "$out"
run vn anon intake write "Ik drink te veel en durf het niet te zeggen $ANON"
expect_eq "the visitor writes to the desk" 0 "$rc"
expect_match "and is told it went to intake" "Sent to the programme's intake staff" "$out"
DESK=$(vn anon --json contacts 2>/dev/null | grep -o '"intake"[^}]*' | grep -oE '[0-9a-f]{32}')
DESKP=$(profile_of "$DESK")
check "the desk is one of the intake staff" test -n "$DESKP"
wait_inbox "$DESKP" "Ik drink te veel"
pass "intake staff $DESKP has the first message"
vn "$DESKP" send "$ANON" "Dank voor je bericht. Wil je vertellen wat er speelt?" >/dev/null 2>&1
wait_inbox anon "Wil je vertellen"
expect_match "the answer shows as from intake" "intake: Dank voor je bericht" "$INBOX"
run vn anon intake write "Ja, graag"
wait_inbox "$DESKP" "Ja, graag"
pass "and back again"

step "the niet-pluis bystander uses the same code and names nobody"
run vn colleague join "$CODE"
expect_eq "join works" 0 "$rc"
COLL=$(acct colleague)
vn colleague intake write "Ik heb een niet-pluisgevoel over een collega-arts. Hoe spreek ik hem aan?" >/dev/null 2>&1
CP=$(profile_of "$(vn colleague --json contacts 2>/dev/null | grep -oE '[0-9a-f]{32}')")
wait_inbox "$CP" "niet-pluisgevoel"
vn "$CP" send "$COLL" "We helpen je het gesprek met hem zelf aan te gaan." >/dev/null 2>&1
wait_inbox colleague "gesprek met hem zelf"
pass "intake helps the bystander raise it with the doctor"

step "a visitor reaches no one else, and no one else reaches it"
run vn anon send "$CM" "hallo casemanager"
expect_eq "visitor -> casemanager: refused (exit 1)" 1 "$rc"
expect_match "with a clear error" "an anonymous first contact may message only the programme's intake staff" "$out"
run vn anon send "$DOC" "hallo dokter"
expect_eq "visitor -> participant: refused" 1 "$rc"
expect_match "with the same words" "may message only the programme's intake staff" "$out"
run vn anon send "$COLL" "hallo andere bezoeker"
expect_eq "visitor -> visitor: refused" 1 "$rc"
run vn cm send "$ANON" "hallo bezoeker"
expect_eq "casemanager -> visitor: refused" 1 "$rc"
expect_match "names the casemanager's rule" "a casemanager may message" "$out"
run vn anon intake list
expect_eq "a visitor cannot list first contacts" 1 "$rc"
expect_match "says who may" "only intake staff list the first contacts" "$out"
run vn cm intake write "ik ben geen bezoeker"
expect_eq "intake-desk is for visitors only" 1 "$rc"
expect_match "says so" "only an anonymous first contact asks for the intake desk" "$out"
run vn in1 send "$CM" "collega"
expect_eq "intake -> casemanager: refused (intake talks with visitors)" 1 "$rc"

step "at most three intake staff per visitor"
OTHERS=()
for p in in1 in2 in3 in4; do [ "$p" != "$DESKP" ] && OTHERS+=("$p"); done
vn "${OTHERS[0]}" send "$ANON" "Ik neem het even over" >/dev/null 2>&1
vn "${OTHERS[1]}" send "$ANON" "Ik lees ook mee" >/dev/null 2>&1
run vn "${OTHERS[2]}" send "$ANON" "En ik ook"
expect_eq "a fourth intake staff member is refused" 1 "$rc"
expect_match "saying why" "already talks with 3 intake staff" "$out"
wait_inbox anon "Ik lees ook mee"
pass "the visitor has the second and third conversation"

step "a visitor's messages a day are bounded (--visitor-messages 4)"
# Sent so far today: 2 (refused ones do not count); send up to the bound.
for i in 1 2; do vn anon intake write "bericht $i" >/dev/null 2>&1; done
run vn anon intake write "bericht 3"
expect_eq "the fifth message of the day waits (exit 3)" 3 "$rc"
expect_match "says the bound" "a first contact may send 4 messages a day" "$out"

step "the code's redeems are limited per hour (--per-hour 3)"
run vn third join "$CODE"
expect_eq "the third redeem this hour works" 0 "$rc"
run vn fourth join "$CODE"
expect_eq "the fourth is refused for now (exit 3)" 3 "$rc"
expect_match "as a rate limit on the code" "first-contact code was used too often this hour" "$out"
server_clock advance 61m
run vn fourth join "$CODE"
expect_eq "an hour later it works" 0 "$rc"

step "intake lists the open first contacts"
out=$(vn in1 intake list 2>/dev/null)
echo "$out"
expect_match "four open first contacts" "^4 open first contacts" "$out"
for a in "$ANON" "$COLL"; do
    grep -q "^$a " <<< "$out" || fail "$a is not listed"
done
expect_match "the visitor's three conversations" "^$ANON .* 3  " "$out"
json=$(vn in2 --json intake list 2>/dev/null)
expect_eq "--json lists them too" 4 "$(grep -o '"account"' <<< "$json" | wc -l)"

step "a visitor idle for 30 days is purged with its keys and mailbox"
# The colleague stays active; the first visitor has mail waiting.
vn "$DESKP" send "$ANON" "Nog een bericht dat blijft liggen" >/dev/null 2>&1
check "the visitor has an account" test "$(records_of accounts "$ANON")" -eq 1
check "and keys" test "$(records_of keys "$ANON")" -eq 1
check "and mail waiting" test "$(records_of mailbox "$ANON")" -ge 1
server_clock advance 20d
vn colleague intake write "Het gesprek is geweest, dank" >/dev/null 2>&1
server_clock advance 11d
purged() { [ "$(records_of accounts "$ANON")" -eq 0 ]; }
wait_for "the idle visitor to be purged" 20 purged
wait_for "the purge of the other idle visitors" 20 log_has "purged [0-9]+ idle first contacts"
expect_eq "its keys are gone" 0 "$(records_of keys "$ANON")"
expect_eq "its prekeys are gone" 0 "$(records_of prekeys "$ANON")"
expect_eq "its mailbox is gone" 0 "$(records_of mailbox "$ANON")"
expect_eq "its visitor record is gone" 0 "$(records_of visitors "$ANON")"
run vn anon intake write "ben je er nog?"
check "the purged visitor's account no longer exists" test "$rc" -ne 0
expect_match "the server no longer knows its device" "not registered" "$out"
out=$(vn in1 intake list 2>/dev/null)
check "the purged visitor is not listed" bash -c "! grep -q '^$ANON ' <<< \"\$1\"" _ "$out"
expect_match "the active colleague is still listed" "^$COLL " "$out"
expect_eq "the active visitor keeps its account" 1 "$(records_of accounts "$COLL")"

step "what the server keeps of a visitor: no text, no name"
for w in "niet-pluis" "drink" "collega-arts" "gesprek"; do
    store_dump -a | grep -aqi -- "$w" && fail "the store holds \"$w\""
done
pass "no message text in the store, in the clear"

finish
