# Shared helpers for the end-to-end tests: they start a real vangnetd on a
# temporary state directory and drive real vangnet clients, each in its own
# profile. Sourced by every tests/e2e/*.sh; ctest passes the binary paths.
set -euo pipefail

: "${VANGNETD:?set VANGNETD to the vangnetd binary}"
: "${VANGNET:?set VANGNET to the vangnet binary}"

T=$(mktemp -d /tmp/vn-e2e.XXXXXX)
# Client profiles are encrypted at rest; every test profile uses this one.
export VANGNET_PASSPHRASE="correct horse battery staple"
STATE=$T/state
SERVER_PID=
SERVER_LOG=$T/server.log
FAILS=0
PASSES=0

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    jobs -p | xargs -r kill 2>/dev/null || true
    if [ "$FAILS" -ne 0 ] && [ -f "$SERVER_LOG" ]; then echo "--- server log (tail)"; tail -n 30 "$SERVER_LOG"; fi
    rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; PASSES=$((PASSES + 1)); }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi; }
# expect_match DESCRIPTION REGEX TEXT
expect_match() { if grep -Eq -- "$2" <<< "$3"; then pass "$1"; else fail "$1: [$3] does not match /$2/"; fi; }

# Ends the test with a summary line ctest and CI can read.
finish() {
    [ -n "$SERVER_PID" ] && server_stop
    if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$SERVER_LOG" 2>/dev/null; then
        fail "sanitizer report in the server log"
        grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$SERVER_LOG" | sed -n 1,60p || true
    fi
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}

server_init() { "$VANGNETD" init --state "$STATE" >/dev/null; }

# server_start [extra run options]: starts vangnetd and waits until it listens.
# A restart binds the endpoint of the first start, which clients have pinned.
ENDPOINT=
server_start() {
    local listen=${ENDPOINT:-tcp://127.0.0.1:*}
    rm -f "$STATE/endpoint"
    "$VANGNETD" run --state "$STATE" --listen "$listen" "$@" 2>>"$SERVER_LOG" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$STATE/endpoint" ] && break
        sleep 0.05
    done
    [ -s "$STATE/endpoint" ] || { echo "server did not start"; cat "$SERVER_LOG"; exit 1; }
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
    [ -d "$T/$CMP" ] || vn "$CMP" join "$("$VANGNETD" invite --state "$STATE" --role casemanager)" >/dev/null
    CASE=$(vn "$CMP" case new)
}

# invite ROLE [options]: staff roles from the operator, case roles from the
# casemanager into $CASE.
invite() {
    case $1 in
    participant|buddy|naaste) vn "$CMP" invite --case "$CASE" --role "$1" "${@:2}" ;;
    *) "$VANGNETD" invite --state "$STATE" --role "$1" "${@:2}" ;;
    esac
}

# join NAME ROLE: enrolls a new user, prints its account id.
join() { vn "$1" join "$(invite "$2")"; }

# Number of entries in one LMDB database of the server store.
# db_count_prefix DB HEX: entries whose key starts with the bytes HEX.
db_count_prefix() {
    mdb_dump -s "$1" "$STATE" | awk -v p=" $2" '/^HEADER=END/{d=1;next} /^DATA=END/{d=0}
        d && /^ / {n++; if (n % 2 == 1 && index($0, p) == 1) c++} END{print c+0}'
}
db_count() {
    mdb_dump -s "$1" "$STATE" | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d && /^ /{n++} END{print int(n/2)}'
}
