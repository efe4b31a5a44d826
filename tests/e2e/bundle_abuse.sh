#!/usr/bin/env bash
# Key bundles cannot be used to drain someone's one-time prekeys: every
# bundle handed out spends one, so fetches are limited per (fetcher,
# target), 5 in a burst and then one every 12 s. A case member who fetches
# the participant's bundle over and over (vn_crafted, a registered device
# that speaks the wire itself) is refused with RATE and a retry time after
# the burst; the refused fetches spend no prekey (counted in the store);
# another member is not affected and still gets a one-time prekey, and an
# honest client still opens a session and is read.
. "$(dirname "$0")/lib.sh"
VN_CRAFTED=${VN_CRAFTED:-$(dirname "${VN_PROBE:?set VN_PROBE}")/vn_crafted}

step "start the server; a case with a participant"
server_init
server_start
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
prekeys() { db_count_prefix prekeys "$DOC"; }
BEFORE=$(prekeys)
check "the participant published one-time prekeys" test "$BEFORE" -ge 20

step "a buddy fetches the participant's bundle 30 times"
OUT=$("$VN_CRAFTED" bundles "$(invite buddy)" "$DOC" 30)
echo "$OUT" | sed -n '2,8p'
GOT=$(grep -c '^bundle prekey ' <<< "$OUT" || true)
REFUSED=$(grep -c '^RATE retry=' <<< "$OUT" || true)
expect_eq "the burst of 5 is served, each with a one-time prekey" 5 "$GOT"
expect_eq "the other 25 are refused as RATE" 25 "$REFUSED"
expect_match "the first refusal comes right after the burst" '^RATE' "$(sed -n 7p <<< "$OUT")"
expect_match "a refusal says why and when to retry" \
    '^RATE retry=[0-9]+: rate limit: too many key bundles of this account \(each spends one of its one-time prekeys\); retry after [0-9]+ ms' \
    "$(grep -m1 '^RATE' <<< "$OUT")"
RETRY=$(grep -m1 -o '^RATE retry=[0-9]*' <<< "$OUT" | cut -d= -f2)
check "the retry time is about the 12 s a fetch takes to earn back ($RETRY ms)" \
    test "$RETRY" -gt 10000 -a "$RETRY" -le 12000
expect_eq "only the 5 served fetches spent prekeys" $((BEFORE - 5)) "$(prekeys)"

step "another member is not affected"
OUT2=$("$VN_CRAFTED" bundles "$(invite buddy)" "$DOC" 1)
expect_match "a second buddy's first fetch gets a one-time prekey" '^bundle prekey [0-9]+$' "$(tail -1 <<< "$OUT2")"
expect_eq "which spent one" $((BEFORE - 6)) "$(prekeys)"
join bud2 buddy >/dev/null
vn bud2 send "$DOC" "a session after the flood" >/dev/null
wait_inbox doc 'a session after the flood'
pass "an honest buddy opens a session and is read"
check "the participant still holds prekeys" test "$(prekeys)" -ge $((BEFORE - 7))
finish
