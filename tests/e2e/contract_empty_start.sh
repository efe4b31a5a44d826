#!/usr/bin/env bash
# A ContractSet whose start_date is on the wire but empty (bytes 1a 00: the
# honest client never sends it, protobuf-c never packs it) is taken as "no
# start given": a first contract starts today, a new version keeps the start
# of the one before. Both paths replace the empty string the unpacker
# allocated, which the server once leaked; under AddressSanitizer with
# detect_leaks=1 (CI's second run) a leak fails this test at the server's
# exit (finish and the last check look for the report in its log).
. "$(dirname "$0")/lib.sh"
VN_CRAFTED=${VN_CRAFTED:-$(dirname "${VN_PROBE:?set VN_PROBE}")/vn_crafted}

step "start the server on the test clock"
server_init
server_start --test-clock
server_clock set 2027-03-10T09:00    # 10:00 in Amsterdam

step "a casemanager's device sets a contract with an explicitly empty start date, twice"
OUT=$("$VN_CRAFTED" empty-start "$(invite casemanager)")
echo "$OUT"
expect_match "version 1 is accepted, starting today" '^accepted version 1 start 2027-03-10$' \
    "$(tail -2 <<< "$OUT" | head -1)"
expect_match "version 2 is accepted, keeping the start" '^accepted version 2 start 2027-03-10$' \
    "$(tail -1 <<< "$OUT")"

step "again in three more cases"
for i in 1 2 3; do
    N=$("$VN_CRAFTED" empty-start "$(invite casemanager)" | grep -c '^accepted version [12] start 2027-03-10$' || true)
    expect_eq "case $i: both versions accepted" 2 "$N"
done
server_stop
check "no leak or sanitizer report in the server log" \
    bash -c "! grep -Eq 'LeakSanitizer|AddressSanitizer|runtime error:' '$SERVER_LOG'"
finish
