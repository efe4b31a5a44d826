#!/usr/bin/env bash
# Key upkeep: a new device publishes 100 one-time prekeys; each first
# contact uses one up; below 10 the device refills; the signed prekey
# rotates after 7 days (server time) and old and new sessions keep working.
. "$(dirname "$0")/lib.sh"

step "a new device publishes 100 one-time prekeys"
server_init
server_start --test-clock
new_case
DOC=$(join doc participant)
expect_eq "join publishes 100 one-time prekeys" 100 "$(db_count_prefix prekeys "$DOC")"

step "91 first contacts use up 91 prekeys"
# 91 people each fetch the participant's bundle once (first contact). A case
# holds at most 63 members, so most leave again after their first contact.
for i in $(seq 1 91); do
    P=$(join "p$i" buddy)
    vn "p$i" verify "$DOC" >/dev/null
    [ "$i" -gt 2 ] && [ "$i" -lt 91 ] && vn "$CMP" case remove "$CASE" "$P" >/dev/null
done
expect_eq "each first contact used one prekey" 9 "$(db_count_prefix prekeys "$DOC")"
expect_match "a bundle fetch also learns the safety number" '^[0-9 ]+$' \
    "$(vn p1 verify "$DOC" | sed -n 2p)"

step "below 10 the device refills"
spk() { store_dump -s keys | awk -v p=" $DOC" 'f == 1 {print; f = 2} index($0, p) == 1 && !f {f = 1}'; }
SPK_BEFORE=$(spk)
vn doc inbox >/dev/null
expect_eq "below 10 the device refills to 100" 100 "$(db_count_prefix prekeys "$DOC")"
SPK_SAME=$(spk)
expect_eq "the signed prekey stays while it is young" "$SPK_BEFORE" "$SPK_SAME"

# p1 already has a session; p2 starts its session after the rotation.
step "the signed prekey rotates after 7 days; old and new sessions work"
vn p1 send "$DOC" "before rotation"
server_clock advance 8d
vn doc inbox >/dev/null
SPK_AFTER=$(spk)
check "the keys record was found" test -n "$SPK_BEFORE"
check "after 8 days the signed prekey was rotated" test "$SPK_BEFORE" != "$SPK_AFTER"
vn p1 send "$DOC" "old session after rotation"
vn p92 join "$(invite buddy)" >/dev/null
vn p92 send "$DOC" "new session after rotation"
OUT=$(vn doc --json inbox)
expect_match "an old session still delivers" 'old session after rotation' "$OUT"
expect_match "a new session uses the new signed prekey" 'new session after rotation' "$OUT"
finish
