#!/usr/bin/env bash
# Nothing lost when the server dies: bench_relay (tests/bench/relay.c)
# relays messages between ten clients while the server is killed with
# SIGKILL three times and restarted on the same store and endpoint; the
# clients reconnect, subscribe again, fetch and resend what was never
# confirmed (same ids: the store de-duplicates). Every message must arrive
# exactly once and every mailbox end empty; the benchmark checks that and
# exits non-zero otherwise. Its figures are printed, never asserted.
. "$(dirname "$0")/lib.sh"
: "${VN_BENCH_RELAY:?set VN_BENCH_RELAY to the bench_relay binary}"

step "relay 2000 messages while the server is killed -9 three times"
RC=0
OUT=$("$VN_BENCH_RELAY" --vangnetd "$VANGNETD" --tmpdir "$T" --keep --clients 10 \
    --messages 2000 --latency-messages 100 --kill9 3 2>"$T/bench.err") || RC=$?
sed 's/^/   /' <<< "$OUT"
# Its complaints (and the server log's tail) only when it failed.
if [ "$RC" -ne 0 ]; then sed 's/^/   /' "$T/bench.err" | tail -n 40; fi
expect_eq "bench_relay exits 0" 0 "$RC"
expect_match "the server was killed and restarted three times" 'kill -9 +3 of 3 restarts' "$OUT"
expect_match "every message delivered once" 'delivered +2100 of 2100' "$OUT"
expect_match "no duplicate, nothing left stored" 'duplicates +0 +corrupt/misrouted 0 +left stored 0' "$OUT"
expect_match "the benchmark's own verdict" '^result: OK, every message delivered exactly once' "$OUT"
# The servers' log (the benchmark kept its directory): a sanitizer build
# must report nothing in any of the four runs.
SERVER_LOG=$(ls "$T"/bench_relay.*/vangnetd.log)
check "the servers logged four starts on one endpoint" test "$(grep -c 'listening on' "$SERVER_LOG")" -eq 4
finish
