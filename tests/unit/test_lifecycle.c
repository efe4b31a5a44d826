/* Unit tests of the store's orchestration (vn_lifecycle) on a real LMDB:
 * redeeming invites, deleting an account and purging a closed case leave
 * no trace of the person or case in any table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/absences.h"
#include "vn/accounts.h"
#include "vn/alerts.h"
#include "vn/audit.h"
#include "vn/cases.h"
#include "vn/contracts.h"
#include "vn/disclosures.h"
#include "vn/events.h"
#include "vn/invites.h"
#include "vn/keys.h"
#include "vn/kv.h"
#include "vn/lifecycle.h"
#include "vn/mailbox.h"
#include "vn/quiet.h"
#include "vn/sched.h"
#include "vn/account.h"
#include "vn/frame.h"

#define NOW (1700000000000ULL)
#define DAY (86400000ULL)
#define TTL (7 * DAY)

/* Enrols a new account with role (into case_id, or NULL) and device key
 * byte dk; returns its id in account[]. */
static void enrol(vn_sstore *st, vn_role role, const uint8_t *case_id, uint8_t dk,
                  uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t secret[VN_INVITE_SECRET_LEN], key[VN_CURVE_KEY_LEN];
    vn_role got;
    memset(key, dk, sizeof key);
    assert_int_equal(vn_invites_create(st, role, case_id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 1, account, &got), VN_OK);
    assert_int_equal(got, role);
}

static void publish(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t ik[33] = {5}, spk[33] = {6}, sig[64] = {7}, pk[33] = {8};
    Vn__PreKey p = VN__PRE_KEY__INIT, *pp = &p;
    Vn__PublishKeys k = VN__PUBLISH_KEYS__INIT;
    uint32_t left = 0;
    p.id = 1;
    p.key = (ProtobufCBinaryData){sizeof pk, pk};
    k.identity_key = (ProtobufCBinaryData){sizeof ik, ik};
    k.signed_prekey = (ProtobufCBinaryData){sizeof spk, spk};
    k.signed_prekey_sig = (ProtobufCBinaryData){sizeof sig, sig};
    k.n_prekeys = 1;
    k.prekeys = &pp;
    assert_int_equal(vn_keys_publish(st, account, &k, &left), VN_OK);
    assert_int_equal(left, 1);
}

/* An audit entry as the server stores it: a box sealed to the participant,
 * opaque here (79 bytes, as a sealed AuditRecord is). It names no reader
 * the store could find. */
static void audit(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN])
{
    uint8_t box[79];
    memset(box, 0xb0, sizeof box);
    assert_int_equal(vn_audit_put(st, participant, box, sizeof box), VN_OK);
}

static vn_err count_cb(void *ud, const uint8_t *box, size_t len)
{
    (void)box;
    (void)len;
    ++*(size_t *)ud;
    return VN_OK;
}

static size_t audit_count(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN])
{
    size_t n = 0;
    assert_int_equal(vn_audit_each(st, participant, count_cb, &n), VN_OK);
    return n;
}

static void mail(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN],
                 const uint8_t from[VN_ACCOUNT_LEN], uint8_t id_byte)
{
    uint8_t id[VN_MSGID_LEN], body[32] = {0};
    bool dup;
    uint64_t t;
    memset(id, id_byte, sizeof id);
    (void)from; /* an envelope no longer names its sender */
    Vn__Envelope env = VN__ENVELOPE__INIT;
    env.id = (ProtobufCBinaryData){sizeof id, id};
    env.time_ms = NOW;
    env.body = (ProtobufCBinaryData){sizeof body, body};
    assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
    assert_false(dup);
}

static void test_redeem(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN], p[VN_ACCOUNT_LEN], acc[VN_ACCOUNT_LEN];
    uint8_t secret[VN_INVITE_SECRET_LEN], key[VN_CURVE_KEY_LEN];
    vn_case_info ci;
    vn_party party;
    vn_role role;

    enrol(st, VN_ROLE_CASEMANAGER, NULL, 1, cm);
    assert_int_equal(vn_cases_create(st, cm, NOW, &ci), VN_OK);
    enrol(st, VN_ROLE_PARTICIPANT, ci.id, 2, p);
    assert_int_equal(vn_lifecycle_party(st, p, &party), VN_OK);
    assert_true(party.in_case && party.case_open);
    assert_memory_equal(party.case_id, ci.id, VN_ACCOUNT_LEN);
    assert_memory_equal(party.case_cm, cm, VN_ACCOUNT_LEN);

    /* A second participant for the case is refused, and nothing is written. */
    memset(key, 3, sizeof key);
    assert_int_equal(vn_invites_create(st, VN_ROLE_PARTICIPANT, ci.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 1, acc, &role), VN_EEXISTS);
    assert_false(vn_accounts_has_device(st, key));
    /* A device key enrols once. */
    memset(key, 2, sizeof key);
    assert_int_equal(vn_invites_create(st, VN_ROLE_BUDDY, ci.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 1, acc, &role), VN_EEXISTS);
    /* Used, expired and unknown invites. */
    memset(key, 4, sizeof key);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 1, acc, &role), VN_OK);
    memset(key, 5, sizeof key);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 2, acc, &role), VN_EINVITE_USED);
    /* The spent invite no longer links anyone to the case. */
    vn_invite_info used;
    assert_int_equal(vn_invites_get(st, secret, &used), VN_OK);
    assert_true(used.redeemed);
    assert_false(used.in_case);
    assert_int_equal(used.role, 0);
    assert_int_equal(vn_invites_create(st, VN_ROLE_BUDDY, ci.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + TTL, acc, &role),
                     VN_EINVITE_EXPIRED);
    secret[0] ^= 1;
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW, acc, &role), VN_EINVITE_BAD);
    /* A closed case takes no one in. */
    assert_int_equal(vn_invites_create(st, VN_ROLE_BUDDY, ci.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_cases_set_state(st, ci.id, VN_CASE_CLOSED, NOW), VN_OK);
    assert_int_equal(vn_lifecycle_redeem(st, secret, key, NOW + 1, acc, &role), VN_EDENIED);
    assert_false(vn_accounts_has_device(st, key));

    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_delete_account(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN], p[VN_ACCOUNT_LEN], b[VN_ACCOUNT_LEN];
    vn_case_info ci;
    vn_alert a = {.kind = VN_ALERT_SOS, .severity = 3, .state = VN_ALERT_CLAIMED};
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n;

    enrol(st, VN_ROLE_CASEMANAGER, NULL, 1, cm);
    assert_int_equal(vn_cases_create(st, cm, NOW, &ci), VN_OK);
    enrol(st, VN_ROLE_PARTICIPANT, ci.id, 2, p);
    enrol(st, VN_ROLE_BUDDY, ci.id, 3, b);
    /* The buddy leaves traces in every table that can name an account. */
    publish(st, b);
    mail(st, b, p, 1);  /* to the buddy */
    mail(st, p, b, 2);  /* from the buddy, waiting for the participant */
    mail(st, cm, b, 3); /* and for the casemanager */
    audit(st, p);       /* the buddy read the participant's case: sealed to the participant */
    audit(st, b);       /* the buddy's own log */
    assert_int_equal(vn_quiet_set(st, b, 22 * 60, 7 * 60), VN_OK);
    memcpy(a.case_id, ci.id, VN_ACCOUNT_LEN);
    memcpy(a.claimed_by, b, VN_ACCOUNT_LEN);
    assert_int_equal(vn_alerts_create(st, &a), VN_OK);
    vn_deferred d = {.kind = 1};
    memcpy(d.account, b, VN_ACCOUNT_LEN);
    memcpy(d.alert, a.id, VN_ALERT_ID_LEN);
    assert_int_equal(vn_quiet_defer(st, &d), VN_OK);

    /* A casemanager with an open case cannot go; an unknown account is not there. */
    assert_int_equal(vn_lifecycle_delete_account(st, cm), VN_EDENIED);
    uint8_t nobody[VN_ACCOUNT_LEN] = {9};
    assert_int_equal(vn_lifecycle_delete_account(st, nobody), VN_ENOACCOUNT);

    assert_int_equal(vn_lifecycle_delete_account(st, b), VN_OK);
    assert_false(vn_accounts_exists(st, b));
    assert_int_equal(vn_cases_members(st, ci.id, m, VN_CASE_MEMBERS_MAX, &n), VN_OK);
    assert_int_equal(n, 1);
    /* What the buddy sent does not name them: it still waits for its reader. */
    assert_int_equal(vn_mailbox_count(st, p, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_alerts_get(st, a.id, &a), VN_OK); /* the alert stays, unclaimed */
    /* The buddy's own log goes; the participant's entry of the buddy's read
     * stays until the participant's log goes: it is sealed, so the server
     * cannot tell it names the buddy. */
    assert_int_equal(audit_count(st, b), 0);
    assert_int_equal(audit_count(st, p), 1);
    assert_true(vn_accounts_exists(st, p));
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, b), 0);
    store_rm_tmp(dir);
}

static void test_purge_case(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN], p[VN_ACCOUNT_LEN], b[VN_ACCOUNT_LEN];
    uint8_t secret[VN_INVITE_SECRET_LEN], canon[40] = {1}, sig[64] = {2};
    vn_case_info ci, other;
    vn_alert a = {.kind = VN_ALERT_SIGNAL, .severity = 1, .state = VN_ALERT_OPEN};
    bool flag;
    size_t n;

    enrol(st, VN_ROLE_CASEMANAGER, NULL, 1, cm);
    assert_int_equal(vn_cases_create(st, cm, NOW, &ci), VN_OK);
    assert_int_equal(vn_cases_create(st, cm, NOW, &other), VN_OK);
    enrol(st, VN_ROLE_PARTICIPANT, ci.id, 2, p);
    enrol(st, VN_ROLE_BUDDY, ci.id, 3, b);
    publish(st, p);
    mail(st, p, b, 1);
    mail(st, cm, p, 2);
    assert_int_equal(vn_invites_create(st, VN_ROLE_NAASTE, ci.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_contracts_put(st, ci.id, canon, sizeof canon, NOW, 1), VN_OK);
    assert_int_equal(vn_contracts_sign(st, ci.id, 1, sig, sizeof sig, NOW), VN_OK);
    assert_int_equal(vn_events_add(st, ci.id, 100, VN_EV_CM_CONTACT), VN_OK);
    assert_int_equal(vn_absences_add(st, ci.id, 100, 110), VN_OK);
    assert_int_equal(vn_sched_set_last(st, ci.id, 100), VN_OK);
    assert_int_equal(vn_sched_notice_once(st, ci.id, 1, 2, 100, &flag), VN_OK);
    memcpy(a.case_id, ci.id, VN_ACCOUNT_LEN);
    assert_int_equal(vn_alerts_create(st, &a), VN_OK);
    assert_int_equal(vn_disclosures_attest(st, ci.id, 1, NOW, &flag), VN_OK);
    assert_int_equal(vn_disclosures_attest(st, ci.id, 2, NOW + 1, &flag), VN_OK);
    assert_true(flag);
    assert_int_equal(vn_disclosures_attest(st, ci.id, 1, NOW + 2, &flag), VN_OK);
    audit(st, p);
    assert_int_equal(vn_quiet_set(st, p, 60, 120), VN_OK);

    assert_int_equal(vn_cases_set_state(st, ci.id, VN_CASE_CLOSED, NOW + DAY), VN_OK);
    /* Not before retention ends. */
    assert_int_equal(vn_lifecycle_purge(st, NOW + 10 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_lifecycle_purge(st, NOW + 40 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_cases_get(st, ci.id, &ci), VN_ENOTFOUND);
    assert_int_equal(vn_cases_get(st, other.id, &other), VN_OK);
    assert_true(vn_accounts_exists(st, cm));
    assert_int_equal(vn_cases_count_open(st, cm, &n), VN_OK);
    assert_int_equal(n, 1);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, ci.id), 0);
    assert_int_equal(store_traces(dir, p), 0);
    assert_int_equal(store_traces(dir, b), 0);
    store_rm_tmp(dir);
}

/* The scheduler's walk: every case once, a record a call, and the one
 * closed past retention purged in the walk's transaction. */
struct walk_ctx {
    vn_sstore *st;
    size_t seen, purged;
};

static vn_err walk_cb(void *ud, const vn_case_info *ci)
{
    struct walk_ctx *w = ud;
    bool gone = false;
    w->seen++;
    assert_int_equal(vn_lifecycle_purge_case(w->st, ci, NOW + 40 * DAY, 30 * DAY, &gone), VN_OK);
    w->purged += gone;
    return VN_OK;
}

static void test_purge_walk(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN] = {9};
    vn_case_info active, recent, old;
    assert_int_equal(vn_cases_create(st, cm, NOW, &active), VN_OK);
    assert_int_equal(vn_cases_create(st, cm, NOW, &recent), VN_OK);
    assert_int_equal(vn_cases_create(st, cm, NOW, &old), VN_OK);
    assert_int_equal(vn_cases_set_state(st, active.id, VN_CASE_ACTIVE, NOW), VN_OK);
    assert_int_equal(vn_cases_set_state(st, recent.id, VN_CASE_COMPLETED, NOW + 20 * DAY), VN_OK);
    assert_int_equal(vn_cases_set_state(st, old.id, VN_CASE_CLOSED, NOW + DAY), VN_OK);
    struct walk_ctx w = {st, 0, 0};
    vn_kv_pos pos;
    vn_kv_pos_reset(&pos);
    assert_int_equal(vn_kv_begin(vn_sstore_kv(st)), VN_OK);
    for (size_t calls = 0; !pos.done; calls++) {
        assert_true(calls <= 3);
        assert_int_equal(vn_cases_each_from(st, &pos, 1, walk_cb, &w), VN_OK);
    }
    assert_int_equal(vn_kv_commit(vn_sstore_kv(st)), VN_OK);
    assert_int_equal(w.seen, 3);
    assert_int_equal(w.purged, 1);
    assert_int_equal(vn_cases_get(st, old.id, &old), VN_ENOTFOUND);
    assert_int_equal(vn_cases_get(st, recent.id, &recent), VN_OK);
    assert_int_equal(vn_cases_get(st, active.id, &active), VN_OK);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_expire(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN], x[VN_ACCOUNT_LEN] = {7}, secret[VN_INVITE_SECRET_LEN];
    vn_invite_info inv;
    size_t n;
    enrol(st, VN_ROLE_CASEMANAGER, NULL, 1, cm);
    mail(st, cm, x, 1);
    assert_int_equal(vn_invites_create(st, VN_ROLE_BUDDY, NULL, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_expire(st, NOW + DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_lifecycle_expire(st, NOW + 31 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 1);
    /* The expired invite is remembered for a while, then forgotten. */
    assert_int_equal(vn_invites_get(st, secret, &inv), VN_OK);
    assert_int_equal(vn_lifecycle_expire(st, NOW + TTL + VN_INVITE_KEEP_MS, 30 * DAY, &n), VN_OK);
    assert_int_equal(vn_invites_get(st, secret, &inv), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* The expiry's walk in steps of a few records does what one whole
 * vn_lifecycle_expire does. */
static size_t expire_walk(vn_sstore *st, uint64_t now, size_t *steps)
{
    vn_lifecycle_expiry w;
    bool done = false;
    vn_lifecycle_expiry_reset(&w);
    for (*steps = 0; !done; (*steps)++) {
        assert_true(*steps < 100);
        assert_int_equal(vn_lifecycle_expire_step(st, &w, 3, now, 30 * DAY, &done), VN_OK);
    }
    return w.expired;
}

static void test_expire_walk(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN], x[VN_ACCOUNT_LEN] = {7}, secret[VN_INVITE_SECRET_LEN];
    vn_invite_info inv;
    size_t steps, n;
    enrol(st, VN_ROLE_CASEMANAGER, NULL, 1, cm);
    for (uint8_t i = 1; i <= 10; i++)
        mail(st, cm, x, i);
    assert_int_equal(vn_invites_create(st, VN_ROLE_BUDDY, NULL, NOW, TTL, secret), VN_OK);
    assert_int_equal(expire_walk(st, NOW + DAY, &steps), 0);
    assert_int_equal(vn_mailbox_count(st, cm, &n), VN_OK);
    assert_int_equal(n, 10);
    /* Ten envelopes, three a step: four steps of the mailbox, and one at
     * least for each of the other three tables. */
    assert_int_equal(expire_walk(st, NOW + 31 * DAY, &steps), 10);
    assert_true(steps >= 7);
    assert_int_equal(vn_mailbox_count(st, cm, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_invites_get(st, secret, &inv), VN_OK);
    expire_walk(st, NOW + TTL + VN_INVITE_KEEP_MS, &steps);
    assert_int_equal(vn_invites_get(st, secret, &inv), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redeem),     cmocka_unit_test(test_delete_account),
        cmocka_unit_test(test_purge_case), cmocka_unit_test(test_purge_walk),
        cmocka_unit_test(test_expire),     cmocka_unit_test(test_expire_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
