#!/usr/bin/env bash
# A damaged, truncated, emptied or lost store: vangnetd and vangnet refuse it
# with a message naming the file and saying to restore a backup, exit 1, and
# never crash (LMDB alone would fault on a short file or a wild page number,
# and start an empty store on an empty file). A whole store still opens.
. "$(dirname "$0")/lib.sh"

# refused WHAT REGEX CMD...: CMD exits 1 (not by a signal) and its stderr
# matches REGEX.
refused() {
    local what=$1 re=$2 out rc=0
    shift 2
    out=$("$@" 2>&1 >/dev/null) || rc=$?
    expect_eq "$what: exit 1 (not a crash)" 1 "$rc"
    expect_match "$what: says why" "$re" "$(tr '\n' ' ' <<< "$out")"
}
srv() { "$VANGNETD" "$1" --state "$STATE" --store-key "$STORE_KEY" "${@:2}"; }
run_srv() { timeout 20 "$VANGNETD" run --state "$STATE" --store-key "$STORE_KEY" --listen 'tcp://127.0.0.1:*'; }
# overwrite FILE OFFSET COUNT: COUNT random bytes at OFFSET, in place.
overwrite() { head -c "$3" /dev/urandom | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# compact DIR: the store in DIR without free pages, so that every page but
# the two meta pages is one LMDB reads (a damaged page is then a used one).
compact() { rm -rf "$T/compact" && mkdir "$T/compact" && mdb_copy -c "$1" "$T/compact" && mv "$T/compact/data.mdb" "$1/data.mdb" && rm -f "$1/lock.mdb"; }

step "a server with accounts and a queued message, and a client profile"
server_init
server_start
new_case
P=$(join p participant)
for i in $(seq 1 6); do vn cm send "$P" "message $i: $(head -c 3000 /dev/zero | tr '\0' x)" >/dev/null; done
server_stop
compact "$STATE"
compact "$T/cm"
cp "$STATE/data.mdb" "$T/server.good"
cp "$T/cm/data.mdb" "$T/client.good"
PAGES=$(( $(stat -c %s "$T/server.good") / 4096 ))
CPAGES=$(( $(stat -c %s "$T/client.good") / 4096 ))
echo "server store: $PAGES pages, client store: $CPAGES pages"
check "the server store has pages beyond its meta pages" test "$PAGES" -ge 6
check "the client store too" test "$CPAGES" -ge 6
reset_stores() { cp "$T/server.good" "$STATE/data.mdb"; cp "$T/client.good" "$T/cm/data.mdb"; rm -f "$STATE/lock.mdb" "$T/cm/lock.mdb"; }

step "the whole stores open"
reset_stores
check "vangnetd status reads the compacted store" srv status >/dev/null
check "the client reads its compacted profile" vn cm whoami >/dev/null

# damage NAME HOW REGEX: damages both stores with HOW FILE PAGES, then
# every server command and the client must refuse them.
damage() {
    local name=$1 how=$2 re=$3
    step "$name"
    reset_stores
    "$how" "$STATE/data.mdb" "$PAGES"
    "$how" "$T/cm/data.mdb" "$CPAGES"
    refused "vangnetd run on a $name store" "$STATE/data.mdb.*$re.*restore it from a backup" run_srv
    refused "vangnetd status on a $name store" "$STATE/data.mdb.*$re" srv status
    # The other commands open the store the same way: tried once (the time
    # of a sanitizer build's run adds up).
    if [ "$name" = truncated ]; then
        refused "vangnetd invite on a $name store" "$STATE/data.mdb.*$re" srv invite --role admin --endpoint tcp://127.0.0.1:1
        refused "vangnetd backup of a $name store" "$STATE/data.mdb.*$re" srv backup "$T/bk-$name"
        check "the failed backup leaves nothing" test ! -e "$T/bk-$name"
    fi
    refused "vangnet on a $name profile" "$T/cm/data.mdb.*$re.*restore the profile directory from a backup" vn cm whoami
}
truncated() { truncate -s $(( ($2 / 2) * 4096 )) "$1"; }
emptied() { : > "$1"; }
meta_hit() { overwrite "$1" 16 64; overwrite "$1" 4112 64; }
# The newer meta page alone: LMDB reads both, so one is enough to refuse.
meta1_hit() { overwrite "$1" $(( 4096 + 136 )) 8; }
# root FILE: the page number of the main database's root in FILE's newer
# meta page (LMDB's layout: the transaction id at byte 144 of a meta page,
# the main database's root at byte 128): a page every open reads.
u8_at() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
root() {
    local m=0
    [ "$(u8_at "$1" $((4096 + 144)))" -gt "$(u8_at "$1" 144)" ] && m=4096
    u8_at "$1" $((m + 128))
}
root_garbled() { overwrite "$1" $(( $(root "$1") * 4096 )) 4096; }
root_header_hit() { overwrite "$1" $(( $(root "$1") * 4096 )) 16; }
damage truncated truncated 'truncated'
damage empty emptied 'empty \(0 bytes\)'
damage "meta-overwritten" meta_hit 'not an LMDB meta page'
damage "last-page-overwritten" meta1_hit 'damaged|truncated'
damage "root-page-overwritten" root_garbled 'damaged: page [0-9]+'
damage "page-header-overwritten" root_header_hit 'damaged: page [0-9]+'

step "a page in the middle overwritten"
# Every page of a compacted store is in use: a tree page (the walk refuses
# it) or part of a value (its seal does not open). Which one it is depends
# on the layout; either way nothing crashes, and a backup, which opens
# every record, refuses the store.
reset_stores
overwrite "$STATE/data.mdb" $(( (PAGES / 2) * 4096 )) 4096
overwrite "$T/cm/data.mdb" $(( (CPAGES / 2) * 4096 )) 4096
refused "vangnetd backup of a store with a page overwritten" "damaged: page [0-9]+|does not read back" srv backup "$T/bk-middle"
rc=0; srv status >/dev/null 2>&1 || rc=$?
check "vangnetd status does not crash (exit $rc)" test "$rc" -le 1
rc=0; vn cm whoami >/dev/null 2>&1 || rc=$?
check "vangnet does not crash (exit $rc)" test "$rc" -le 1

step "a lost store is never replaced by an empty one"
reset_stores
rm "$STATE/data.mdb" "$T/cm/data.mdb"
refused "vangnetd run without data.mdb" "no store in $STATE.*vangnetd init.*vangnetd restore" run_srv
check "and made none" test ! -e "$STATE/data.mdb"
refused "vangnetd invite without data.mdb" "no store in $STATE" srv invite --role admin --endpoint tcp://127.0.0.1:1
refused "vangnet with a key file but no store" "profile $T/cm has its key file but no store.*restore" vn cm whoami
check "and made none" test ! -e "$T/cm/data.mdb"

step "restored, both serve again"
reset_stores
server_start
wait_inbox p 'message 6:'
expect_eq "every queued message is there" 6 "$(grep -c 'message [0-9]*:' <<< "$INBOX")"
check "the client reads its profile" vn cm whoami >/dev/null
finish
