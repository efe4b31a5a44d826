#!/usr/bin/env bash
# The client's command line comes from one table: every command has --help,
# a bad command line is named (the option, the command, what is missing)
# and exits 2 as `vangnet --help` promises, before the profile is touched.
. "$(dirname "$0")/lib.sh"

# run ARGS...: runs the client; sets OUT, ERR and RC.
run() {
    RC=0
    OUT=$("$VANGNET" "$@" 2>"$T/stderr") || RC=$?
    ERR=$(cat "$T/stderr")
}

run --help
expect_eq "vangnet --help exits 0" 0 "$RC"
expect_match "and lists the commands" '^  contract set --case CASE' "$OUT"
expect_match "and the exit codes" 'exit codes: 0 ok, 1 failed' "$OUT"
# Every command the list names has its own help, and it agrees on the name.
COMMANDS=$(sed -n '/^commands:/,/^$/p' <<< "$OUT" | grep -E '^  [a-z]' | awk '{print $1}' | sort -u)
check "the list names more than twenty commands" test "$(wc -l <<< "$COMMANDS")" -gt 20
BAD=
for cmd in $COMMANDS; do
    run "$cmd" --help
    [ "$RC" -eq 0 ] && grep -q "^usage: vangnet $cmd" <<< "$OUT" || BAD="$BAD $cmd"
done
expect_eq "every listed command has --help, exit 0, starting with its usage" "" "$BAD"
run case show --help
expect_match "a sub-command's help explains its argument" '^  CASE +the case id' "$OUT"
run state record --help
# contract.sh checks that both really receive it.
expect_match "state record says who receives a clinical state" "to the case's participant and medical leads" "$OUT"

run
expect_eq "no command at all exits 2" 2 "$RC"
expect_match "and shows the usage" '^usage: vangnet' "$ERR"

P=(--profile "$T/never")
run "${P[@]}" inbox --folow
expect_eq "an unknown option exits 2" 2 "$RC"
expect_match "naming the command and the option" '^vangnet: inbox: unknown option --folow' "$ERR"
expect_match "with the command's usage" '^usage: vangnet inbox \[--follow\]' "$ERR"
run "${P[@]}" invite --role buddy --case
expect_match "a missing value is named" 'invite: --case needs a value \(CASE\)' "$ERR"
expect_eq "and exits 2" 2 "$RC"
run "${P[@]}" contract set --months 12
expect_match "a missing required option is named" 'contract set: --case CASE is required' "$ERR"
run "${P[@]}" case frob
expect_match "an unknown sub-command lists the real ones" \
    'case: unknown sub-command frob; one of new, list, show, remove, reassign, close' "$ERR"
expect_eq "and exits 2" 2 "$RC"
run "${P[@]}" whoami extra
expect_match "an extra argument is named" 'whoami: unexpected argument extra' "$ERR"
expect_eq "and exits 2" 2 "$RC"
run "${P[@]}" test record --case 0123456789abcdef0123456789abcdef --date 2027-01-04
expect_match "a missing argument is named by its choices" \
    'test record: negative\|positive\|dilute\|missed is missing' "$ERR"
run "${P[@]}" invite --case 0123456789abcdef0123456789abcdef --role king
expect_match "a value outside the choices is named" \
    'invite: --role must be one of participant\|buddy\|naaste, not king' "$ERR"
run "${P[@]}" --json case
expect_match "under --json a bad command line is an error object" \
    '^\{"error": \{"code": "INVAL", "message": "case: which one\? new, list' "$ERR"
expect_eq "and exits 2" 2 "$RC"
run "${P[@]}" --timeout soon whoami
expect_match "a bad global option value is named" '--timeout wants whole seconds from 1 to 3600, not soon' "$ERR"
expect_eq "and exits 2" 2 "$RC"
check "no bad command line created the profile" test ! -e "$T/never"

# Texts may start with a dash; after "--" even with two.
server_init
server_start
ALICE=$(join alice casemanager)
new_case alice
BOB=$(join bob participant)
vn alice send "$BOB" "-5 degrees outside"
vn alice send "$BOB" -- "--not an option"
OUT=$(vn bob inbox)
expect_match "a text starting with a dash is sent as it is" ': -5 degrees outside$' "$OUT"
expect_match "and after -- one starting with two dashes" ': --not an option$' "$OUT"

step "the version"
run --version
expect_eq "vangnet --version exits 0" 0 "$RC"
expect_match "and prints the version from CMake" '^vangnet [0-9]+\.[0-9]+\.[0-9]+$' "$OUT"
run "${P[@]}" inbox --version
expect_match "also after a command, which then does not run" '^vangnet [0-9]+\.[0-9]+\.[0-9]+$' "$OUT"
check "and the profile is not made" test ! -e "$T/never"

step "a bad argument value is a bad command line too: exit 2"
A=(--profile "$T/alice")
BADV=
# bad WORDS...: the command must exit 2 and say "vangnet: ...".
bad() { run "${A[@]}" "$@"; [ "$RC" -eq 2 ] && grep -q '^vangnet: ' <<< "$ERR" || BADV="$BADV [$* -> $RC]"; }
bad case show nonsense
bad caseload --calendar --month 2027-1
bad report --case "$CASE" --month May
bad quiet-hours 25:00-07:00
bad history --since yesterday
bad contacts add dokter not-an-account
bad invite --case "$CASE" --role buddy --ttl soon
bad contract set --case "$CASE" --phase 1-12
bad absence add --case "$CASE" 2027-13-01 2027-01-02
bad signal NO-SUCH-CODE
bad ack not-an-alert
bad send --case xyz hello
expect_eq "every malformed value exits 2 with a message" "" "$BADV"
run "${A[@]}" case show 0123456789abcdef0123456789abcdef
expect_eq "a well-formed case the server refuses exits 1" 1 "$RC"

step "the server away: exit 3"
server_stop
run "${A[@]}" --timeout 1 case list
expect_eq "no server within --timeout exits 3" 3 "$RC"
expect_match "and says so" 'no answer from the server within 1 s' "$ERR"

step "a contact name is not re-pointed silently"
server_start
BOB2=$(join bob2 buddy)
vn alice contacts add dokter "$BOB"
run "${A[@]}" contacts add dokter "$BOB"
expect_eq "adding the same name and account again is fine" 0 "$RC"
run "${A[@]}" contacts add dokter "$BOB2"
expect_eq "pointing the name at another account is refused (exit 1)" 1 "$RC"
expect_match "naming the account it has and the way out" "contact dokter already names $BOB: give --replace" "$ERR"
expect_match "and the name still points where it did" "^dokter +$BOB\$" "$(vn alice contacts)"
run "${A[@]}" contacts add --replace dokter "$BOB2"
expect_eq "with --replace it is re-pointed" 0 "$RC"
expect_match "to the new account" "^dokter +$BOB2\$" "$(vn alice contacts)"

step "a new passphrase typed on a terminal: strong enough, and twice the same"
# on_tty ANSWER... -- CMD...: runs CMD on a pseudo-terminal (script(1))
# without $VANGNET_PASSPHRASE, typing each ANSWER once the next passphrase
# prompt has appeared; sets OUT (all it wrote, both streams) and RC.
on_tty() {
    local answers=() n=0 cmd
    while [ "$1" != -- ]; do answers+=("$1"); shift; done
    shift
    printf -v cmd '%q ' env -u VANGNET_PASSPHRASE -u VANGNET_NEW_PASSPHRASE "$@"
    rm -f "$T/tty.in" "$T/tty.out"
    mkfifo "$T/tty.in"
    timeout -k 5 30 script -qfec "$cmd" /dev/null <"$T/tty.in" >"$T/tty.out" 2>&1 &
    local pid=$!
    exec 7>"$T/tty.in"
    prompts() { [ "$(grep -Eo 'for (profile )?[^ ]+: ' "$T/tty.out" | wc -l)" -ge "$1" ]; }
    for a in "${answers[@]}"; do
        n=$((n + 1))
        wait_for "passphrase prompt $n" 20 prompts "$n"
        printf '%s\n' "$a" >&7
    done
    RC=0
    wait "$pid" || RC=$?
    exec 7>&-
    OUT=$(tr -d '\r' <"$T/tty.out")
}
CODE=$(invite buddy)
on_tty a "long enough passphrase" "long enough passphrase!" tiny -- \
    "$VANGNET" --profile "$T/tty" join "$CODE"
expect_eq "three refused tries: join fails (exit 1)" 1 "$RC"
expect_match "a short one is named too weak, with the rule" \
    'too weak: a new passphrase must be at least 12 characters or 4 words' "$OUT"
expect_match "two that differ are named" 'the two passphrases differ' "$OUT"
expect_match "and the end says why nothing was made" \
    "no passphrase set for $T/tty.joining: a new one must be at least 12 characters or 4 words and typed the same twice" "$OUT"
check "no profile was left behind" test ! -e "$T/tty" -a ! -e "$T/tty.joining"
# (--name given: the display name is asked on a terminal otherwise.)
on_tty short "four small words ok" "four small words ok" -- "$VANGNET" --profile "$T/tty" join --name "Tty Buddy" "$CODE"
expect_eq "four words, typed twice, make the profile (the invite was not spent)" 0 "$RC"
expect_match "and it opens with that passphrase" '^[0-9a-f]{32}' \
    "$(VANGNET_PASSPHRASE="four small words ok" vn tty whoami)"
on_tty "a different passphrase" "a different passphrase." abc tiny -- \
    env VANGNET_PASSPHRASE="four small words ok" "$VANGNET" --profile "$T/tty" change-passphrase
expect_eq "change-passphrase with no good new one fails (exit 1)" 1 "$RC"
expect_match "and says why" 'passphrase not changed: a new one must be at least 12 characters or 4 words' "$OUT"
expect_match "the old passphrase still opens it" '^[0-9a-f]{32}' \
    "$(VANGNET_PASSPHRASE="four small words ok" vn tty whoami)"

step "quiet hours can be read back"
expect_match "none set yet is said so" '^no quiet hours set from this profile' "$(vn alice quiet-hours)"
expect_eq "and under --json is null" '{"quiet_hours": null}' "$(vn alice --json quiet-hours)"
vn alice quiet-hours 22:00-07:00 >/dev/null
expect_match "a setting is shown" '^quiet hours 22:00-07:00: concern-level alerts wait' "$(vn alice quiet-hours)"
expect_eq "and under --json" '{"quiet_hours": "22:00-07:00"}' "$(vn alice --json quiet-hours)"
run "${A[@]}" quiet-hours 23:00-25:00
expect_eq "a bad one is refused (exit 2)" 2 "$RC"
expect_match "and the setting stays" '^quiet hours 22:00-07:00' "$(vn alice quiet-hours)"
vn alice quiet-hours off >/dev/null
expect_eq "off is shown as off" "quiet hours off" "$(vn alice quiet-hours)"

step "the server moves to another port: server set-endpoint"
OLD_ENDPOINT=$ENDPOINT
server_stop
ENDPOINT=
server_start
check "the server listens on another port now" test "$ENDPOINT" != "$OLD_ENDPOINT"
run "${A[@]}" --timeout 1 case list
expect_eq "the profile still calls the old address (exit 3)" 3 "$RC"
run "${A[@]}" server set-endpoint "${ENDPOINT/tcp:/udp:}"
expect_eq "an address that is not tcp://HOST:PORT is a bad command line" 2 "$RC"
run "${A[@]}" server set-endpoint "$ENDPOINT"
expect_eq "set-endpoint to the new port succeeds" 0 "$RC"
expect_match "and says so" "server address now $ENDPOINT" "$OUT"
run "${A[@]}" case list
expect_eq "the next command reaches the server there" 0 "$RC"
# Another server (another key) on a third port: the pin refuses it.
"$VANGNETD" init --state "$T/st2" --store-key "$T/sk2" >/dev/null 2>&1
"$VANGNETD" run --state "$T/st2" --store-key "$T/sk2" --listen 'tcp://127.0.0.1:*' 2>>"$SERVER_LOG" &
OTHER_PID=$!
other_up() { [ -s "$T/st2/endpoint" ]; }
wait_for "the other server to listen" 20 other_up
OTHER=$(cat "$T/st2/endpoint")
run "${A[@]}" --timeout 2 server set-endpoint "$OTHER"
expect_eq "a server with another key at the new address is refused (exit 3: no answer under the pin)" 3 "$RC"
expect_match "and the address stays" "the address stays $ENDPOINT: no server holding this profile's pinned key answered at $OTHER" "$ERR"
run "${A[@]}" case list
expect_eq "the profile still works at the right address" 0 "$RC"
run "${A[@]}" server set-endpoint --no-check "$OTHER"
run "${A[@]}" --timeout 2 case list
expect_eq "stored unchecked, the next command fails at the impostor" 3 "$RC"
expect_match "clearly, naming the address and the pin" "cannot list cases: $OTHER: a server answers there under another key than the one this profile pinned" "$ERR"
kill -TERM "$OTHER_PID"; wait "$OTHER_PID" || true
finish
