#!/usr/bin/env bash
# A participant's SOS produces an event at each buddy's daemon and runs
# each buddy's notify command at once, even inside quiet hours; a
# concern-level signal inside a buddy's quiet hours waits (as the server
# holds concern notices), outside them it does not. The text never holds
# the message's words unless --notify-content.
. "$(dirname "$0")/lib.sh"

step "a participant and two buddies, each buddy's daemon with a notify command"
server_init
server_start $NOLIMITS
join cm casemanager >/dev/null
new_case cm
P=$(join p participant)
join b1 buddy >/dev/null
join b2 buddy >/dev/null
# b1's quiet hours cover now (local time, as the server judges them).
vn b1 quiet-hours "$(date -d '-1 hour' +%H:%M)-$(date -d '+2 hours' +%H:%M)" >/dev/null
NOTE='printf "%s|%s\n" "$VANGNET_NOTIFY_KIND" "$1" >> '
"$VANGNET" --profile "$T/b1" daemon --notify-cmd "$NOTE'$T/b1.notes'" 2>"$T/b1.log" &
D1=$!
# b2 keeps its settings in daemon.conf (a bad line stops a daemon, naming it).
printf 'notify-cmd = %s\nnotify-volume = 11\n' "$NOTE'$T/b2.notes'" >"$T/b2/daemon.conf"
RC=0; OUT=$(vn b2 daemon 2>&1) || RC=$?
expect_match "an unknown setting names the file and line" "daemon.conf:2: unknown setting or bad value for notify-volume" "$OUT"
expect_eq "  and stops the daemon (exit 1)" 1 "$RC"
printf '# b2\nnotify-cmd = %s\nnotify-content = yes\n' "$NOTE'$T/b2.notes'" >"$T/b2/daemon.conf"
"$VANGNET" --profile "$T/b2" daemon 2>"$T/b2.log" &
D2=$!
wait_for "both daemons" 20 grep -q 'connected to the server' "$T/b1.log" "$T/b2.log"
wait_for "both daemons" 20 grep -q 'connected to the server' "$T/b2.log"

step "a concern-level signal: b1 is in quiet hours and waits, b2 is told"
vn p signal E01 --to-buddies --note "tired words" >/dev/null
wait_for "b2's notification of the signal" 20 grep -q '^alert|Signal report' "$T/b2.notes"
expect_match "with notify-content = yes the words are in it" 'tired words' "$(cat "$T/b2.notes")"

step "an SOS: both buddies are told at once, b1 inside its quiet hours too"
vn p sos "call me" >/dev/null
wait_for "b1's SOS notification" 20 grep -q '^alert|SOS' "$T/b1.notes"
wait_for "b2's SOS notification" 20 grep -q '^alert|SOS' "$T/b2.notes"
expect_eq "b1: one notification, the SOS (the concern still waits)" 1 "$(wc -l < "$T/b1.notes")"
expect_match "b1's says how to take it, without the words" '^alert\|SOS from [0-9a-f]{32}: vangnet claim [0-9a-f]{32}$|^alert\|SOS raised \(case [0-9a-f]{8}\): vangnet claim [0-9a-f]{32}$' "$(cat "$T/b1.notes")"
check "b1's never holds the words" test -z "$(grep -E 'call me|tired' "$T/b1.notes" || true)"
expect_eq "b2: the signal and the SOS, once each" 2 "$(wc -l < "$T/b2.notes")"
INBOX=$(vn b1 inbox)
expect_match "b1's next inbox shows the SOS the daemon stored" '\[SOS\] call me -- take it: vangnet claim' "$INBOX"

step "quiet hours end (set off): the waiting concern is told"
vn b1 quiet-hours off >/dev/null
wait_for "b1's held notification" 20 grep -q '^alert|Signal report' "$T/b1.notes"
check "still without the words" test -z "$(grep -E 'tired' "$T/b1.notes" || true)"

for d in $D1 $D2; do kill -TERM "$d"; RC=0; wait "$d" || RC=$?; expect_eq "a daemon ends 0" 0 "$RC"; done
check "no sanitizer report from the daemons" test -z "$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/b*.log || true)"
finish
