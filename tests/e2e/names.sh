#!/usr/bin/env bash
# Names everywhere a person reads (issue 13): display names travel end to
# end when people join a case and become local contact names (never one
# the reader chose, a taken one numbered), the server never has them;
# caseload, case show, alerts, claims and history show names, not hex,
# and caseload lines fit 100 columns; a short case handle works wherever
# a CASE is taken, and a wrong one is refused naming what is wrong.
. "$(dirname "$0")/lib.sh"

HEX32='[0-9a-f]{32}'
# The caseload fits a narrower terminal ($COLUMNS): not this test's, unless set below.
unset COLUMNS
# no_hex32 TEXT: no whole 32-hex id in TEXT.
no_hex32() { ! grep -Eq "$HEX32" <<< "$1"; }

step "start the server; a casemanager and a case; the participant joins with a name"
server_init
server_start --test-clock --sweep 1s
vn cm join --name "Carla Casemanager" "$(invite casemanager)" >/dev/null
CMP=cm
CASE=$(vn cm case new)
P=$(vn p join --name "Anna de Vries" "$(invite participant)")
expect_match "the participant joined" "^$HEX32\$" "$P"

step "the buddy joins with a name; the casemanager named the buddy already"
out=$(vn b --json join --name "Bram Buddy" "$(invite buddy)")
B=$(sed -E 's/.*"account": "([0-9a-f]{32})".*/\1/' <<< "$out")
expect_match "the buddy's name went to the casemanager and the participant" '"name_sent_to": 2' "$out"
# A name the casemanager chose before the buddy's arrives stays.
vn cm contacts add "Bram B." "$B"

step "the casemanager's inbox: the participant's name is kept, the buddy's own choice stays"
wait_inbox cm 'is "Anna de Vries": kept as your contact name'
expect_match "the buddy's name is shown but the casemanager's choice stays" \
    'Bram B\. \(buddy of case [0-9a-f]{8}\) calls themselves "Bram Buddy"' "$INBOX"
contacts=$(vn cm --json contacts)
expect_match "Anna de Vries is the participant's contact name" "\"name\": \"Anna de Vries\", \"account\": \"$P\"" "$contacts"
expect_match "the buddy keeps the name the casemanager chose" "\"name\": \"Bram B\\.\", \"account\": \"$B\"" "$contacts"
check "the buddy's own name was not added beside it" bash -c "! grep -q 'Bram Buddy' <<< '$contacts'"

step "the newcomer learns the names of those who were there: answers, once"
# The casemanager answered both when it read its inbox above: that came
# first, and each wait below collects all it read.
wait_inbox p 'is "Bram Buddy": kept as your contact name'
expect_match "the participant learned the casemanager's name" 'is "Carla Casemanager": kept' "$INBOX"
wait_inbox b 'is "Anna de Vries": kept as your contact name'
expect_match "the buddy learned the casemanager's name" 'is "Carla Casemanager": kept' "$INBOX"
expect_match "the participant knows the buddy by name" '"name": "Bram Buddy"' "$(vn p --json contacts)"
# An answer is not answered again: nothing more arrives.
vn cm inbox >/dev/null
expect_eq "no further introductions" "" "$(vn p inbox | grep '\[name\]' || true)"

step "a second participant with the same name is numbered, not merged"
CASE1=$CASE
CASE=$(vn cm case new)
CASE2=$CASE
P2=$(vn p2 join --name "Anna de Vries" "$(invite participant)")
wait_inbox cm 'which names someone else here: kept as "Anna de Vries \(2\)"'
expect_match "the second Anna is a contact of her own" "\"name\": \"Anna de Vries \\(2\\)\", \"account\": \"$P2\"" "$(vn cm --json contacts)"

step "on a terminal the name is asked; a naaste's goes to the casemanager"
CODE=$(vn cm invite --case "${CASE1:0:8}" --role naaste)
mkfifo "$T/tty.in"
printf -v cmd '%q ' "$VANGNET" --profile "$T/n" join "$CODE"
timeout -k 5 30 script -qfec "$cmd" /dev/null <"$T/tty.in" >"$T/tty.out" 2>&1 &
pid=$!
exec 7>"$T/tty.in"
asked() { grep -q 'Your name as your casemanager and care team will see it' "$T/tty.out"; }
wait_for "the name prompt" 20 asked
printf 'Nel Naaste\n' >&7
rc=0; wait "$pid" || rc=$?
exec 7>&-
expect_eq "the join on a terminal succeeds" 0 "$rc"
N=$(vn n whoami | cut -d' ' -f1)
wait_inbox cm 'is "Nel Naaste": kept as your contact name'
expect_match "the casemanager names the naaste" "\"name\": \"Nel Naaste\", \"account\": \"$N\"" "$(vn cm --json contacts)"
wait_inbox n 'is "Carla Casemanager": kept as your contact name'

step "a display name that is not one is refused before joining"
rc=0; out=$(vn bad join --name "$(printf 'evil\033[2Jname')" "$(invite buddy)" 2>&1) || rc=$?
expect_eq "a name with a control character is a usage error" 2 "$rc"
expect_match "and says why" 'cannot be your name: it holds a control character' "$out"

step "the server never has a name: not in its files, not in its log"
for name in "Anna de Vries" "Bram Buddy" "Carla Casemanager" "Nel Naaste"; do
    found=$(grep -rl --binary-files=text -F "$name" "$STATE" "$SERVER_LOG" || true)
    expect_eq "\"$name\" is nowhere in the server's state or log" "" "$found"
done

step "caseload: names and handles, not hex; lines of at most 100 columns"
# Something due and an alert, so that lines carry a tail.
vn cm contract set --case "${CASE1:0:6}" >/dev/null
vn p contract sign --case "${CASE1:0:8}" >/dev/null
vn p sos "please call" >/dev/null
load=$(vn cm caseload)
echo "$load"
expect_match "the participant shows by name, with what is due, the alert and what is overdue" \
    "^  ${CASE1:0:8}  Anna de Vries +active  [a-z ]+ [0-9]{2}-[0-9]{2} +URGENT sos" "$load"
expect_match "the second one by hers" "^  ${CASE2:0:8}  Anna de Vries \\(2\\)" "$load"
check "no whole id in the caseload" no_hex32 "$load"
expect_eq "every caseload line fits 100 columns" "" "$(awk 'length > 100' <<< "$load")"
narrow=$(COLUMNS=80 vn cm caseload)
echo "$narrow"
expect_eq "at COLUMNS=80 every line fits 80 columns" "" "$(awk 'length > 80' <<< "$narrow")"
expect_match "and still names the participants apart" "^  ${CASE2:0:8}  Anna de Vries \\(2\\)" "$narrow"
wide=$(vn cm caseload --wide)
expect_match "--wide shows whole case and account ids" "^  $CASE1  Anna de Vries \\($P\\)" "$wide"
json=$(vn cm --json caseload)
expect_match "--json has the id, the handle and the name" \
    "\"case\": \"$CASE1\", \"handle\": \"${CASE1:0:8}\", \"participant\": \"$P\", \"participant_name\": \"Anna de Vries\"" "$json"
# A long name is cut to its column, with a mark.
# (The first of an account's names in name order is the one shown.)
vn cm contacts add "Aaltje Wilhelmina Johanna van den Berg-Oosterhuis" "$P2"
load=$(vn cm caseload)
expect_match "a long name is cut to its column" "^  ${CASE2:0:8}  Aaltje Wilhelmina~  intake" "$load"
expect_eq "every caseload line still fits 100 columns" "" "$(awk 'length > 100' <<< "$load")"

step "case show by handle: people by name"
show=$(vn cm case show "${CASE1:0:6}")
echo "$show"
expect_match "the case by its handle" "^case ${CASE1:0:8} \\(" "$show"
expect_match "the participant by name" 'participant +Anna de Vries' "$show"
expect_match "the buddy by the casemanager's name for them" 'buddy +Bram B\.' "$show"
expect_match "the casemanager sees themselves as you" 'casemanager +you' "$show"
check "no whole id in case show" no_hex32 "$show"
expect_match "--wide adds the whole ids" "participant +Anna de Vries \\($P\\)" "$(vn cm case show --wide "${CASE1:0:6}")"
expect_match "the buddy sees the casemanager by the name that came end to end" \
    'casemanager +Carla Casemanager' "$(vn b case show "${CASE1:0:7}")"

step "alerts and a claim by name"
wait_inbox b '\[SOS\] please call'
alert=$(vn b --json alerts | grep -oE '"alert": "[0-9a-f]{32}"' | head -1 | grep -oE '[0-9a-f]{32}')
expect_match "the buddy's list shows the alert by the start of its id" "^${alert:0:8}  sos " "$(vn b alerts)"
claim=$(vn b claim "${alert:0:8}")
expect_match "the claimer reads that they claimed it" "is claimed, claimed by you" "$claim"
alerts=$(vn cm alerts)
echo "$alerts"
expect_match "the casemanager reads who claimed it by name" "case ${CASE1:0:8} .*claimed by Bram B\\." "$alerts"
expect_match "--json has the claimer's id and name" "\"claimed_by\": \"$B\", \"claimed_by_name\": \"Bram B.\"" "$(vn cm --json alerts)"
expect_match "--wide has the whole ids" "case $CASE1 .*claimed by Bram B\\. \\($B\\)" "$(vn cm alerts --wide)"

step "history by name, the team chat by handle"
vn p send "Carla Casemanager" "hello from Anna" >/dev/null
vn p send --case "${CASE1:0:6}" "hello team" >/dev/null
wait_inbox cm 'hello team'
hist=$(vn cm history)
echo "$hist" | tail -n 3
expect_match "a message shows its sender by name" 'Anna de Vries: hello from Anna' "$hist"
expect_match "a team message shows the case handle" "\\[team ${CASE1:0:8}\\] Anna de Vries: hello team" "$hist"
check "no whole id in the history" no_hex32 "$hist"
expect_eq "introductions are not messages of the history" "" "$(grep -E ': ?$' <<< "$hist" || true)"
expect_match "history --case takes a handle" 'hello team' "$(vn cm history --case "${CASE1:0:9}")"
expect_match "history --wide shows the id too" "Anna de Vries \\($P\\): hello from Anna" "$(vn cm history --wide)"

step "handles: other commands take them; a wrong one is refused, saying why"
expect_match "contract show --case takes a handle" 'version 1' "$(vn cm contract show --case "${CASE1:0:6}")"
expect_match "invite --case takes a handle" '^vn1-' "$(vn cm invite --case "${CASE2:0:8}" --role buddy)"
# The case id with its first character changed starts no case of this server.
flip=$(tr '0-9a-f' '1-9a-f0' <<< "${CASE1:0:8}")
rc=0; out=$(vn cm case show "$flip" 2>&1) || rc=$?
expect_eq "an unknown handle is a usage error" 2 "$rc"
expect_match "it names the cases known" "no case you know starts with $flip \\(your cases: .*${CASE1:0:8}" "$out"
rc=0; out=$(vn cm ack "$(tr '0-9a-f' '1-9a-f0' <<< "${alert:0:8}")" 2>&1) || rc=$?
expect_eq "an alert handle that starts no alert is a usage error" 2 "$rc"
expect_match "and says so" 'none of the alerts you can see starts with' "$out"
rc=0; out=$(vn cm case show abc 2>&1) || rc=$?
expect_eq "a too short handle is a usage error" 2 "$rc"
expect_match "it says what a handle is" 'not a case id \(32 hex characters\) nor a case handle' "$out"
rc=0; out=$(vn p case show "${CASE2:0:8}" 2>&1) || rc=$?
expect_eq "another casemanager's case is not the participant's to name" 2 "$rc"

step "an ambiguous handle is refused, naming the candidates"
# A second case this profile knows that shares the first 8 characters
# (made up: two real ones share them once in 4 billion).
OTHER=${CASE1:0:8}$(tr '0-9a-f' '1-9a-f0' <<< "${CASE1:8}")
"${VN_PROFILETOOL:?set VN_PROFILETOOL}" note-case "$T/cm" "$OTHER"
rc=0; out=$(vn cm case show "${CASE1:0:8}" 2>&1) || rc=$?
expect_eq "an ambiguous handle is a usage error" 2 "$rc"
expect_match "it names both cases" "case handle ${CASE1:0:8} is ambiguous: 2 cases start with it \\(.*($CASE1, $OTHER|$OTHER, $CASE1)\\); give more characters" "$out"
expect_match "one more character tells them apart" "^case ${CASE1:0:9} " "$(vn cm case show "${CASE1:0:9}")"
expect_match "and the handle shown grows to stay unique" "^  ${CASE1:0:9}  Anna de Vries" "$(vn cm caseload)"

finish
