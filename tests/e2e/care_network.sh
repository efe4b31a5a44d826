#!/usr/bin/env bash
# The care network: the role matrix of docs/ARCHITECTURE.md inside one case and across
# two, the care-team chat with sender keys (a removed buddy cannot read what
# is sent afterwards), the audit log, account deletion and closed-case
# retention leaving no trace in the store.
. "$(dirname "$0")/lib.sh"

step "start the server; enrol two cases, a medical lead and an admin"
server_init
server_start --test-clock --sweep 1s --case-retention 30d
acct() { vn "$1" whoami | cut -d' ' -f1; }

# Case 1 and case 2, each with casemanager, participant, buddy, naaste; a
# second buddy in case 1; one medical lead and one admin.
join cm1 casemanager >/dev/null
new_case cm1
CASE1=$CASE
for p in p1:participant b1:buddy b1b:buddy n1:naaste; do join "${p%%:*}" "${p##*:}" >/dev/null; done
join cm2 casemanager >/dev/null
new_case cm2
CASE2=$CASE
for p in p2:participant b2:buddy n2:naaste; do join "${p%%:*}" "${p##*:}" >/dev/null; done
join ml medical-lead >/dev/null
join adm admin >/dev/null
declare -A ROLE=([cm1]=cm [p1]=p [b1]=b [b1b]=b [n1]=n [cm2]=cm [p2]=p [b2]=b [n2]=n [ml]=ml [adm]=admin)
declare -A CASEOF=([p1]=1 [b1]=1 [b1b]=1 [n1]=1 [cm1]=1 [p2]=2 [b2]=2 [n2]=2 [cm2]=2)
declare -A ID
for u in "${!ROLE[@]}"; do ID[$u]=$(acct "$u"); done

# The table of docs/ARCHITECTURE.md (same case only; a medical lead stands behind
# every casemanager).
allowed() {
    local f=${ROLE[$1]} t=${ROLE[$2]} same=0
    [ -n "${CASEOF[$1]:-}" ] && [ "${CASEOF[$1]:-}" = "${CASEOF[$2]:-x}" ] && same=1
    case "$f>$t" in
    "p>cm"|"p>b"|"p>n"|"cm>p"|"cm>b"|"cm>n"|"b>p"|"b>cm"|"b>b"|"n>cm") [ $same = 1 ] ;;
    "cm>ml"|"ml>cm") true ;;
    *) false ;;
    esac
}

USERS="cm1 p1 b1 b1b n1 cm2 p2 b2 n2 ml adm"
step "the role matrix: every ordered pair fetches keys and sends"
for f in $USERS; do
    for t in $USERS; do
        [ "$f" = "$t" ] && continue
        # Bundle fetch first (verify fetches keys it does not know yet).
        rc=0; out=$(vn "$f" --json verify "${ID[$t]}" 2>&1) || rc=$?
        if allowed "$f" "$t"; then
            [ $rc = 0 ] && pass "keys: $f may fetch $t" || fail "keys: $f may fetch $t: $out"
        else
            grep -Eq '"code": "DENIED".*not in your care network: an? [a-z -]+' <<< "$out" &&
                pass "keys: $f may not fetch $t" || fail "keys: $f may not fetch $t: [$out]"
        fi
        rc=0; out=$(vn "$f" --json send "${ID[$t]}" "matrix $f to $t" 2>&1) || rc=$?
        if allowed "$f" "$t"; then
            [ $rc = 0 ] && pass "send: $f may message $t" || fail "send: $f may message $t: $out"
        else
            grep -q '"code": "DENIED"' <<< "$out" &&
                pass "send: $f may not message $t" || fail "send: $f may not message $t: [$out]"
        fi
    done
done

# Every allowed message arrived, and nothing else.
step "every allowed message arrived, and nothing else"
for t in $USERS; do
    got=$(vn "$t" --json inbox | { grep -o "matrix [a-z0-9]* to $t" || true; } | sort | tr '\n' ' ')
    want=$(for f in $USERS; do
        if [ "$f" != "$t" ] && allowed "$f" "$t"; then echo "matrix $f to $t"; fi
    done | sort | tr '\n' ' ')
    expect_eq "$t received exactly the allowed messages" "$want" "$got"
done

# Team chat and case reads.
step "team chat and case reads"
for u in $USERS; do
    rc=0; out=$(vn "$u" --json send --case "$CASE1" "team hello from $u" 2>&1) || rc=$?
    case $u in cm1|p1|b1|b1b) expect_eq "team: $u writes to case 1's team" 0 "$rc" ;;
    *) expect_match "team: $u may not write to case 1's team" '"code": "DENIED".*not in its care team' "$out" ;; esac
    rc=0; out=$(vn "$u" --json case show "$CASE1" 2>&1) || rc=$?
    case $u in cm1|p1|b1|b1b|ml) expect_eq "case read: $u reads case 1" 0 "$rc" ;;
    *) expect_match "case read: $u may not read case 1" '"code": "DENIED".*not yours to read' "$out" ;; esac
done
OUT=$(vn b1 --json inbox)
for u in cm1 p1 b1b; do expect_match "b1 reads the team message of $u" "\"case\": \"$CASE1\".*team hello from $u" "$OUT"; done
expect_match "the participant reads the team too" "team hello from b1b" "$(vn p1 --json inbox)"
check "naasten are not in the team" test "$(vn n1 --json inbox)" = "[]"

step "the audit log"
# The audit log: reads by others, not by the participant. The server seals
# each entry to the participant; their device opens and sorts them.
AUD=$(vn p1 --json audit)
for u in cm1 b1 b1b ml; do expect_match "audit shows the read by $u" "\"reader\": \"${ID[$u]}\".*|\"reader\": \"${ID[$u]}\"" "$AUD"; done
check "the participant's own read is not logged" bash -c "! grep -q '${ID[p1]}' <<< '$AUD'"
expect_match "audit entries name what and when" '"time": "[0-9T:-]+Z", "reader": "[0-9a-f]{32}", "role": "[a-z-]+", "what": "case"' "$AUD"
expect_match "and the reader's role" "\"reader\": \"${ID[cm1]}\", \"role\": \"casemanager\", \"what\": \"case\"" "$AUD"
TIMES=$(grep -o '"time": "[^"]*"' <<< "$AUD" | cut -d'"' -f4)
check "the device sorts the entries by minute" test "$TIMES" = "$(sort <<< "$TIMES")"
check "every entry opened" bash -c "! grep -q unreadable <<< '$AUD'"
# What the server keeps is sealed: no reader's id and no word for what was
# read, in any stored audit value (the kv layer's own key would not hide them
# from a live root).
ABSENT=()
for u in cm1 b1 b1b ml; do ABSENT+=(--absent audit "${ID[$u]}"); done
for w in case contract events alerts; do ABSENT+=(--absent audit "$(printf %s "$w" | od -An -tx1 | tr -d ' \n')"); done
# Checked in a clear copy made with the store key: the disk itself is sealed.
store_copy "$T/audit-plain"
OUT=$("$VN_STORECHECK" "$T/audit-plain" "$VN_METADATA" "${ABSENT[@]}" 2>&1) || true
expect_match "the audit log holds only documented fields" 'ok: audit: [1-9][0-9]* records as documented' "$OUT"
for u in cm1 b1 b1b ml; do expect_match "no stored audit entry names $u" "absent: ${ID[$u]} in audit" "$OUT"; done
expect_match "no stored audit entry says what was read" "absent: $(printf case | od -An -tx1 | tr -d ' \n') in audit" "$OUT"
expect_match "nothing else is wrong in the store" 'databases, 0 problems$' "$(tail -n1 <<< "$OUT")"
expect_match "only the participant reads the audit log" '"code": "DENIED"' "$(vn cm1 --json audit 2>&1 || true)"

step "a removed buddy loses access and cannot read what follows"
# Removal: b1 loses access at once and cannot read what the team says next.
vn cm1 case remove "$CASE1" "${ID[b1]}" >/dev/null
expect_match "a removed buddy cannot write to the team" '"code": "DENIED"' "$(vn b1 --json send --case "$CASE1" x 2>&1 || true)"
expect_match "a removed buddy cannot message the participant" '"code": "DENIED"' "$(vn b1 --json send "${ID[p1]}" x 2>&1 || true)"
expect_match "a removed buddy cannot read the case" '"code": "DENIED"' "$(vn b1 --json case show "$CASE1" 2>&1 || true)"
vn cm1 send --case "$CASE1" "after removal: the new rota"
# Hand the removed buddy a copy of that ciphertext, as a leaking server
# would: each copy is sealed to one current member's identity key, so it
# fails before the sender key is even tried (and that key was replaced).
transplant() { # transplant DB FROM_HEX TO_HEX: copy FROM's entries to TO
    store_dump -s "$1" | awk -v f=" $2" -v t=" $3" '
        /^HEADER=END/ {print; h=1; next}
        !h {print; next}
        /^DATA=END/ {print; next}
        { n++; if (n % 2 == 1) { keep = index($0, f) == 1; k = t substr($0, length(f) + 1) }
          else if (keep) { print k; print } }' > "$T/leak.dump"
    store_load "$1" < "$T/leak.dump"
}
transplant mailbox "${ID[b1b]}" "${ID[b1]}"
transplant msgindex "${ID[b1b]}" "${ID[b1]}"
check "the removed buddy's mailbox now holds the copy" test "$(db_count_prefix mailbox "${ID[b1]}")" -ge 1
RC=0; ERR=$(vn b1 --json inbox 2>&1 >"$T/b1.json") || RC=$?
check "the removed buddy's client does not show it" bash -c "! grep -q 'new rota' '$T/b1.json'"
expect_match "the leaked team message fails: it is sealed to another member" \
    'a message was refused: cryptographic operation failed' "$ERR"
expect_match "the remaining buddy reads it" "after removal: the new rota" "$(vn b1b --json inbox)"
expect_match "the participant reads it" "after removal: the new rota" "$(vn p1 --json inbox)"

# Only the case's casemanager manages it.
step "only the case's casemanager manages it"
expect_match "another casemanager cannot invite into the case" '"code": "DENIED".*only a case.s own casemanager' \
    "$(vn cm2 --json invite --case "$CASE1" --role buddy 2>&1 || true)"
expect_match "a case has one participant" '"code": "EXISTS".*already has its participant' \
    "$(vn cm1 --json invite --case "$CASE1" --role participant 2>&1 || true)"
CASE3=$(vn cm1 case new)
I1=$(vn cm1 invite --case "$CASE3" --role participant)
I2=$(vn cm1 invite --case "$CASE3" --role participant)   # a re-sent invite
vn p3 join "$I1" >/dev/null
expect_match "a second participant invite cannot be redeemed" 'already has its participant' \
    "$(vn p3b join "$I2" 2>&1 || true)"
expect_eq "the case has one participant" 1 "$(vn cm1 --json case show "$CASE3" | grep -o '"role": "participant"' | wc -l)"
expect_match "a buddy cannot create cases" '"code": "DENIED"' "$(vn b1b --json case new 2>&1 || true)"

# in_store HEX: is this account or case id anywhere in a full dump, as raw
# bytes or as the ASCII text it travels as inside envelopes?
in_store() {
    local ascii
    ascii=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')
    store_dump -a > "$T/all.dump"
    grep -q -e "$1" -e "$ascii" "$T/all.dump"
}

not_in_store() { ! in_store "$1"; }

step "account deletion leaves no trace"
# Deleting an account removes every trace. What it sent does not name it
# (sealed sender), so that waits for its reader like any other message.
vn b1b send "${ID[p1]}" "unread when b1b leaves"
check "before deletion b1b is in the store" in_store "${ID[b1b]}"
vn b1b delete-account --yes >/dev/null
check "after deletion no key or value refers to b1b" not_in_store ${ID[b1b]}
check "b1b's device store is gone too" test ! -e "$T/b1b/data.mdb"
# Beside it waits the notice that a buddy left, which names no one either.
expect_eq "its unread message to the participant still waits, naming nobody" 2 "$(db_count_prefix mailbox "${ID[p1]}")"
expect_match "a casemanager with open cases cannot leave" '"code": "DENIED".*reassign or close' \
    "$(vn cm2 --json delete-account --yes 2>&1 || true)"

step "reassign a case and back"
# Reassign: the programme office hands case 2 to cm1 and back.
vn adm case reassign "$CASE2" "${ID[cm1]}" >/dev/null
expect_match "after reassignment cm1 manages case 2" "\"casemanager\": \"${ID[cm1]}\"" "$(vn cm1 --json case show "$CASE2")"
vn cm1 case reassign "$CASE2" "${ID[cm2]}" >/dev/null

# Closure and retention: 30 days after closing, case 2 and its people are gone.
step "closure and retention"
vn p2 send "${ID[cm2]}" "a last message" >/dev/null
vn cm2 send --case "$CASE2" "closing soon" >/dev/null
vn cm2 case close --yes "$CASE2" >/dev/null
expect_match "a closed case takes no messages" '"code": "DENIED"' "$(vn cm2 --json send "${ID[p2]}" x 2>&1 || true)"
server_clock advance 29d
pause_for_sweeps 2
check "within retention the case is kept" in_store "$CASE2"
server_clock advance 2d
wait_for "the sweep to purge case 2 after its retention" 20 not_in_store "$CASE2"
for x in "$CASE2" "${ID[p2]}" "${ID[b2]}" "${ID[n2]}"; do
    check "after retention no key or value refers to $x" not_in_store $x
done
check "the casemanager's account stays" in_store "${ID[cm2]}"
check "case 1 is untouched" in_store "$CASE1"

# An audit entry is sealed to the participant's identity key: a read of the
# case of a participant who has published none (a device that stopped
# between redeeming and publishing) is refused rather than left unlogged.
step "a read that cannot be logged is refused"
new_case cm3
P3=$("$VN_PROBE" "$ENDPOINT" "$STATE/server.pub" "redeem:$(invite participant)" | sed -n 's/^REDEEMED //p')
check "a participant joined and published no keys" test "${#P3}" -eq 32
expect_match "the casemanager's read of that case is refused, saying why" \
    '"code": "NOTFOUND".*no published keys yet.*refused' "$(vn cm3 --json case show "$CASE" 2>&1 || true)"
expect_eq "and the participant's log holds nothing" 0 "$(db_count_prefix audit "$P3")"
finish
