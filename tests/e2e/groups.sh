#!/usr/bin/env bash
# Intervision groups (docs/GROUPS.md): a facilitator creates a group with a
# cap of five and invites five doctors; a sixth over the cap is refused; the
# members accept the ground rules; a full session of the basic method runs
# end to end (phases in order, every member's advice turn in order, the
# presenter's action plan kept only on their device, looked back on at the
# next session); attendance counts as a self-help contact (a dated kind
# only); a member is removed and the group rekeyed, so they cannot read on;
# and the server's store holds nothing of method, phase, presenter or plan.
. "$(dirname "$0")/lib.sh"
: "${VN_STORECHECK:?set VN_STORECHECK}" "${VN_METADATA:?set VN_METADATA}"

gid() { sed -E 's/.*"group": "([0-9a-f]{32})".*/\1/'; }
# refused NAME PATTERN CMD...: the command fails and says PATTERN.
refused() {
    local d=$1 pat=$2 out rc=0
    shift 2
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] && grep -Eq -- "$pat" <<< "$out"; then pass "$d"; else fail "$d: rc $rc, [$out]"; fi
}

step "a facilitator, and six doctors each in their own case"
server_init
server_start
FAC=$(join fac facilitator)
declare -A ACC
for i in 1 2 3 4 5 6; do
    new_case cm
    ACC[d$i]=$(join "d$i" participant)
done
refused "a participant cannot create a group" "only a facilitator or a casemanager creates groups" \
    vn d1 group new
refused "a cap above 8 is refused" "--cap must be a number of members from 1 to 8" vn fac group new --cap 9
G=$(vn fac --json group new --cap 5 | gid)
check "the group has an id" test ${#G} -eq 32

step "five doctors join; the sixth over the cap of five is refused"
for i in 1 2 3 4; do
    OUT=$(vn "d$i" join "$(vn fac group invite "$G")")
    expect_match "d$i joins and sees the ground rules" "stays in the group" "$OUT"
done
LATE=$(vn fac group invite "$G")     # made while there is still room
OUT=$(vn d5 join "$(vn fac group invite "$G")")
expect_match "d5 joins as the fifth" "5 of at most 5 members" "$OUT"
refused "the sixth doctor's join is refused at the cap" "the group is full \\(its cap is 5 members\\)" \
    vn d6 join "$LATE"
refused "no new invite while the group is full" "is full: it has its cap of 5 members" \
    vn fac group invite "$G"
refused "a buddy-less staff account cannot join" "already joined" vn cm join "$LATE"

step "the ground rules are accepted before the first post"
refused "a post before accepting the rules is refused" "accept the group's ground rules first" \
    vn d1 group send "$G" "hello"
for i in 1 2 3 4 5; do vn "d$i" group accept-rules "$G" >/dev/null; done
vn d1 group count-attendance "$G" on >/dev/null
OUT=$(vn d2 group status "$G")
expect_match "status shows the group" "5 of at most 5 members" "$OUT"

step "the facilitator schedules the next session; only the members learn when and where"
# usage WHAT CMD...: the command is refused as a usage error (exit 2).
usage() {
    local d=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq 2 ] && grep -q -- "--at" <<< "$out"; then pass "$d"; else fail "$d: rc $rc, [$out]"; fi
}
NOTE="NOTETEXT-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n') room 4"
usage "a time in the past is refused" vn fac group schedule "$G" --at 2020-01-06T19:30
usage "a malformed time is refused" vn fac group schedule "$G" --at "next tuesday"
usage "a date that does not exist is refused" vn fac group schedule "$G" --at 2031-02-30T19:30
refused "a member cannot schedule" "only the facilitator" \
    vn d2 group schedule "$G" --at 2031-03-11T19:30
OUT=$(vn fac group schedule "$G" --at 2031-03-10T19:30 --note "$NOTE")
expect_match "the facilitator schedules" "next session on 2031-03-10 19:30 \\($NOTE\\)" "$OUT"
wait_inbox d2 "next session on 2031-03-10 19:30 \\($NOTE\\)"
wait_inbox d3 "next session on 2031-03-10 19:30"
for i in 2 3; do
    OUT=$(vn "d$i" group status "$G")
    expect_match "d$i's status shows the next session" "next session: 2031-03-10 19:30 \\($NOTE\\)" "$OUT"
done
OUT=$(vn d2 group list)
expect_match "d2's group list shows the next session" "$G .*next session 2031-03-10 19:30" "$OUT"
OUT=$(vn d3 --json group status "$G")
expect_match "--json has next_session and next_note" \
    "\"next_session\": \"2031-03-10T19:30\", \"next_note\": \"$NOTE\"" "$OUT"

step "the facilitator starts a basic-method session with d1 presenting"
refused "a member cannot start a session" "only the facilitator" \
    vn d2 group start "$G" --method basic --presenter "${ACC[d1]}"
vn fac group start "$G" --method basic --presenter "${ACC[d1]}" >/dev/null
wait_inbox d2 "session started: Basic intervision method; presenter: "
expect_match "d2 sees phase 1 and what is asked" "phase 1 of 5: Inventory \\(15 min\\)" "$INBOX"
OUT=$(vn d1 inbox)
expect_match "d1 learns they present" "presenter: you" "$OUT"
OUT=$(vn d1 group status "$G")
expect_match "status: the phase and its time box" "phase 1 of 5: Inventory, time box 15 min" "$OUT"
expect_match "status: what is asked of the presenter" "asked of you: state your case" "$OUT"
vn d1 group send "$G" "My case: a patient who keeps changing doctors" >/dev/null
wait_inbox d3 "Inventory\\] My case: a patient"

step "phases in order: analysis questions"
vn fac group next "$G" >/dev/null
for i in 1 2; do vn "d$i" inbox >/dev/null; done
vn d2 group send "$G" "What did you feel when the patient left?" >/dev/null
vn d1 group send "$G" "Relief, and then guilt." >/dev/null
wait_inbox d4 "Analysis questions\\] Relief, and then guilt"

step "the advice round: each member in turn"
vn fac group next "$G" >/dev/null
TURNS=$(vn fac --json group status "$G" | sed -E 's/.*"turns": \[([^]]*)\].*/\1/' | tr -d '" ' | tr ',' ' ')
read -r -a ORDER <<< "$TURNS"
expect_eq "four turns: every member but the presenter" 4 "${#ORDER[@]}"
prof() { local p; for p in d1 d2 d3 d4 d5; do if [ "${ACC[$p]}" = "$1" ]; then echo "$p"; fi; done; }
P=(); for a in "${ORDER[@]}"; do P+=("$(prof "$a")"); done
check "the presenter has no turn" test "${P[*]}" = "${P[*]/d1/}"
for p in d1 "${P[0]}" "${P[1]}"; do vn "$p" inbox >/dev/null; done
OUT=$(vn "${P[0]}" group status "$G")
expect_match "status shows the advice round and whose turn" "turn 1: you <- now" "$OUT"
refused "the presenter listens in the advice round" "the presenter listens" \
    vn d1 group send "$G" "but I think"
refused "advice out of turn is refused" "it is not your turn yet" \
    vn "${P[1]}" group send "$G" "my advice, too early"
# A client that skips the checks (a plain team-style send reaches the
# group too): the others' clients show its posts as out of turn.
vn d1 send --case "$G" "but I think, out of turn" >/dev/null
vn "${P[1]}" send --case "$G" "my advice, too early, sent plainly" >/dev/null
wait_inbox "${P[2]}" "Advice round, OUT OF TURN\\] my advice, too early, sent plainly"
expect_match "the presenter's post in the advice round is shown out of turn" \
    "Advice round, OUT OF TURN: in this phase the presenter listens\\] but I think, out of turn" "$INBOX"
for k in 0 1 2 3; do
    vn "${P[$k]}" inbox >/dev/null
    vn "${P[$k]}" group send "$G" "advice $((k + 1)) from ${P[$k]}" >/dev/null
    refused "${P[$k]} has had their turn" "you have had your turn" \
        vn "${P[$k]}" group send "$G" "and more advice"
done
wait_inbox d1 "Advice round, turn 4 of 4\\] advice 4 from ${P[3]}"
expect_match "the presenter saw every turn in order" \
    "turn 1 of 4\\] advice 1 from ${P[0]}" "$INBOX"
OUT=$(vn d1 --json history --case "$G")
for k in 0 1 2 3; do
    expect_match "the presenter's history keeps advice $((k + 1))" "advice $((k + 1)) from ${P[$k]}" "$OUT"
done

step "the action plan stays on the presenter's device"
vn fac group next "$G" >/dev/null
for i in 1 3; do vn "d$i" inbox >/dev/null; done
PLAN="PLANTEXT-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'): ask the patient about it"
refused "only the presenter records a plan" "only the presenter" vn d2 group plan "$G" "$PLAN"
vn d1 group plan "$G" "$PLAN" >/dev/null
refused "members listen in the action-plan phase" "the presenter speaks and the members listen" \
    vn d3 group send "$G" "I would add"

step "evaluation, then the end of the session"
vn fac group next "$G" >/dev/null
for i in 1 2 3; do
    vn "d$i" inbox >/dev/null
    vn "d$i" group send "$G" "learned something $i" >/dev/null
done
refused "there is no phase after the evaluation" "is the last phase" vn fac group next "$G"
vn fac group end "$G" >/dev/null
OUT=$(vn d1 inbox)
expect_match "d1's attendance counts as their self-help contact" \
    "the session has ended; your attendance was recorded as a self-help contact" "$OUT"
expect_eq "the server has one self-help record (a dated kind, no more)" 1 "$(db_count events)"
for i in 2 3 4 5; do
    OUT=$(vn "d$i" inbox)
    expect_match "d$i sees the end" "the session has ended" "$OUT"
    if grep -q "PLANTEXT" <<< "$OUT"; then fail "d$i saw the plan"; else pass "d$i never sees the plan"; fi
done

step "the next session opens by looking back on the plan"
vn fac group start "$G" --method incident --presenter "${ACC[d2]}" >/dev/null
OUT=$(vn d1 inbox)
expect_match "d1 is shown their plan at the start" "Looking back: your action plan of .*${PLAN%%:*}" "$OUT"
OUT=$(vn d3 inbox)
expect_match "d3 sees the incident method start" "Incident method; presenter: " "$OUT"
if grep -q "PLANTEXT" <<< "$OUT"; then fail "d3 saw the plan"; else pass "d3 is not shown d1's plan"; fi
vn fac group end "$G" >/dev/null

step "nothing of method, phase, presenter or plan on the server"
server_stop
store_copy "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) || true
expect_match "every database and record is as documented" ' 0 problems$' "$(printf '%s' "$OUT" | tail -n1)"
expect_match "the group tables hold the group and its five members" "ok: gmembers: 5 records" "$OUT"
for w in basic incident "Basic intervision" inventory Inventory "Advice round" advice action-plan \
    evaluation "PLANTEXT" "My case: a patient" "advice 1 from" "ground rules" \
    "2031-03-10" "NOTETEXT"; do
    if grep -raqF -- "$w" "$STATE" "$T/plain" "$SERVER_LOG"; then
        fail "'$w' found on the server's disk or log"
    else
        pass "no '$w' on the server's disk (raw and in the clear) or in its log"
    fi
done
# The presenter is a member like the others: no table holds an account
# that only the presenter's record could explain.
PRES_ONLY=$(store_dump -a | grep -c "${ACC[d1]}" || true)
D3_ONLY=$(store_dump -a | grep -c "${ACC[d3]}" || true)
expect_eq "the presenter's account appears as often as another member's" "$D3_ONLY" "$PRES_ONLY"
server_start

step "a member removed: the group is rekeyed and they cannot read on"
vn d2 group send "$G" "before the removal" >/dev/null
wait_inbox d5 "before the removal"
refused "a member cannot remove another" "unknown or not yours" \
    vn d2 group leave "$G" --member "${ACC[d5]}"
OUT=$(vn fac group leave "$G" --member "${ACC[d5]}")
expect_match "the facilitator removes d5 and renews the key" "the group key was renewed" "$OUT"
for i in 2 3; do vn "d$i" inbox >/dev/null; done
vn d2 group send "$G" "after the removal" >/dev/null
wait_inbox d3 "after the removal"
OUT=$(vn d5 inbox)
if grep -q "after the removal" <<< "$OUT"; then
    fail "the removed member read a message sent after the removal"
else
    pass "the removed member cannot read what is sent after the removal"
fi
refused "the server refuses a send to the removed member" "unknown or not in your care network" \
    vn d2 send "${ACC[d5]}" "a direct message"
refused "the removed member no longer sees the group" "unknown or not yours" vn d5 group status "$G"

step "a member leaves of their own; the freed place takes the sixth doctor"
vn d4 group leave "$G" >/dev/null
OUT=$(vn d6 join "$LATE")
expect_match "the sixth doctor joins once there is room" "joined group $G" "$OUT"
vn d6 group accept-rules "$G" >/dev/null
vn d6 group send "$G" "hello from d6" >/dev/null
wait_inbox d3 "hello from d6"
OUT=$(vn d4 inbox)
if grep -q "hello from d6" <<< "$OUT"; then fail "d4 read on after leaving"; else pass "d4 reads nothing after leaving"; fi

finish
