#!/usr/bin/env bash
# The scheduler reaches every case under contract, however many: 5,000
# cases (more than the 4,096 a sweep once took, which left the rest without
# draws, missed check-ins or notices) are written into the stopped
# server's store by vn_schedseed; after the test clock moves three days on,
# every case has its days closed, its missed check-ins recorded and its
# casemanager told, and the server answers clients meanwhile.
. "$(dirname "$0")/lib.sh"

SEED=$(dirname "${VN_STORETOOL:?set VN_STORETOOL}")/vn_schedseed
N=5000
START=2027-01-01

step "seed $N cases under contract from $START"
server_init
"$SEED" "$STORE_KEY" "$STATE" "$N" "$START"
expect_eq "the store holds $N cases" "$N" "$(db_count cases)"
expect_eq "no day is closed yet" 0 "$(db_count sched)"

step "start on the test clock, three days in"
server_start --test-clock --sweep 1s
# 07:00 UTC is 08:00 in Amsterdam: today's check-in window is open, so the
# days up to yesterday close (2027-01-01 to 2027-01-03).
server_clock set 2027-01-04T07:00
LAST=$(epoch_day 2027-01-03)

# sched_at DAY: how many cases the scheduler has closed through DAY. The
# record is the day as 4 big-endian bytes: as 8 hex digits, text order is
# number order.
sched_at() {
    store_dump -s sched | awk -v d="$(printf %08x "$1")" '/^HEADER=END/{h=1;next} /^DATA=END/{h=0}
        h && /^ / {n++; if (n % 2 == 0 && substr($1, 1, 8) >= d) c++} END{print c+0}'
}
all_closed() { [ "$(sched_at "$LAST")" -eq "$N" ]; }

step "every case is scheduled"
# The server answers while the pass runs (a client's call is one loop turn).
join cm casemanager >/dev/null
check "a client is served during the pass" vn cm whoami
wait_for "the scheduler to close 2027-01-03 for all $N cases" 120 all_closed
expect_eq "every case has its days closed" "$N" "$(sched_at "$LAST")"
# events: case|day|kind; every case got its missed check-ins (and draws).
CASES_WITH_EVENTS=$(store_dump -s events | awk '/^HEADER=END/{h=1;next} /^DATA=END/{h=0}
    h && /^ / {n++; if (n % 2 == 1) print substr($1, 1, 32)}' | sort -u | wc -l)
expect_eq "every case has its missed check-ins recorded" "$N" "$CASES_WITH_EVENTS"
# Yesterday's missed check-in is news: each case's casemanager is told.
check "every casemanager was told of yesterday's missed check-in" db_count_at_least mailbox "$N"

finish
