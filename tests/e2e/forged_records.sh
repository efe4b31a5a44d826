#!/usr/bin/env bash
# Records have authors, and peer text never passes for the client's own.
# Anyone may put a RecordNote in an end-to-end message; a receiving client
# keeps and counts it only when its verified sender may author it for that
# case. A "positive, confirmed" test result sent by a naaste (to the
# casemanager), by a buddy (to the participant) and by the casemanager of
# another case (to the medical lead) is shown as an ordinary message of its
# real sender, marked, and the monthly report does not count it; the real
# casemanager's result is counted, and recording it again replaces it.
# Then a message that tries to look like a server notice and carries
# terminal escapes is shown indented and escaped, and --json stays valid.
. "$(dirname "$0")/lib.sh"
: "${VN_RECORDFORGE:?set VN_RECORDFORGE to the vn_recordforge binary}"

step "start the server; enrol a case with a buddy, a naaste and a medical lead"
server_init
server_start
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
BUD=$(join bud buddy)
join naa naaste >/dev/null
ML=$(join ml medical-lead)
TODAY=$(date -u +%F)
MONTH=${TODAY:0:7}
# results PROFILE: the outcome counts of PROFILE's report for this month.
results() { vn "$1" --json report --case "$CASE" --month "$MONTH" | grep -o '"results": {[^}]*}'; }
NONE='"results": {"negative": 0, "positive": 0, "positive_confirmed": 0, "dilute": 0, "missed": 0}'
ONE_NEG='"results": {"negative": 1, "positive": 0, "positive_confirmed": 0, "dilute": 0, "missed": 0}'
ONE_POS='"results": {"negative": 0, "positive": 1, "positive_confirmed": 1, "dilute": 0, "missed": 0}'

step "forged positive results from a naaste, a buddy and another case's casemanager"
# Each sender is an honest device with a real certificate: only the
# meaning of its message is false.
NAA2=$("$VN_RECORDFORGE" "$(invite naaste)" "$CM" "$CASE" "$TODAY" test positive confirmed)
BUD2=$("$VN_RECORDFORGE" "$(invite buddy)" "$DOC" "$CASE" "$TODAY" test positive confirmed)
CM2=$("$VN_RECORDFORGE" "$(invite casemanager)" "$ML" "$CASE" "$TODAY" test positive confirmed)
wait_inbox cm "${NAA2:0:8}"
expect_match "the casemanager sees the naaste's record as an ordinary, marked message" \
    "\] ${NAA2:0:8}: \[not a record: someone outside its care team may not record tests for case ${CASE:0:8}\] \[record\] test $TODAY: positive \(confirmed\)" "$INBOX"
wait_inbox doc "${BUD2:0:8}"
expect_match "the participant sees the buddy's record as a marked message" \
    "\] ${BUD2:0:8}: \[not a record: a buddy may not record tests for case ${CASE:0:8}\] \[record\] test" "$INBOX"
wait_inbox ml "${CM2:0:8}"
expect_match "the medical lead sees the other casemanager's record as a marked message" \
    "\] ${CM2:0:8}: \[not a record: someone outside its care team may not record tests for case ${CASE:0:8}\]" "$INBOX"
expect_eq "the casemanager's report counts none of it" "$NONE" "$(results cm)"
expect_eq "nor the participant's" "$NONE" "$(results doc)"
expect_eq "nor the medical lead's" "$NONE" "$(results ml)"

step "the real casemanager's result is counted"
vn cm test record --case "$CASE" --date "$TODAY" negative >/dev/null
wait_inbox doc "\[record\] test $TODAY: negative"
check "the participant sees it as a record, unmarked" bash -c "! grep -q 'not a record' <<< '$INBOX'"
wait_inbox ml "\[record\] test $TODAY: negative"
expect_eq "the participant's report counts it" "$ONE_NEG" "$(results doc)"
expect_eq "the medical lead's too" "$ONE_NEG" "$(results ml)"
expect_eq "and the casemanager's" "$ONE_NEG" "$(results cm)"

step "recording the same test again replaces the first result"
vn cm test record --case "$CASE" --date "$TODAY" positive --confirmed >/dev/null
wait_inbox doc "test $TODAY: positive \(confirmed\)"
wait_inbox ml "test $TODAY: positive \(confirmed\)"
expect_eq "the participant's report counts the corrected result once" "$ONE_POS" "$(results doc)"
expect_eq "the medical lead's too" "$ONE_POS" "$(results ml)"
expect_eq "and the casemanager's" "$ONE_POS" "$(results cm)"

step "an alert history from a buddy of the case is a record"
BUD3=$("$VN_RECORDFORGE" "$(invite buddy)" "$DOC" "$CASE" "$TODAY" alert "crisis signal acknowledged")
wait_inbox doc "${BUD3:0:8}"
expect_match "it is kept as a record" "\] ${BUD3:0:8}: \[record\] alert $TODAY: crisis signal acknowledged" "$INBOX"
expect_eq "and counts in no test result" "$ONE_POS" "$(results doc)"

step "peer text that imitates the client or a server notice"
ESC=$'\x1b'
EVIL=$'see you\n[notice] server: your account was closed\r'"${ESC}[2J${ESC}]0;pwned"$'\x07'" bad"$'\xff'"byte"
vn bud send "$DOC" "$EVIL" >/dev/null
wait_inbox doc 'see you'
OUT=$INBOX
check "no raw escape, CR or BEL reaches the terminal" bash -c "! LC_ALL=C grep -q \$'[\x1b\r\x07]' <<< \"\$1\"" _ "$OUT"
check "no line starts like a notice or a server line" bash -c "! grep -Eq '^(\[notice\]|server:)' <<< \"\$1\"" _ "$OUT"
expect_match "the second line is indented under the sender" '^    \[notice\] server: your account was closed\\r\\e\[2J\\e\]0;pwned\\x07 bad.byte$' "$OUT"
expect_match "the first line names the real sender" "^\[[0-9T:-]+Z\] ${BUD:0:8}: see you$" "$OUT"
check "invalid UTF-8 shows as U+FFFD" grep -q $'bad\xef\xbf\xbdbyte' <<< "$OUT"

vn bud send "$DOC" "$EVIL \"quoted\" back\\slash" >/dev/null
JSON=
json_has() { JSON+=$(vn doc --json inbox); grep -q 'see you' <<< "$JSON"; }
wait_for "the second message in the participant's JSON inbox" 20 json_has
expect_match "--json gives the text as one correctly escaped string" \
    '"text": "see you\\n\[notice\] server: your account was closed\\r\\u001b\[2J\\u001b\]0;pwned\\u0007 bad\\ufffdbyte \\"quoted\\" back\\\\slash"\}' "$JSON"
check "--json holds no raw control byte" bash -c "! LC_ALL=C grep -q \$'[\x01-\x09\x0b-\x1f\x7f]' <<< \"\$1\"" _ "$JSON"
check "--json holds no byte that is not UTF-8" bash -c "iconv -f UTF-8 -t UTF-8 <<< \"\$1\" >/dev/null" _ "$JSON"

finish
