#!/usr/bin/env bash
# Format versions: a server store and a client profile written by the
# release before format versions (tests/data/format0, made by
# tests/data/make-old-store.sh from commit c4b1bf8) are moved forward when
# this build opens them, after a compacted copy of each is kept; the server
# then serves them, indexes the two alerts raised before the alert indexes
# existed (the casemanager lists them), and the old profile reads the
# messages queued for it.
# A store or profile of a newer format than this build knows is refused.
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../data/format0" && pwd)
export VANGNET_PASSPHRASE="format zero passphrase"
# err CMD...: the command's stderr; the command must fail with exit 1.
err() { local out rc=0; out=$("$@" 2>&1 >/dev/null) || rc=$?; [ "$rc" -eq 1 ] || out="(exit $rc) $out"; tr '\n' ' ' <<< "$out"; }
srv() { "$VANGNETD" "$1" --state "$STATE" --store-key "$STORE_KEY" "${@:2}"; }
kept() { find "$1" -maxdepth 1 -name 'data-format0-*.mdb' | wc -l; }

step "the stores of the previous release"
cp -r "$DATA/state" "$STATE"
cp "$DATA/store.key" "$STORE_KEY"
cp -r "$DATA/profile" "$T/p"
cp -r "$DATA/cm" "$T/cm"
chmod 700 "$STATE" "$T/p" "$T/cm"
chmod 600 "$STORE_KEY" "$STATE/server.key" "$T/p/profile.key" "$T/cm/profile.key"
P=$(cat "$DATA/participant")
expect_match "vangnetd status reads it as format 0, without changing it" 'format 0,' "$(srv status)"
expect_eq "status kept no copy" 0 "$(kept "$STATE")"

step "the server moves its store forward and serves it"
# The fixture's profiles pin the address its server had, ipc://@vangnet-format0:
# a fixed name would collide when two runs share a machine. This run's server
# gets a name of its own ($T is unique), and the profiles are pointed at it
# without being opened as vangnet would, so they stay of format 0 until the
# client first opens them below.
ENDPOINT=ipc://@vangnet-upgrade-${T##*/}
for prof in p cm; do "${VN_PROFILETOOL:?set VN_PROFILETOOL}" set-endpoint "$T/$prof" "$ENDPOINT"; done
# The queued messages were stored when the data was made: a long mail TTL
# keeps them from expiring as the data ages.
server_start --mail-ttl 3650d
check "it says so" log_has "moved from format 0 to 1; the store as it was is kept in $STATE/data-format0-"
check "it indexes the two alerts stored before the alert indexes existed" \
    log_has "indexed 2 stored alerts \\(stored before their indexes existed\\)"
check "it seals the old release's plain server.key (the profiles below still pin its server.pub)" \
    log_has "$STATE/server.key held the server's secret key in the clear \\(an older release\\): now sealed under the store key"
check "server.key holds the old secret no more" bash -c "! grep -qF -- '$(head -c 40 "$DATA/state/server.key")' '$STATE/server.key'"
expect_eq "one copy is kept" 1 "$(kept "$STATE")"
STATUS=$(srv status --json)
expect_match "status: format 1, up" '"running": true.*"format": 1,' "$STATUS"
expect_match "status: the queued messages, three for the participant and what the two signals sent the casemanager" '"queued": 7,' "$STATUS"
expect_match "status: the two alerts, a concern and a crisis" '"alerts": \{"concern": 1, "urgent": 0, "crisis": 1\}' "$STATUS"
expect_match "status: three accounts" '"accounts": 3,' "$STATUS"

step "the old profile is moved forward and reads its queued messages"
OUT=$(vn p inbox 2>"$T/p.err")
expect_match "the client says it moved the profile" "profile $T/p moved from format 0 to 1" "$(cat "$T/p.err")"
expect_eq "one copy of the profile is kept" 1 "$(kept "$T/p")"
expect_match "the first queued message" 'format zero: first queued message' "$OUT"
expect_match "the second" 'format zero: second queued message' "$OUT"
expect_match "the buddy's" 'format zero: a word from the buddy' "$OUT"
expect_eq "whoami is the participant of the old profile" "$P" "$(vn p whoami 2>/dev/null | grep -Eo '[0-9a-f]{32}' | head -1)"
expect_eq "a second open keeps no second copy" 1 "$(kept "$T/p")"

step "the casemanager lists the alerts raised before the upgrade"
ALERTS=$(vn cm alerts 2>/dev/null)
echo "$ALERTS"
CASE0=$(cat "$DATA/case")
expect_eq "two alerts" 2 "$(grep -Ec "case ${CASE0:0:8}" <<< "$ALERTS")"
expect_match "the buddy's crisis first" "^[0-9a-f]{8,32} +signal +crisis .*case ${CASE0:0:8}" "$(sed -n 1p <<< "$ALERTS")"
expect_match "then the participant's concern" "^[0-9a-f]{8,32} +signal +concern .*case ${CASE0:0:8}" "$(grep -E "^[0-9a-f]{8,32}" <<< "$ALERTS" | sed -n 2p)"

step "a restart keeps no second copy"
server_stop
server_start --mail-ttl 3650d
expect_eq "still one copy" 1 "$(kept "$STATE")"
expect_eq "the alerts were indexed once, not again at the restart" 1 "$(grep -c "indexed 2 stored alerts" "$SERVER_LOG")"
server_stop

step "the kept copy is the store as it was"
mkdir "$T/was"
cp "$STATE"/data-format0-*.mdb "$T/was/data.mdb"
expect_match "a look at the copy finds format 0" 'format 0,' \
    "$("$VANGNETD" status --state "$T/was" --store-key "$STORE_KEY")"

step "a store of a newer format is refused"
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 666f726d6174\n 00000002\nDATA=END\n' > "$T/newer.dump"
store_load meta < "$T/newer.dump"
expect_match "run refuses it, naming both formats" \
    "the store in $STATE is of format 2, newer than this vangnetd .* reads \\(format 1\\): run the vangnetd that wrote it" \
    "$(err srv run --listen 'tcp://127.0.0.1:*')"
expect_match "so does invite" 'is of format 2, newer' "$(err srv invite --role admin --endpoint tcp://127.0.0.1:1)"
expect_match "and backup" 'is of format 2, newer' "$(err srv backup "$T/bk")"
expect_match "and status" 'is of format 2, newer' "$(err srv status)"
expect_match "and a restore from it" 'is of format 2, newer than this vangnetd' \
    "$("$VANGNETD" restore --state "$T/s3" --store-key "$STORE_KEY" "$STATE" 2>&1 >/dev/null || true)"
check "which made no state directory" test ! -e "$T/s3"
check "nothing was kept or moved" test "$(kept "$STATE")" -eq 1

step "a profile of a newer format is refused"
"${VN_PROFILETOOL:?set VN_PROFILETOOL}" set-format "$T/p" 2
expect_match "the client refuses it, naming both formats" \
    "profile $T/p is of format 2, newer than this vangnet reads \\(format 1\\)" "$(err vn p whoami)"
expect_eq "and keeps no copy" 1 "$(kept "$T/p")"
finish
