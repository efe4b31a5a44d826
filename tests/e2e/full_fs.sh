#!/usr/bin/env bash
# A full filesystem, not a full map: the server's state directory is a
# small tmpfs while the LMDB map may grow far beyond it, so a commit fails
# on the disk itself (ENOSPC or EIO part-way through its writes). The sender
# is told to try again, keeps what was refused in its outbox, the server
# keeps running (and a restart on the full disk works or refuses clearly),
# then the recipient reads what it can (its acks may fail too: deleting needs
# pages), and once there is room (a remount makes the tmpfs bigger: it
# cannot be unmounted under a running server) everything arrives exactly
# once.
# Needs root (or CAP_SYS_ADMIN) for the mount: otherwise it is skipped
# (exit 77, which ctest reports as skipped).
. "$(dirname "$0")/lib.sh"

FS_MIB=2     # the filesystem
MAP_MIB=64   # the map LMDB may grow to: far beyond the filesystem
LIMIT=1000   # the disk must fill within this many messages
AFTER_FULL=5 # messages offered once it is full
PREFILL=40   # messages that surely fit (about 90 do)
# Each message carries PAD (about 12 KiB): few calls fill the disk.
PAD=$(printf "%0*d" 12000 0 | tr 0 x)
MOUNTED=

# The tmpfs is unmounted before lib.sh's cleanup removes $T, with the
# server stopped first (a mounted directory cannot be removed).
fs_cleanup() {
    local rc=$?
    trap - ERR
    set +e
    if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; fi
    if [ -n "$MOUNTED" ]; then umount "$STATE" || umount -l "$STATE"; fi
    (exit "$rc")
    cleanup
}
trap fs_cleanup EXIT

step "mount a ${FS_MIB} MiB tmpfs as the state directory"
mkdir -m 0700 "$STATE"
if ! WHY=$(mount -t tmpfs -o "size=${FS_MIB}m,mode=0700" tmpfs "$STATE" 2>&1); then
    echo "skipped: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): $WHY"
    exit 77
fi
MOUNTED=1

step "start a server whose map (${MAP_MIB} MiB) is larger than its disk"
server_init
QUOTAS="--quota-sender-envelopes 1000000 --quota-recipient-envelopes 1000000"
QUOTAS+=" --quota-sender-bytes 1024 --quota-recipient-bytes 1024"
# shellcheck disable=SC2086
server_start --map-size "$MAP_MIB" $NOLIMITS $QUOTAS
new_case
DOC=$(join doc participant)
join bud buddy >/dev/null

step "flood the recipient until the disk is full"
# One `vangnet send` a message, so the test knows exactly what the sender
# was told: exit 0 is "sent" (stored on the server), exit 3 is "queued;
# will retry" (kept in its outbox). Big messages fill the disk in few calls.
# The first PREFILL surely fit: in one call (all of them sent, exit 0).
OUT=$(for ((i = 1; i <= PREFILL; i++)); do printf 'fs-%05d %s\n' "$i" "$PAD"; done |
    vn bud --json --timeout 5 send "$DOC" --stdin)
expect_match "the first $PREFILL are sent in one call" "\"sent\": $PREFILL," "$OUT"
SENT=$PREFILL
QUEUED=0
N=$PREFILL
while [ "$N" -lt "$LIMIT" ] && [ "$QUEUED" -lt "$AFTER_FULL" ]; do
    N=$((N + 1))
    RC=0
    ERR=$(vn bud --timeout 5 send "$DOC" "$(printf 'fs-%05d %s' "$N" "$PAD")" 2>&1) || RC=$?
    case $RC in
    0)
        [ "$QUEUED" -eq 0 ] || { fail "message $N was sent while $QUEUED were queued before it"; break; }
        SENT=$N ;;
    3)
        QUEUED=$((QUEUED + 1))
        [ "$QUEUED" -eq 1 ] && echo "   first refusal at message $N: $(grep -v WARNING <<< "$ERR")"
        expect_match "message $N is kept: $QUEUED in the outbox" "vangnet: $QUEUED messages? queued; will retry" "$ERR" ;;
    *)
        fail "message $N: exit $RC, neither sent nor queued: $ERR"; break ;;
    esac
done
echo "   $SENT sent, $QUEUED queued; $(df -k "$STATE" | awk 'NR==2 {print $3 " KiB of " $2 " KiB used"}')"
check "the disk filled (within $LIMIT messages)" test "$QUEUED" -eq "$AFTER_FULL"
check "the disk took some ($SENT) before it filled" test "$SENT" -gt 20
grep -E 'commit failed' "$SERVER_LOG" | sed 's/^[^ ]* //' | sort | uniq -c | sed 's/^/   /'
check "the server ran out of disk (a commit failed), not of map" log_has 'commit failed: (storage is full|input/output error)'
check "the server still runs" kill -0 "$SERVER_PID"
expect_eq "every message the sender was told is sent is stored" "$SENT" "$(db_count mailbox)"
COUNT=$((SENT + QUEUED))

HELD=$SENT

step "a flush on the full disk loses nothing"
RC=0
ERR=$(vn bud --timeout 5 send "$DOC" --stdin </dev/null 2>&1) || RC=$?
expect_eq "still refused for now (exit 3)" 3 "$RC"
expect_match "still queued, not dropped" "vangnet: ${QUEUED} messages? queued; will retry" "$ERR"
check "the server still runs" kill -0 "$SERVER_PID"

step "restart the server on the full disk"
server_stop
RC=0
rm -f "$STATE/endpoint"
# shellcheck disable=SC2086
"$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen "$ENDPOINT" \
    --map-size "$MAP_MIB" $NOLIMITS $QUOTAS 2>>"$SERVER_LOG" &
SERVER_PID=$!
rm -f "$T/restart"
restarted() {
    if [ -s "$STATE/endpoint" ]; then echo up > "$T/restart"; return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        RC=0; wait "$SERVER_PID" || RC=$?; SERVER_PID=; echo "refused $RC" > "$T/restart"; return 0
    fi
    return 1
}
wait_for "the restart to listen or to refuse" 20 restarted
echo "   restart on the full disk: $(cat "$T/restart")"
if [ -n "$SERVER_PID" ]; then
    pass "the server restarts on the full disk"
    expect_eq "and still holds what it stored" "$HELD" "$(db_count mailbox)"
    RC=0
    ERR=$(vn bud --timeout 5 send "$DOC" --stdin </dev/null 2>&1) || RC=$?
    expect_eq "it still refuses for now (exit 3)" 3 "$RC"
    expect_match "and the outbox still holds all $QUEUED" "vangnet: ${QUEUED} messages? queued" "$ERR"
else
    check "a refused restart exits non-zero ($RC)" test "$RC" -ne 0
    expect_match "and says why in its log" 'space|full|No space|cannot' "$(tail -n 5 "$SERVER_LOG")"
fi

step "on the full disk the recipient reads what it can"
# Deleting needs new pages too (LMDB copies on write), so the acks may
# fail as well: what the recipient was shown stays saved on its side, and
# when it comes again it is only acknowledged, not shown twice.
RC=0
OUT=$(vn doc --timeout 5 inbox 2>&1) || RC=$?
printf '%s\n' "$OUT" | sed -n "s/.*: \(fs-[0-9]*\) $PAD\$/\1/p" > "$T/got1"
echo "   read $(wc -l < "$T/got1") (exit $RC): $(grep -v -e WARNING -e 'fs-' <<< "$OUT" | tail -n 1)"
check "the recipient is shown messages or told to try later (exit 0 or 3)" test "$RC" -eq 0 -o "$RC" -eq 3
check "the server still runs" kill -0 "$SERVER_PID"
HELD=$(db_count mailbox)
check "what it did not acknowledge is still stored ($HELD)" test "$HELD" -ge $((SENT - $(wc -l < "$T/got1")))

step "grow the filesystem to 16 MiB: room again"
mount -o remount,size=16m "$STATE"
# shellcheck disable=SC2086
[ -n "$SERVER_PID" ] || server_start --map-size "$MAP_MIB" $NOLIMITS $QUOTAS
check "the server runs" kill -0 "$SERVER_PID"
expect_eq "what was stored before is still stored" "$HELD" "$(db_count mailbox)"
vn bud send "$DOC" --stdin </dev/null
expect_eq "the outbox drained into the store" $((HELD + QUEUED)) "$(db_count mailbox)"

step "the recipient reads everything exactly once, in order"
OUT=$(vn doc inbox)
# What it was shown on the full disk, then the rest: each once, in order.
{ cat "$T/got1"; printf '%s\n' "$OUT" | sed -n "s/.*: \(fs-[0-9]*\) $PAD\$/\1/p"; } > "$T/got"
expect_eq "the recipient reads every message" "$COUNT" "$(wc -l < "$T/got")"
expect_eq "no duplicates" "$COUNT" "$(sort -u "$T/got" | wc -l)"
seq -f "fs-%05g" 1 "$COUNT" > "$T/want"
check "in order, without gaps" cmp -s "$T/want" "$T/got"
comm -23 "$T/want" <(sort "$T/got") > "$T/missing"
if [ -s "$T/missing" ]; then echo "   missing: $(wc -l < "$T/missing"), from $(head -n 1 "$T/missing") to $(tail -n 1 "$T/missing")"; fi
# The buddy takes the participant's delivery receipts (client-cli/receipt.h).
expect_eq "receipts are not shown" "no new messages" "$(vn bud inbox)"
expect_eq "nothing waits anywhere" 0 "$(db_count mailbox)"
check "the server never crashed" kill -0 "$SERVER_PID"
finish
