#!/usr/bin/env bash
# No plaintext, name or phone number reaches the server's disk (canary), and
# undelivered ciphertext expires after the configured time (30 days).
. "$(dirname "$0")/lib.sh"

step "start the server; messages with a canary, a phone number and a name"
server_init
server_start --test-clock --sweep 1s
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
BUDDY=$(join buddy buddy)

CANARY="CANARY-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PHONE="+31 6 5550 1234"
NAME="Dr. Canaryname"
vn cm contacts add "$NAME $CANARY" "$DOC"
vn doc contacts add "casemanager-$CANARY" "$CM"
vn cm send "$DOC" "$CANARY: call me on $PHONE, $NAME"
vn buddy send "$DOC" "$CANARY from the buddy"

scan() {
    # Every file of the server state, as raw bytes, plus the server log.
    if grep -raF -e "$CANARY" -e "$PHONE" -e "$NAME" "$STATE" "$SERVER_LOG" >/dev/null; then
        fail "$1: canary, phone number or name found on the server's disk"
    else
        pass "$1: no canary, phone number or name on the server's disk"
    fi
}
step "nothing of them on the server's disk"
check "messages wait on the server" test "$(db_count mailbox)" -eq 2
scan "while undelivered"
# The same holds for the padded length: bodies come in buckets (as they
# lie on disk, sealed: what a copy of the disk shows).
SIZES=$(mdb_dump -s mailbox "$STATE" | awk '/^HEADER=END/{d=1;next} d && /^ /{n++; if (n%2==0) print length($1)/2}' | sort -u)
expect_eq "both differently long messages have the same stored size" 1 "$(printf '%s\n' "$SIZES" | wc -l)"

step "delivery, and the disk after it"
OUT=$(vn doc --json inbox)
expect_match "the participant reads the casemanager's text" "$CANARY: call me on \\+31 6 5550 1234" "$OUT"
expect_match "and the buddy's" "$CANARY from the buddy" "$OUT"
expect_match "names stay local to the client" "\"from_name\": \"casemanager-$CANARY\"" "$OUT"
scan "after delivery"
# The senders take the participant's delivery receipts (client-cli/receipt.h).
vn cm inbox >/dev/null
vn buddy inbox >/dev/null
server_stop
scan "after shutdown"
step "client stores are encrypted at rest"
# The client keeps history locally, encrypted at rest: nothing in clear,
# not even contact names, and the wrong passphrase opens nothing.
if grep -raF -e "$CANARY" -e "$PHONE" -e "$NAME" "$T/doc" "$T/cm" >/dev/null; then
    fail "a client store holds the canary, phone number or name in clear"
else
    pass "client stores hold no canary, phone number or name in clear"
fi
expect_match "the history is there for the right passphrase" "$CANARY" "$(vn doc contacts; vn cm contacts)"
ERR=$(VANGNET_PASSPHRASE=wrong vn doc inbox 2>&1 || true)
expect_match "a wrong passphrase is named" "wrong passphrase for profile" "$ERR"
ERR=$(VANGNET_PASSPHRASE= vn doc inbox 2>&1 </dev/null || true)
expect_match "no passphrase and no terminal is named" "set VANGNET_PASSPHRASE" "$ERR"
check "the client profile is private (0700)" test "$(stat -c %a "$T/doc")" = 700

# Expiry: undelivered ciphertext is deleted after 30 days.
step "undelivered ciphertext expires after 30 days"
server_start --test-clock --sweep 1s
vn cm send "$DOC" "will expire"
server_clock advance 29d
pause_for_sweeps 2.5
expect_eq "still waiting after 29 days" 1 "$(db_count mailbox)"
server_clock advance 2d
wait_for "the expiry sweep to empty the mailbox" 20 db_count_is mailbox 0
expect_eq "gone after 31 days" 0 "$(db_count mailbox)"
expect_eq "its id index too" 0 "$(db_count msgindex)"
expect_eq "the participant gets nothing" "[]" "$(vn doc --json inbox)"
check "the server logged the expiry" grep -q "expired 1 undelivered" "$SERVER_LOG"

# Without --test-clock the clock cannot be moved.
step "the real clock cannot be moved"
server_stop
server_start
ERR=$(server_clock advance 1d 2>&1 || true)
expect_match "the real clock cannot be moved" 'not started with --test-clock' "$ERR"
finish
