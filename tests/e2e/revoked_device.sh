#!/usr/bin/env bash
# A device whose account is deleted is refused on its next request, also on
# a connection it opened before and kept open: the server caches who is on
# each connection (server/peers.c) and must follow the store. vn_revoked
# (tests/e2e/revoked.c) joins with one key, is answered as registered
# (twice: the second from the cache), deletes the account on a second
# connection with the same key, and asks again on the first. A key that
# joins on an open connection is registered from its next request on.
. "$(dirname "$0")/lib.sh"
: "${VN_PROBE:?set VN_PROBE to the vn_probe binary}"
VN_REVOKED=${VN_REVOKED:-$(dirname "$VN_PROBE")/vn_revoked}

step "start the server; a case with a buddy's place"
server_init
server_start
new_case cm

step "join, delete on another connection, ask again on the first"
RC=0
OUT=$("$VN_REVOKED" "$(invite buddy)") || RC=$?
echo "$OUT"
expect_eq "vn_revoked ran every step" 0 "$RC"
expect_eq "before joining the key is unregistered" \
    "before-join: UNREGISTERED" "$(grep '^before-join:' <<< "$OUT")"
ACC=$(sed -n 's/^joined: //p' <<< "$OUT")
expect_match "the join made an account" '^[0-9a-f]{32}$' "$ACC"
expect_eq "the next request on the same connection is the account's" \
    "after-join: registered $ACC buddy" "$(grep '^after-join:' <<< "$OUT")"
expect_eq "and the one after" "again: registered $ACC buddy" "$(grep '^again:' <<< "$OUT")"
expect_eq "after the delete, the still open connection is refused" \
    "after-delete: UNREGISTERED" "$(grep '^after-delete:' <<< "$OUT")"

step "the server is still serving"
check "a registered client is served (case list)" vn cm case list
finish
