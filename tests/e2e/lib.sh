# Shared helpers for the end-to-end tests: they start a real vangnetd on a
# temporary state directory and drive real vangnet clients, each in its own
# profile. Sourced by every tests/e2e/*.sh; ctest passes the binary paths.
#
# Like Redis's `test {name} {...}` blocks, a test names its steps
# (`step "redeem the buddy invite"`); it waits by polling a condition
# (`wait_for`), never by a bare sleep; and any failure names the step and the
# line, and prints the tail of the server's log.
# -E: the ERR trap below also fires inside functions.
set -eEuo pipefail

: "${VANGNETD:?set VANGNETD to the vangnetd binary}"
: "${VANGNET:?set VANGNET to the vangnet binary}"

T=$(mktemp -d /tmp/vn-e2e.XXXXXX)
# Client profiles are encrypted at rest; every test profile uses this one.
export VANGNET_PASSPHRASE="correct horse battery staple"
# Test-only Argon2id cost (the client warns): the real one takes most of a second per call.
export VANGNET_INSECURE_TEST_KDF=1
STATE=$T/state
# The store key: beside the state directory, never in it (vangnetd refuses
# that). Made by server_init; every vangnetd command that opens the store
# is given it.
STORE_KEY=$T/store.key
SERVER_PID=
SERVER_LOG=$T/server.log
FAILS=0
PASSES=0
STEP="setting up"

# step NAME: names the block of the test that follows; failures report it.
step() { STEP=$*; echo "== $STEP"; }

# A command that fails outside a check ends the test (set -e). Say where:
# the step, the line and the command, with the calls that led there.
on_err() {
    local rc=$1 i
    # In a command substitution the failure surfaces again in the caller.
    [ "$BASH_SUBSHELL" -eq 0 ] || return 0
    echo "FAIL: step \"$STEP\": ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}: \`$BASH_COMMAND\` exited $rc"
    for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
        echo "    in ${FUNCNAME[i]}, called from ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]}"
    done
    FAILS=$((FAILS + 1))
}
trap 'on_err $?' ERR

cleanup() {
    local rc=$?
    trap - ERR
    set +e
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
    jobs -p | xargs -r kill 2>/dev/null
    if { [ "$FAILS" -ne 0 ] || [ "$rc" -ne 0 ]; } && [ -f "$SERVER_LOG" ]; then
        echo "--- last step: $STEP"
        echo "--- server log (tail)"
        tail -n 30 "$SERVER_LOG"
    fi
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAIL: $* (step: $STEP)"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; PASSES=$((PASSES + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi; }
# expect_match DESCRIPTION REGEX TEXT
expect_match() { if grep -Eq -- "$2" <<< "$3"; then pass "$1"; else fail "$1: [$3] does not match /$2/"; fi; }

# wait_for WHAT SECONDS COMMAND...: runs COMMAND every 0.1 s until it
# succeeds. After SECONDS it fails the test naming WHAT was awaited (and
# returns 1, which ends the test at the caller's line). The command runs in
# this shell, so a predicate may collect what it saw in a variable.
wait_for() {
    local what=$1 secs=$2 start=$SECONDS
    shift 2
    until "$@"; do
        if [ $((SECONDS - start)) -ge "$secs" ]; then
            fail "timed out after ${secs}s waiting for $what"
            return 1
        fi
        sleep 0.1
    done
}

# Predicates for wait_for.
db_count_is() { [ "$(db_count "$1")" -eq "$2" ]; }
db_count_at_least() { [ "$(db_count "$1")" -ge "$2" ]; }
log_has() { grep -Eq -- "$1" "$SERVER_LOG"; }
# inbox_has PROFILE REGEX [vn options]: reads PROFILE's inbox (which takes
# the messages off the server) and adds it to $INBOX; true once $INBOX
# matches REGEX.
INBOX=
inbox_has() { INBOX+=$(vn "$1" "${@:3}" inbox)$'\n'; grep -Eq -- "$2" <<< "$INBOX"; }
# wait_inbox PROFILE REGEX [vn options]: reads PROFILE's inbox until what
# arrived matches REGEX; $INBOX then holds everything it read.
wait_inbox() { INBOX=; wait_for "a message matching /$2/ in the inbox of $1" 20 inbox_has "$@"; }

# pause_for_sweeps SECONDS: a deliberate pause, only before a check that
# something did NOT happen (no escalation yet, nothing purged yet): with
# --sweep 1s the server's sweep runs meanwhile, and when the point is that
# no event comes there is no event to wait for. Anything that should
# happen is awaited with wait_for instead.
pause_for_sweeps() { sleep "$1"; }

# Ends the test with a summary line ctest and CI can read.
finish() {
    [ -n "$SERVER_PID" ] && server_stop
    if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SERVER_LOG" 2>/dev/null; then
        fail "sanitizer report in the server log"
        grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$SERVER_LOG" | sed -n 1,60p || true
    fi
    echo "$PASSES passed, $FAILS failed"
    if [ "$FAILS" -ne 0 ]; then exit 1; fi
}

server_init() { "$VANGNETD" init --state "$STATE" --store-key "$STORE_KEY" >/dev/null 2>&1; }
# server_clock advance DUR | set TIME: moves the test clock of $STATE.
server_clock() { "$VANGNETD" clock --state "$STATE" --store-key "$STORE_KEY" "$@"; }

# server_start [extra run options]: starts vangnetd and waits until it listens.
# A restart binds the endpoint of the first start, which clients have pinned.
ENDPOINT=
# The server is up; a server that exited fails at once instead of after the timeout.
server_listening() {
    [ -s "$STATE/endpoint" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { fail "vangnetd exited during start"; exit 1; }
    return 1
}
server_start() {
    local listen=${ENDPOINT:-tcp://127.0.0.1:*}
    rm -f "$STATE/endpoint"
    "$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "$listen" "$@" 2>>"$SERVER_LOG" &
    SERVER_PID=$!
    wait_for "vangnetd to listen and write $STATE/endpoint" 20 server_listening
    ENDPOINT=$(cat "$STATE/endpoint")
}

# server_stop: SIGTERM must end the server cleanly (exit 0; in a sanitizer
# build that also means no leak or error report).
# Options that lift the abuse limits, for tests about volume, not abuse.
NOLIMITS="--rate-burst 1000000 --rate-per-sec 1000000 --account-burst 1000000 --account-per-sec 1000000"

server_stop() {
    local rc=0
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=
    expect_eq "server exits 0 on SIGTERM" 0 "$rc"
}
server_kill9() { kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# vn NAME ARGS...: runs the client in profile NAME.
vn() { local p=$1; shift; "$VANGNET" --profile "$T/$p" "$@"; }

# The case that participants, buddies and naasten join ($CASE), and the
# profile of its casemanager ($CMP). Call new_case at the top level (not in
# $(...)) before joining case roles.
CASE=
CMP=
# new_case [CM_PROFILE]: a new case of CM_PROFILE (joined as casemanager
# first if it does not exist yet; default "cm").
new_case() {
    CMP=${1:-cm}
    [ -d "$T/$CMP" ] || vn "$CMP" join "$("$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role casemanager)" >/dev/null
    CASE=$(vn "$CMP" case new)
}

# invite ROLE [options]: staff roles from the operator, case roles from the
# casemanager into $CASE.
invite() {
    case $1 in
    participant|buddy|naaste) vn "$CMP" invite --case "$CASE" --role "$1" "${@:2}" ;;
    *) "$VANGNETD" invite --state "$STATE" --store-key "$STORE_KEY" --role "$1" "${@:2}" ;;
    esac
}

# join NAME ROLE: enrolls a new user, prints its account id.
join() { vn "$1" join "$(invite "$2")"; }

# The store as the server sees it, through its key: on disk every key is a
# keyed hash and every value is sealed, so a test that reads or rewrites
# records goes through vn_storetool (tests/e2e/storetool.c).
# store_dump (-a | -s TABLE): the records in the clear, as mdb_dump prints them.
store_dump() { "${VN_STORETOOL:?set VN_STORETOOL}" dump "$STORE_KEY" "$STATE" "$@"; }
# store_load TABLE < DUMP: puts every record of an mdb_dump-style DUMP, sealed.
store_load() { "${VN_STORETOOL:?set VN_STORETOOL}" load "$STORE_KEY" "$STATE" "$1"; }
# store_copy DIR: an unsealed LMDB copy of the store in the new directory DIR.
store_copy() { mkdir "$1" && "${VN_STORETOOL:?set VN_STORETOOL}" copy "$STORE_KEY" "$STATE" "$1"; }

# Number of entries in one LMDB database of the server store: on disk, one
# entry per record.
# db_count_prefix DB HEX: records whose (clear) key starts with the bytes HEX.
db_count_prefix() {
    store_dump -s "$1" | awk -v p=" $2" '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
        d && /^ / {n++; if (n % 2 == 1 && index($0, p) == 1) c++} END{print c+0}'
}
db_count() {
    mdb_dump -s "$1" "$STATE" | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d && /^ /{n++} END{print int(n/2)}'
}

# ---- the test clock, day by day (contract.sh, retention.sh) ----
epoch_day() { echo $(( $(date -u -d "$1" +%s) / 86400 )); }
# closed_through DAY: the scheduler has closed every day up to DAY.
closed_through() {
    local got
    got=$(store_dump -s sched | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d&&/^ /{n++; if(n%2==0) print $1}' | sed -n 1p)
    [ -n "$got" ] && [ $((16#$got)) -ge "$1" ]
}
# settle: waits until the scheduler has closed every day before today.
settle() {
    wait_for "the scheduler to catch up to $1" 30 closed_through $(( $(epoch_day "$1") - 1 ))
}
# jump_to DATE: moves the test clock forward to DATE in steps the scheduler
# closes one at a time; $T/today holds the current date (the caller sets it
# once, as it set the clock). One case under a contract: its sched record.
jump_to() {
    local target now_day
    target=$(epoch_day "$1")
    while :; do
        now_day=$(epoch_day "$(cat "$T/today")")
        [ "$now_day" -ge "$target" ] && break
        local step=$(( target - now_day )); [ $step -gt 300 ] && step=300
        server_clock advance "${step}d"
        date -u -d "@$(( (now_day + step) * 86400 ))" +%F > "$T/today"
        settle "$(cat "$T/today")"
    done
}
