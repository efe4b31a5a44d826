#!/usr/bin/env bash
# The private wellbeing check over six months on the client's test clock
# (VANGNET_TEST_NOW): a participant answers every two weeks, first with two
# complaints of overstrain (and a third only "sometimes"), then with exactly
# three. The overstrain message comes at three and not below; the trend
# chart shows every check within 80 columns; once the complaints have lasted
# longer than six months with tiredness in the foreground, the check says it
# points towards burnout. Throughout, the server sees no request at all
# (every request is logged with --verbose) and its store does not change;
# only `wellbeing share` sends something: one end-to-end message, which the
# casemanager reads.
. "$(dirname "$0")/lib.sh"

# Answers in item order: sleep brood focus tired irritab busy moods rushed
# unwell social engaged unrest control limits.
TWO="2,2,1,1,1,0,0,0,1,1,1,1,0,0"        # two complaints often, a third sometimes
THREE="2,2,2,1,1,0,0,0,1,1,1,1,0,0"      # exactly three
THREE_TIRED="2,2,1,3,1,0,0,0,1,1,1,1,2,2" # three, with tiredness at the top
SIGNS="1,1,1,1,1,1,0,0,3,3,3,3,3,3"      # every sign and criterion, no complaint often
OVER="Your answers match the description of overstrain"
BURN="points towards burnout"

wb() { VANGNET_TEST_NOW=$1 vn doc "${@:2}" 2>/dev/null; }
requests() { grep -c ' request ' "$SERVER_LOG" || true; }
store_hash() { store_dump -a | sha256sum | cut -d' ' -f1; }

step "a case: casemanager, participant and buddy"
server_init
server_start --verbose
new_case cm
join doc participant >/dev/null
BUDDY=$(join b1 buddy)
CM=$(vn cm whoami | cut -d' ' -f1)

step "bad input is refused, naming what was wrong"
# run NAME VAR CMD...: the output of CMD in $out and its exit code in $rc.
run() { rc=0; out=$("$@" 2>&1) || rc=$?; }
run env VANGNET_TEST_NOW=2026-06-01 "$VANGNET" --profile "$T/doc" wellbeing --answers 1,2,3
expect_eq "too few answers: exit 2" 2 "$rc"
expect_match "says how many" "3 answers given; the check has 14 items" "$out"
run vn doc wellbeing --answers 1,2,3,4,0,0,0,0,0,0,0,0,0,0
expect_eq "an answer of 4: exit 2" 2 "$rc"
expect_match "names the answer" "answer 4 is 4; answers go from 0 to 3" "$out"
run vn doc wellbeing --every 0d
expect_eq "an interval of 0 days: exit 2" 2 "$rc"
expect_match "names the interval" "--every 0d is not an interval" "$out"
run env VANGNET_TEST_NOW=junio "$VANGNET" --profile "$T/doc" wellbeing due
check "a test clock that is not a date is refused" test "$rc" -ne 0
expect_match "names the knob" "VANGNET_TEST_NOW=junio is not a date" "$out"
run vn doc wellbeing --answers "$TWO" --every 5y
expect_eq "a bad --every with answers is refused too" 2 "$rc"
run vn doc wellbeing
expect_eq "no answers and no terminal: exit 2" 2 "$rc"
expect_match "says to give --answers" "no answers: give --answers" "$out"
out=$(VANGNET_TEST_NOW=2026-06-01 vn doc wellbeing trend 2>/dev/null)
expect_match "nothing was stored by the refused runs" "No wellbeing checks in the last 6 months" "$out"

step "six months of checks, every two weeks, without the server"
wb 2026-06-01 wellbeing --every 2w >/dev/null
R0=$(requests)
H0=$(store_hash)
BELOW_OVER=0
day=2026-06-01
for i in 1 2 3 4 5 6; do
    out=$(wb "$day" wellbeing --answers "$TWO")
    grep -q "$OVER" <<< "$out" && BELOW_OVER=$((BELOW_OVER + 1))
    day=$(date -u -d "$day + 14 days" +%F)
done
expect_eq "two complaints (a third only sometimes): no overstrain message in 6 checks" 0 "$BELOW_OVER"
expect_match "and it says so" "this check shows no overstrain" "$out"
out=$(wb "$day" wellbeing --answers "$SIGNS")
check "signs and criteria alone are not complaints" bash -c "! grep -q '$OVER' <<< \"\$1\"" _ "$out"
expect_match "they count in the total" "Total 24 of 42. Complaints often or more: 0 of 8" "$out"
day=$(date -u -d "$day + 14 days" +%F)
FIRST_OVER=$day
out=$(wb "$day" wellbeing --answers "$THREE")
expect_match "exactly three complaints: the overstrain message" "$OVER" "$out"
expect_match "names the three" "3 of 8 \(sleep, brood, focus\)" "$out"
expect_match "with ways to get help: buddy or casemanager" "wellbeing share --to WHO" "$out"
expect_match "a GP" "your own GP" "$out"
expect_match "the programme's intake staff" "first-contact code" "$out"
expect_match "and the crisis lines the client already knows" "113" "$out"
check "no burnout reading yet" bash -c "! grep -q '$BURN' <<< \"\$1\"" _ "$out"
for i in $(seq 1 12); do
    day=$(date -u -d "$day + 14 days" +%F)
    out=$(wb "$day" wellbeing --answers "$THREE")
done
expect_match "still overstrain" "$OVER" "$out"
# $day is FIRST_OVER + 168 days: tired at the top, still not six months.
out=$(wb "$day" wellbeing --answers "$THREE_TIRED")
check "168 days of complaints: not burnout yet" bash -c "! grep -q '$BURN' <<< \"\$1\"" _ "$out"
day=$(date -u -d "$FIRST_OVER + 190 days" +%F)
out=$(wb "$day" wellbeing --answers "$THREE_TIRED")
expect_match "190 days of complaints, tiredness at the top: points towards burnout" "$BURN" "$out"
expect_match "says since when" "in every check since $FIRST_OVER" "$out"
LAST=$day
json=$(VANGNET_TEST_NOW=$LAST vn doc --json wellbeing --answers "$TWO" 2>/dev/null)
expect_match "--json gives the reading" '"complaints": 2, "overstrain": false, "burnout": false' "$json"
LAST=$(date -u -d "$LAST + 1 day" +%F)
wb "$LAST" wellbeing --answers "$THREE_TIRED" >/dev/null

step "due: by the interval, on the test clock"
out=$(wb "$LAST" wellbeing due)
expect_match "the day after a check: not due" "Not due yet: the next wellbeing check is on $(date -u -d "$LAST + 14 days" +%F)" "$out"
out=$(wb "$(date -u -d "$LAST + 14 days" +%F)" wellbeing due)
expect_match "two weeks later: due" "A wellbeing check is due: the last was on $LAST" "$out"
wb "$LAST" wellbeing --every 1m >/dev/null
out=$(wb "$(date -u -d "$LAST + 14 days" +%F)" wellbeing due)
expect_match "every month: not due after two weeks" "Not due yet" "$out"
json=$(VANGNET_TEST_NOW=$LAST vn doc --json wellbeing due 2>/dev/null)
expect_match "--json" '"due": false, "every_days": 30' "$json"
out=$(VANGNET_TEST_NOW=$LAST vn b1 wellbeing due 2>/dev/null)
expect_match "a profile without checks: due" "none was made yet" "$out"

step "the trend over six months"
out=$(wb "$LAST" wellbeing trend)
echo "$out" | sed -n 1,24p
LONGEST=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' <<< "$out")
check "no line is wider than 80 columns (longest $LONGEST)" test "$LONGEST" -le 80
for key in sleep brood focus tired irritab busy moods rushed unwell social engaged unrest control limits; do
    grep -Eq "^$key +[.+#-]( [.+#-])+\$" <<< "$out" || fail "item $key has no row of marks"
done
pass "a row per item"
checks=$(grep -cE '^20[0-9]{2}-[0-9]{2}-[0-9]{2} +[0-9]+ ' <<< "$out")
marks=$(grep -E '^overstr' <<< "$out" | tr -cd '!' | wc -c)
over_lines=$(grep -cE '^20[0-9-]{8} .* overstrain$' <<< "$out")
# The checks of the last 180 days (6 months of 30 days) from $LAST.
expect_match "the header counts them" "Wellbeing checks from .* to $LAST: $checks" "$out"
check "more than 12 checks in six months ($checks)" test "$checks" -ge 12
expect_eq "an overstrain mark per overstrained check" "$over_lines" "$marks"
expect_match "month names above the columns" "^ +[A-Z][a-z]{2} +[A-Z][a-z]{2}" "$out"
out=$(wb "$LAST" wellbeing trend --months 1)
check "--months 1 shows fewer checks" test "$(grep -cE '^20[0-9]{2}-' <<< "$out")" -lt "$checks"
json=$(VANGNET_TEST_NOW=$LAST vn doc --json wellbeing trend 2>/dev/null)
expect_eq "--json lists every check" "$checks" "$(grep -o '"date"' <<< "$json" | wc -l)"

step "the server saw nothing of it"
expect_eq "no request reached the server during the checks" "$R0" "$(requests)"
expect_eq "the store is unchanged, record for record" "$H0" "$(store_hash)"
for w in brood irritab "$OVER" "wellbeing" "overspanning"; do
    if store_dump -a | grep -aqi -- "$w" || grep -raqi -- "$w" "$STATE"; then
        fail "the server store holds \"$w\""
    fi
done
pass "no item name or reading in the store, in the clear or on disk"

step "share: one end-to-end message to the casemanager, and to a buddy"
out=$(wb "$LAST" wellbeing share --to casemanager)
expect_match "says it was shared" "Shared a summary of your wellbeing checks with $CM" "$out"
wait_inbox cm "My wellbeing check"
expect_match "the casemanager reads the last check" "Last check $LAST: total 17 of 42, 3 complaints" "$INBOX"
expect_match "and that it matches overstrain" "matches the description of overstrain" "$INBOX"
check "the share was a send request" test "$(grep -c ' request send ' "$SERVER_LOG")" -ge 1
out=$(wb "$LAST" wellbeing share --to "$BUDDY" --months 1)
wait_inbox b1 "My wellbeing check"
pass "the buddy has it"
run env VANGNET_TEST_NOW=$LAST "$VANGNET" --profile "$T/b1" wellbeing share --to casemanager
expect_eq "nothing to share: exit 1" 1 "$rc"
expect_match "says so" "no wellbeing check in the last 6 months" "$out"

finish
