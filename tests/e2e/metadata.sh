#!/usr/bin/env bash
# Walks every LMDB database of a server store that has seen every kind of
# record, and fails on any field docs/METADATA.md does not list. Then shows
# the walk can fail: an undocumented database, and a record of another shape.
# The store is sealed (hashed keys, sealed values), so the walk reads a copy
# made in the clear with the store key (vn_storetool copy); on disk there
# are the same databases and nothing else.
. "$(dirname "$0")/lib.sh"
: "${VN_STORECHECK:?set VN_STORECHECK}" "${VN_METADATA:?set VN_METADATA}"

step "a store that has seen every kind of record"
server_init
server_start --test-clock --sweep 1s
server_clock set 2031-03-03T08:00
CM=$(join cm casemanager)
new_case cm
DOC=$(join doc participant)
BUD=$(join bud buddy)
join nst naaste >/dev/null
join ml medical-lead >/dev/null
invite buddy >/dev/null                      # an unredeemed case invite
invite admin >/dev/null                      # an unredeemed staff invite
server_clock advance 1m
vn cm send "$DOC" "1:1, waiting in the mailbox"
vn bud send --case "$CASE" "team chat, waiting in the mailboxes"
vn bud case show "$CASE" >/dev/null           # an audit entry
vn ml case show "$CASE" >/dev/null
vn cm contract set --case "$CASE" >/dev/null   # a contract, signed
vn doc contract sign --case "$CASE" >/dev/null
vn doc checkin >/dev/null                      # a check-in and a draw
vn cm contact record --case "$CASE" --kind call >/dev/null
vn cm absence add --case "$CASE" 2031-04-01 2031-04-03 >/dev/null
server_clock advance 2d   # the scheduler closes days, sends notices
wait_for "the scheduler to queue notices" 20 db_count_at_least notices 1
vn cm quiet-hours 00:00-23:59 >/dev/null                # quiet hours, and a held notice
vn bud signal E01 --note "stored nowhere" >/dev/null   # an alert
vn cm disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null  # one attestation
vn ml disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null  # a disclosure
vn cm disclosure attest --case "$CASE" --safety-at-risk --no-action-taken >/dev/null  # a new attestation
join intake intake >/dev/null                            # a first-contact code and a visitor
vn visitor join "$("$VANGNETD" intake-code --state "$STATE" --store-key "$STORE_KEY")" >/dev/null
vn visitor intake write "first contact" >/dev/null
join fac facilitator >/dev/null                # an intervision group, a member, an open invite
GRP=$(vn fac --json group new --cap 5 | sed -E 's/.*"group": "([0-9a-f]{32})".*/\1/')
vn doc join "$(vn fac group invite "$GRP")" >/dev/null
vn fac group invite "$GRP" >/dev/null

step "walk every database against docs/METADATA.md"
store_copy "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) || true
echo "$OUT"
expect_match "every database and record is as documented" '^36 databases, 0 problems$' "$(printf '%s' "$OUT" | tail -n1)"
for db in meta invites accounts devices keys prekeys mailbox msgindex cases members memberof cmcases audit \
    contracts events absences sched notices alerts attest disclosures quiet deferred mailtail alertsbycase sendquota alertslevel alertbuckets intakecodes visitors groups gmembers gmemberof ginvites; do
    expect_match "$db was walked and has records" "ok: $db: [1-9][0-9]* records" "$OUT"
done
# opnonces is written only in cluster mode (cluster_op_replay.sh): walked, empty here.
expect_match "opnonces was walked" "ok: opnonces: 0 records" "$OUT"

expect_eq "on disk: the same 36 databases, no other" \
    "$(mdb_dump -l "$T/plain" | sort | tr '\n' ' ')" "$(mdb_dump -l "$STATE" | sort | tr '\n' ' ')"

# The walk fails on what is not documented.
step "the walk fails on what is not documented"
server_stop
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n name\n Dr. Jansen\nDATA=END\n' > "$T/rogue.dump"
mdb_load -s names -T -f "$T/rogue.dump" "$T/plain" 2>/dev/null || mdb_load -s names -f "$T/rogue.dump" "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) && RC=0 || RC=$?
expect_eq "an undocumented database fails the walk" 1 "$RC"
expect_match "and is named" 'database names is not listed' "$OUT"
printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 00112233445566778899aabbccddeeff\n 0101\nDATA=END\n' > "$T/odd.dump"
mdb_load -s cases -f "$T/odd.dump" "$T/plain"
OUT=$("$VN_STORECHECK" "$T/plain" "$VN_METADATA" 2>&1) || true
expect_match "a record of another shape is named" 'cases: a value does not match' "$OUT"
# Nested values are inventoried too: a notice's fields must each be listed.
# (Patterns, not the whole list: the list grows with new notice fields.)
sed 's/notice{kind,item,case_id,date,/notice{kind,item,case_id,/' \
    "$VN_METADATA" > "$T/short.md"
OUT=$("$VN_STORECHECK" "$T/plain" "$T/short.md" 2>&1) || true
expect_match "a field inside a notice that is not listed is named" \
    'mailbox: stores field Envelope.notice.date, which docs/METADATA.md does not list' "$OUT"
sed 's/,notice{[^}]*})/,notice)/' "$VN_METADATA" > "$T/flat.md"
OUT=$("$VN_STORECHECK" "$T/plain" "$T/flat.md" 2>&1) || true
expect_match "a nested value listed without its fields is named" \
    'Envelope.notice holds a nested value docs/METADATA.md does not describe' "$OUT"
finish
