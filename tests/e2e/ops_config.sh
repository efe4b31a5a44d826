#!/usr/bin/env bash
# The settings file of `vangnetd run --config FILE` and the log levels:
# every bad file stops start-up naming the file, the line and the key; the
# file's values apply and the command line wins over them; the example
# file `vangnetd config-example` prints (and the package ships) starts a
# server; --log-level sets what is logged, with request names, never ids.
. "$(dirname "$0")/lib.sh"

server_init
# err ARGS...: runs `vangnetd run` on $STATE, which must fail; prints its
# exit code and its message.
err() {
    local rc=0 out
    out=$("$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || out="UNEXPECTED SUCCESS: $out"
    printf '%s %s' "$rc" "$out"
}
conf() { printf '%s\n' "$@" > "$T/vangnetd.conf"; }

step "bad settings files are refused with file, line and key"
conf "# a comment" "frame-max = 4096" "frame-maxx = 2048"
expect_match "an unknown key" "^2 vangnetd: $T/vangnetd.conf:3: unknown key frame-maxx" "$(err --config "$T/vangnetd.conf")"
conf "" "; another comment" "frame-max = 12"
expect_match "a bad value, with what it must be" "^2 vangnetd: $T/vangnetd.conf:3: frame-max must be 1024..65536 bytes, not 12" \
    "$(err --config "$T/vangnetd.conf")"
conf "mail-ttl = 30d" "sweep = soon"
expect_match "a bad duration" "$T/vangnetd.conf:2: sweep must be a duration of at least 1s, not soon" "$(err --config "$T/vangnetd.conf")"
conf "log-level = loud"
expect_match "a bad choice" "$T/vangnetd.conf:1: log-level must be error, warn, info or debug, not loud" "$(err --config "$T/vangnetd.conf")"
conf "test-clock = maybe"
expect_match "a bad flag" "$T/vangnetd.conf:1: test-clock must be yes or no, not maybe" "$(err --config "$T/vangnetd.conf")"
conf "metrics = 192.0.2.1:9477"
expect_match "metrics only on loopback" "--metrics 192.0.2.1:9477 is not a loopback address" "$(err --config "$T/vangnetd.conf")"
conf "sweep = 2s" "" "sweep = 3s"
expect_match "a key set twice" "$T/vangnetd.conf:3: sweep is already set on line 1" "$(err --config "$T/vangnetd.conf")"
conf "[server]" "sweep = 2s"
expect_match "a section" "$T/vangnetd.conf:1: sections are not used" "$(err --config "$T/vangnetd.conf")"
conf "sweep 2s"
expect_match "a line without =" "$T/vangnetd.conf:1: not a key = value line" "$(err --config "$T/vangnetd.conf")"
expect_match "a missing file" "cannot read the settings file $T/missing.conf" "$(err --config "$T/missing.conf")"
expect_match "a bad --log-level" "^2 vangnetd: --log-level must be error, warn, info or debug, not 7" "$(err --log-level 7)"
expect_match "a --metrics that is not an address" "--metrics must be HOST:PORT" "$(err --metrics localhost)"
check "nothing was started: no endpoint written" test ! -e "$STATE/endpoint"

step "the file's values apply; the command line wins"
conf "max-connections = 7" "send-queue = 9"
server_start --config "$T/vangnetd.conf" --send-queue 11
check "max-connections from the file" log_has "accepting at most 7 connections; at most 11 replies"
server_stop

step "the example file starts a server, and the shipped one is that file"
"$VANGNETD" config-example > "$T/example.conf"
keys=$(grep -cE '^#[a-z-]+ = ' "$T/example.conf")
opts=$("$VANGNETD" --help | grep -cE '^         --[a-z-]+')
expect_eq "every option of run is a key of the example" "$opts" "$keys"
: > "$SERVER_LOG"
server_start --config "$T/example.conf"
server_stop
if [ -n "${VN_BUILD_DIR:-}" ]; then
    check "the file made at build time is config-example's output" cmp -s "$VN_BUILD_DIR/man/vangnetd.conf" "$T/example.conf"
fi
# Every key uncommented, at its default: the defaults parse as file values
# (keys with no default, shown as a placeholder like MIB, stay out).
sed -E 's/^#([a-z-]+) = /\1 = /' "$T/example.conf" | grep -vE '^(metrics|verbose|test-clock) = |= [A-Z]+$' > "$T/all.conf"
server_start --config "$T/all.conf"
server_stop

step "log levels: error is quiet, debug names each request and no id"
: > "$SERVER_LOG"
server_start --log-level error
CM=$(join cm casemanager)
server_stop
check "error level: no info line" bash -c "! grep -q ' info vangnetd: ' '$SERVER_LOG'"
: > "$SERVER_LOG"
server_start --log-level debug
vn cm case list >/dev/null
server_stop
check "info lines at debug level" log_has ' info vangnetd: ready'
check "debug lines name the request" log_has ' debug vangnetd: request case-list result=OK [0-9]+us'
check "no account id in the log" bash -c "! grep -q '$CM' '$SERVER_LOG'"
check "no 16+ hex digits in the log" bash -c "! grep -Eq '[0-9a-f]{16,}' '$SERVER_LOG'"
: > "$SERVER_LOG"
JOURNAL_STREAM=8:1 server_start
server_stop
check "under journald: the syslog priority first" log_has '^<6>ready'
check "under journald: no time stamp of its own" bash -c "! grep -q '^20' '$SERVER_LOG'"
finish
