#!/usr/bin/env bash
# Makes tests/data/format0/: a server store and a client profile written by
# the release before format versions (commit c4b1bf8, format 0), for
# tests/e2e/upgrade.sh. Run it by hand from the repository (it needs git, the
# build dependencies and lmdb-utils); it builds that commit in a temporary
# git worktree, runs its vangnetd on the abstract socket
# ipc://@vangnet-format0 (which the profiles pin; upgrade.sh points them at
# an address of its own run with vn_profiletool set-endpoint),
# enrols a casemanager, a participant and a buddy, leaves three messages
# queued for the participant, and has the buddy and the participant raise a
# signal each (two alerts; the casemanager's profile is kept too, in cm/).
# The stores are compacted (mdb_copy -c) so the files stay small. store.key
# is a test key: it seals nothing else.
set -euo pipefail

OLD=c4b1bf8
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
OUT=$ROOT/tests/data/format0
EP=ipc://@vangnet-format0
W=$(mktemp -d /tmp/vn-format0.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    git -C "$ROOT" worktree remove --force "$W/src" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT

git -C "$ROOT" worktree add --detach "$W/src" "$OLD" >/dev/null
cmake -S "$W/src" -B "$W/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$W/build" -j2 --target vangnetd vangnet >/dev/null
D=$W/build/server/vangnetd
C=$W/build/client-cli/vangnet
export VANGNET_PASSPHRASE="format zero passphrase" VANGNET_INSECURE_TEST_KDF=1
vn() { local p=$1; shift; "$C" --profile "$W/$p" "$@"; }

"$D" init --state "$W/state" --store-key "$W/store.key" >/dev/null 2>&1
"$D" run --state "$W/state" --store-key "$W/store.key" --listen "$EP" 2>"$W/server.log" &
PID=$!
for _ in $(seq 100); do [ -s "$W/state/endpoint" ] && break; sleep 0.1; done
[ -s "$W/state/endpoint" ] || { cat "$W/server.log"; exit 1; }

vn cm join "$("$D" invite --state "$W/state" --store-key "$W/store.key" --role casemanager)" >/dev/null 2>&1
CASE=$(vn cm case new 2>/dev/null)
P=$(vn p join "$(vn cm invite --case "$CASE" --role participant 2>/dev/null)" 2>/dev/null)
vn b join "$(vn cm invite --case "$CASE" --role buddy 2>/dev/null)" >/dev/null 2>&1
vn cm send "$P" "format zero: first queued message" >/dev/null 2>&1
vn cm send "$P" "format zero: second queued message" >/dev/null 2>&1
vn b send "$P" "format zero: a word from the buddy" >/dev/null 2>&1
# Two alerts, stored before the alert indexes existed: the server indexes
# them when it first starts on the store (upgrade.sh lists them as the
# casemanager).
vn b signal X05 >/dev/null 2>&1
vn p signal E01 >/dev/null 2>&1
kill "$PID"
wait "$PID" || true
PID=

rm -rf "$OUT"
mkdir -p "$OUT/state" "$OUT/profile"
mdb_copy -c "$W/state" "$OUT/state"
mdb_copy -c "$W/p" "$OUT/profile"
mkdir "$OUT/cm"
mdb_copy -c "$W/cm" "$OUT/cm"
cp "$W/cm/profile.key" "$OUT/cm/"
cp "$W/state/server.key" "$W/state/server.pub" "$OUT/state/"
cp "$W/p/profile.key" "$OUT/profile/"
cp "$W/store.key" "$OUT/store.key"
printf '%s\n' "$P" > "$OUT/participant"
printf '%s\n' "$CASE" > "$OUT/case"
printf 'made by tests/data/make-old-store.sh from commit %s\n' "$(git -C "$ROOT" rev-parse "$OLD")" > "$OUT/SOURCE"
ls -l "$OUT" "$OUT/state" "$OUT/profile" "$OUT/cm"
