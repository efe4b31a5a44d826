#!/usr/bin/env bash
# The server's error text reaches the user's terminal on stderr only through
# the client's sanitiser (vn_client_fail_call, vn_text_field): one line,
# control characters shown escaped. The honest server writes none of its
# own, but some errors echo what the client sent: a record's date ("not a
# date: ..."). A date with ESC, CR, BEL and a C1 control (all valid UTF-8,
# so the dispatcher's UTF-8 gate lets them through) comes back in the
# error; the terminal must see them escaped, never raw.
. "$(dirname "$0")/lib.sh"

step "start the server; a case"
server_init
server_start
join cm casemanager >/dev/null
new_case cm

step "a record with a date full of control characters"
BAD=$'2027\e[2J\e]0;owned\a-01\r-04\xc2\x9b31m'
RC=0
vn cm contact record --case "$CASE" --kind call --date "$BAD" >"$T/out" 2>"$T/err" || RC=$?
ERR=$(cat "$T/err")
echo "$ERR"
expect_eq "the client fails (exit 1)" 1 "$RC"
expect_match "the server's refusal is shown, naming the date" 'cannot record: not a date: 2027' "$ERR"
expect_match "ESC is shown as \\e" 'not a date: 2027\\e\[2J\\e\]0;owned' "$ERR"
expect_match "BEL, CR and the C1 control too" 'owned\\x07-01\\r-04\\u009b31m \(use YYYY-MM-DD\)' "$ERR"
check "no raw ESC reaches stderr" bash -c "! LC_ALL=C grep -q $'\e' '$T/err'"
check "no raw CR" bash -c "! LC_ALL=C grep -q $'\r' '$T/err'"
check "no raw BEL" bash -c "! LC_ALL=C grep -q $'\a' '$T/err'"
check "no raw C1 control (U+009B)" bash -c "! LC_ALL=C grep -q $'\xc2\x9b' '$T/err'"
expect_eq "the error is one line" 1 "$(grep -v 'VANGNET_INSECURE_TEST_KDF' "$T/err" | wc -l)"
expect_eq "nothing on stdout" 0 "$(wc -c < "$T/out")"

step "the same in --json"
RC=0
vn cm --json contact record --case "$CASE" --kind call --date "$BAD" >"$T/jout" 2>"$T/jerr" || RC=$?
cat "$T/jout" "$T/jerr"
expect_eq "the client fails (exit 1)" 1 "$RC"
check "no raw ESC in the JSON error either" bash -c "! LC_ALL=C grep -q $'\e' '$T/jout' '$T/jerr'"
check "the JSON error names the date" grep -q 'not a date: 2027' "$T/jout" "$T/jerr"
check "the server still runs" kill -0 "$SERVER_PID"
finish
