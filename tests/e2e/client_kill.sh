#!/usr/bin/env bash
# Nothing lost on the client: kill -9 at random points of send and inbox,
# round after round; `inbox | head -n 1` and then inbox; two inbox runs on
# one profile at once. Every message a send reported sent (exit 0) is shown
# exactly once over all the recipient's output, no message is shown twice,
# no profile is left unusable, and history has both sides.
. "$(dirname "$0")/lib.sh"

step "start the server; a casemanager and a participant talk once"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
vn cm send "$P" "hello"
vn p inbox >/dev/null
OUT=$T/shown.txt
: >"$OUT"
# count TEXT: lines of the recipient's output that show message TEXT.
count() { grep -c -- ": $1\$" "$OUT" || true; }
# A random pause of 0 to $1 ms.
pause() { local ms=$((RANDOM % $1)); sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"; }
# How long a send takes here (a sanitizer build, a loaded machine are
# slower): the slowest of three. The kills fall anywhere from a send's
# start to as long again after its end, so about half of them hit a send
# under way and the others let it finish.
SLOWEST=0
for t in 1 2 3; do
    t0=$(date +%s%N)
    vn cm send "$P" "timing-$t"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -gt "$SLOWEST" ] && SLOWEST=$ms
done
vn p inbox >/dev/null
SPAN=$((SLOWEST * 2 + 1))
echo "a send takes up to $SLOWEST ms; kills fall within $SPAN ms"

step "kill -9 send and inbox at random points, 20 rounds"
SENT=()   # sends that exited 0
TRIED=()  # sends that were killed or failed: shown at most once
for r in $(seq 1 20); do
    vn cm send "$P" "round-$r" >/dev/null 2>&1 &
    S=$!
    pause "$SPAN"
    kill -9 "$S" 2>/dev/null || true
    RC=0
    wait "$S" 2>/dev/null || RC=$?
    if [ "$RC" -eq 0 ]; then SENT+=("round-$r"); else TRIED+=("round-$r"); fi
    vn p inbox >>"$OUT" 2>>"$T/inbox.err" &
    I=$!
    pause "$SPAN"
    kill -9 "$I" 2>/dev/null || true
    wait "$I" 2>/dev/null || true
done
echo "sent ${#SENT[@]}, killed or failed ${#TRIED[@]}"
# The sender's next command sends what its outbox kept; then the rest.
vn cm inbox >/dev/null
vn p inbox >>"$OUT" 2>>"$T/inbox.err"
bad=
for m in "${SENT[@]}"; do [ "$(count "$m")" -eq 1 ] || bad+=" $m:$(count "$m")"; done
expect_eq "every message sent with exit 0 was shown exactly once" "" "$bad"
bad=
for m in "${TRIED[@]}"; do [ "$(count "$m")" -le 1 ] || bad+=" $m:$(count "$m")"; done
expect_eq "no killed send was shown twice" "" "$bad"
check "some sends got through" test "${#SENT[@]}" -gt 0
check "no message was dropped as undecryptable" test -z "$(grep 'could not be decrypted' "$T/inbox.err" || true)"
expect_eq "both profiles still work: nothing new" "no new messages" "$(vn p inbox)"
HIST=$(vn p history)
bad=
for m in "${SENT[@]}"; do
    [ "$(grep -c -- ": $m\$" <<< "$HIST" || true)" -eq 1 ] || bad+=" $m"
done
expect_eq "the recipient's history has each once" "" "$bad"
# (A message of ours ends with its delivery state, e.g. "  [✓✓ delivered]".)
check "the sender's history has its own messages" grep -Eq -- "you -> .*: ${SENT[0]}(  \\[.*\\])?\$" <<< "$(vn cm history "$P")"

step "inbox | head -n 1, then inbox"
: >"$OUT"
seq -f "head-%g" 1 5 | vn cm send "$P" --stdin
vn p inbox 2>"$T/head.err" | head -n 1 >>"$OUT"
expect_eq "head showed one" 1 "$(wc -l < "$OUT")"
check "the closed output was noticed" grep -q "output was closed" "$T/head.err"
vn p inbox >>"$OUT"
bad=
for i in 1 2 3 4 5; do [ "$(count "head-$i")" -eq 1 ] || bad+=" head-$i:$(count "head-$i")"; done
expect_eq "every message shown exactly once over both runs" "" "$bad"

step "two inbox runs on one profile at once"
seq -f "two-%g" 1 10 | vn cm send "$P" --stdin
: >"$OUT"
vn p inbox >"$T/a.txt" 2>"$T/a.err" &
A=$!
vn p inbox >"$T/b.txt" 2>"$T/b.err" &
B=$!
wait "$A"
wait "$B"
cat "$T/a.txt" "$T/b.txt" >"$OUT"
bad=
for i in $(seq 1 10); do [ "$(count "two-$i")" -eq 1 ] || bad+=" two-$i:$(count "two-$i")"; done
expect_eq "each shown once by one of them" "" "$bad"
expect_eq "no false errors" "" "$(cat "$T/a.err" "$T/b.err" | grep -v WARNING || true)"
finish
