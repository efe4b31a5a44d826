/* Unit tests of the store's table modules on a real LMDB: each module's
 * typed functions, as the server uses them.
 * covers: absences accounts alerts audit cases contracts disclosures events invites keys mailbox
 * covers: meta quiet sched sstore */
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
#include "vn/clock.h"
#include "vn/contracts.h"
#include "vn/day.h"
#include "vn/disclosures.h"
#include "vn/events.h"
#include "vn/keys.h"
#include "vn/kv.h"
#include "vn/mailbox.h"
#include "vn/meta.h"
#include "vn/quiet.h"
#include "vn/sched.h"
#include "vn/account.h"
#include "vn/frame.h"

#define NOW (1700000000000ULL)
#define DAY (86400000ULL)

static void test_accounts(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t k1[VN_CURVE_KEY_LEN] = {1}, k2[VN_CURVE_KEY_LEN] = {2}, k3[VN_CURVE_KEY_LEN] = {3};
    uint8_t a1[VN_ACCOUNT_LEN], a2[VN_ACCOUNT_LEN], a3[VN_ACCOUNT_LEN], got[VN_ACCOUNT_LEN];
    uint8_t(*leads)[VN_ACCOUNT_LEN] = NULL;
    vn_role role;
    size_t n;
    assert_int_equal(vn_accounts_create(st, VN_ROLE_MEDICAL_LEAD, k1, NOW, a1), VN_OK);
    assert_int_equal(vn_accounts_create(st, VN_ROLE_CASEMANAGER, k2, NOW, a2), VN_OK);
    assert_int_equal(vn_accounts_create(st, VN_ROLE_MEDICAL_LEAD, k3, NOW, a3), VN_OK);
    assert_int_equal(vn_accounts_create(st, VN_ROLE_BUDDY, k1, NOW, got), VN_EEXISTS);
    assert_int_equal(vn_accounts_by_device(st, k2, got, &role), VN_OK);
    assert_memory_equal(got, a2, VN_ACCOUNT_LEN);
    assert_int_equal(role, VN_ROLE_CASEMANAGER);
    assert_int_equal(vn_accounts_with_role(st, VN_ROLE_MEDICAL_LEAD, &leads, &n), VN_OK);
    assert_int_equal(n, 2);
    free(leads);
    assert_int_equal(vn_accounts_with_role(st, VN_ROLE_ADMIN, &leads, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_null(leads);
    assert_int_equal(vn_accounts_delete(st, a2), VN_OK);
    assert_false(vn_accounts_exists(st, a2));
    assert_false(vn_accounts_has_device(st, k2));
    assert_int_equal(vn_accounts_role(st, a2, &role), VN_ENOTFOUND);
    assert_int_equal(vn_accounts_delete(st, a2), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* What the server's peer cache relies on: every create and delete changes
 * the generation, and a write not yet committed in the open transaction
 * (the server's batch) is not settled until that transaction ends, however
 * it ends: a rolled back create leaves the device unregistered, and
 * nothing read while it was pending may be kept. */
static void test_accounts_generation(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t k1[VN_CURVE_KEY_LEN] = {1}, k2[VN_CURVE_KEY_LEN] = {2};
    uint8_t a1[VN_ACCOUNT_LEN], a2[VN_ACCOUNT_LEN], got[VN_ACCOUNT_LEN];
    vn_role role;
    uint64_t g0 = vn_accounts_generation(st);
    assert_true(vn_accounts_settled(st));
    /* Created and committed on its own: a new generation, settled. */
    assert_int_equal(vn_accounts_create(st, VN_ROLE_BUDDY, k1, NOW, a1), VN_OK);
    uint64_t g1 = vn_accounts_generation(st);
    assert_true(g1 != g0);
    assert_true(vn_accounts_settled(st));
    /* Reads in a batch that wrote nothing there are settled. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_true(vn_accounts_settled(st));
    assert_int_equal(vn_accounts_by_device(st, k1, got, &role), VN_OK);
    /* A create inside the batch, in a request's sub-transaction: not
     * settled, while the batch is open, even after the sub-transaction
     * kept it. A refused duplicate writes nothing. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_accounts_create(st, VN_ROLE_BUDDY, k2, NOW, a2), VN_OK);
    assert_int_equal(vn_kv_sub_end(kv, true), VN_OK);
    uint64_t g2 = vn_accounts_generation(st);
    assert_true(g2 != g1);
    assert_false(vn_accounts_settled(st));
    assert_int_equal(vn_accounts_create(st, VN_ROLE_BUDDY, k2, NOW, got), VN_EEXISTS);
    assert_true(vn_accounts_generation(st) == g2);
    /* The batch is discarded: settled again, and the device unknown. */
    vn_kv_abort(kv);
    assert_true(vn_accounts_settled(st));
    assert_int_equal(vn_accounts_by_device(st, k2, got, &role), VN_ENOTFOUND);
    /* A delete in a committed batch: a new generation, settled after. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_accounts_delete(st, a1), VN_OK);
    assert_false(vn_accounts_settled(st));
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_true(vn_accounts_settled(st));
    assert_true(vn_accounts_generation(st) != g2);
    assert_int_equal(vn_accounts_by_device(st, k1, got, &role), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_keys(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t acc[VN_ACCOUNT_LEN] = {1}, ik[33] = {5}, other[33] = {9}, spk[33] = {6}, sig[64] = {7};
    uint8_t pk1[33] = {8}, pk2[33] = {10}, key[33];
    Vn__PreKey p1 = VN__PRE_KEY__INIT, p2 = VN__PRE_KEY__INIT, *pp[] = {&p1, &p2};
    Vn__PublishKeys k = VN__PUBLISH_KEYS__INIT;
    Vn__Bundle b = VN__BUNDLE__INIT;
    uint32_t left;
    p1.id = 1;
    p1.key = (ProtobufCBinaryData){33, pk1};
    p2.id = 2;
    p2.key = (ProtobufCBinaryData){33, pk2};
    k.identity_key = (ProtobufCBinaryData){33, ik};
    k.signed_prekey = (ProtobufCBinaryData){33, spk};
    k.signed_prekey_sig = (ProtobufCBinaryData){64, sig};
    k.n_prekeys = 2;
    k.prekeys = pp;
    assert_int_equal(vn_keys_bundle_take(st, acc, &b), VN_ENOTFOUND);
    assert_int_equal(vn_keys_publish(st, acc, &k, &left), VN_OK);
    assert_int_equal(left, 2);
    assert_int_equal(vn_keys_identity(st, acc, key), VN_OK);
    assert_memory_equal(key, ik, 33);
    /* One one-time prekey per bundle, lowest id first. */
    assert_int_equal(vn_keys_bundle_take(st, acc, &b), VN_OK);
    assert_non_null(b.prekey);
    assert_int_equal(b.prekey->id, 1);
    vn_keys_bundle_clear(&b);
    assert_int_equal(vn_keys_prekeys_held(st, acc, &left), VN_OK);
    assert_int_equal(left, 1);
    /* The identity never changes. */
    k.identity_key = (ProtobufCBinaryData){33, other};
    assert_int_equal(vn_keys_publish(st, acc, &k, &left), VN_EDENIED);
    assert_int_equal(vn_keys_delete(st, acc), VN_OK);
    assert_int_equal(vn_keys_prekeys_held(st, acc, &left), VN_OK);
    assert_int_equal(left, 0);
    assert_int_equal(vn_keys_identity(st, acc, key), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static vn_err count_env(void *ud, const Vn__Envelope *env)
{
    (*(size_t *)ud)++;
    return VN_OK;
}

static void test_mailbox(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t to[VN_ACCOUNT_LEN] = {1}, id[VN_MSGID_LEN];
    Vn__Envelope env = VN__ENVELOPE__INIT;
    bool dup, more;
    uint64_t t;
    size_t n = 0;
    env.body = (ProtobufCBinaryData){3, (uint8_t *)"abc"};
    for (int i = 0; i < 3; i++) {
        memset(id, i + 1, sizeof id);
        env.id = (ProtobufCBinaryData){sizeof id, id};
        env.time_ms = NOW + (uint64_t)i * DAY;
        assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
        assert_false(dup);
    }
    /* A resend is stored once and reports the first time. */
    env.time_ms = NOW + 9 * DAY;
    assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
    assert_true(dup);
    assert_int_equal(t, NOW + 2 * DAY);
    assert_int_equal(vn_mailbox_fetch(st, to, 2, count_env, &n, &more), VN_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    assert_int_equal(vn_mailbox_ack(st, to, id), VN_OK);
    assert_int_equal(vn_mailbox_ack(st, to, id), VN_ENOTFOUND);
    assert_int_equal(vn_mailbox_expire(st, NOW + 30 * DAY + 1, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_mailbox_count(st, to, &n), VN_OK);
    assert_int_equal(n, 1);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* Acks in one go: the ids there are deleted, the others (never stored, or
 * named twice) skipped, and the counts the quota reads follow: less by
 * exactly what went, and none left (the tail dropped) once all went. */
static void test_mailbox_ack_many(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t to[VN_ACCOUNT_LEN] = {3}, ids[4][VN_MSGID_LEN];
    Vn__Envelope env = VN__ENVELOPE__INIT;
    vn_mailbox_usage u, u1;
    bool dup;
    uint64_t t;
    size_t n = 0;
    env.body = (ProtobufCBinaryData){5, (uint8_t *)"hello"};
    for (int i = 0; i < 4; i++) {
        memset(ids[i], 0x40 + i, VN_MSGID_LEN);
        env.id = (ProtobufCBinaryData){VN_MSGID_LEN, ids[i]};
        env.time_ms = NOW;
        if (i < 3) assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
    }
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 3);
    /* ids[3] was never stored; ids[0] is named twice. */
    const uint8_t *some[] = {ids[0], ids[3], ids[2], ids[0]};
    assert_int_equal(vn_mailbox_ack_many(st, to, some, 4, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u1), VN_OK);
    assert_int_equal(u1.envelopes, 1);
    assert_int_equal(u1.bytes, u.bytes / 3);
    assert_int_equal(vn_mailbox_count(st, to, &n), VN_OK);
    assert_int_equal(n, 1);
    const uint8_t *rest[] = {ids[1], ids[2]};
    assert_int_equal(vn_mailbox_ack_many(st, to, rest, 2, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u1), VN_OK);
    assert_int_equal(u1.envelopes, 0);
    assert_int_equal(u1.bytes, 0);
    assert_int_equal(vn_mailbox_ack(st, to, ids[1]), VN_ENOTFOUND);
    /* Emptied, the mailbox takes new mail. */
    env.id = (ProtobufCBinaryData){VN_MSGID_LEN, ids[3]};
    assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
    assert_int_equal(vn_mailbox_count(st, to, &n), VN_OK);
    assert_int_equal(n, 1);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* The first byte of each envelope's id, in delivery order. */
struct order {
    uint8_t first[8];
    size_t n;
};

static vn_err note_order(void *ud, const Vn__Envelope *env)
{
    struct order *o = ud;
    if (o->n < sizeof o->first) o->first[o->n++] = env->id.data[0];
    return VN_OK;
}

/* Oldest first per recipient without a store-wide counter: interleaved
 * recipients, an ack in the middle, and a mailbox emptied and used again. */
static void test_mailbox_order(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t a[VN_ACCOUNT_LEN] = {1}, b[VN_ACCOUNT_LEN] = {2}, id[VN_MSGID_LEN];
    Vn__Envelope env = VN__ENVELOPE__INIT;
    bool dup;
    uint64_t t;
    static const uint8_t seq[] = {5, 3, 9, 1};
    for (size_t i = 0; i < sizeof seq; i++) {
        memset(id, seq[i], sizeof id);
        env.id = (ProtobufCBinaryData){sizeof id, id};
        env.time_ms = vn_mailbox_time(NOW);
        assert_int_equal(vn_mailbox_put(st, i % 2 ? b : a, &env, &dup, &t), VN_OK);
        assert_int_equal(t % VN_MAILBOX_TIME_STEP_MS, 0);
        assert_true(t > NOW);
    }
    memset(id, 5, sizeof id);
    assert_int_equal(vn_mailbox_ack(st, a, id), VN_OK);
    memset(id, 7, sizeof id);
    assert_int_equal(vn_mailbox_put(st, a, &env, &dup, &t), VN_OK);
    struct order o = {.n = 0};
    assert_int_equal(vn_mailbox_fetch(st, a, 10, note_order, &o, NULL), VN_OK);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.first[0], 9);
    assert_int_equal(o.first[1], 7);
    o.n = 0;
    assert_int_equal(vn_mailbox_fetch(st, b, 10, note_order, &o, NULL), VN_OK);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.first[0], 3);
    assert_int_equal(o.first[1], 1);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_cases(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t cm[VN_ACCOUNT_LEN] = {1}, cm2[VN_ACCOUNT_LEN] = {2}, p[VN_ACCOUNT_LEN] = {3};
    uint8_t of[VN_ACCOUNT_LEN];
    vn_case_info a, b, list[4];
    size_t n;
    assert_int_equal(vn_cases_create(st, cm, NOW, &a), VN_OK);
    assert_int_equal(vn_cases_create(st, cm, NOW, &b), VN_OK);
    assert_int_equal(vn_cases_add_member(st, a.id, p, VN_ROLE_PARTICIPANT, NOW), VN_OK);
    assert_int_equal(vn_cases_of(st, p, of), VN_OK);
    assert_memory_equal(of, a.id, VN_ACCOUNT_LEN);
    assert_int_equal(vn_cases_set_state(st, a.id, VN_CASE_ACTIVE, NOW), VN_OK);
    assert_int_equal(vn_cases_list(st, VN_CASE_ACTIVE, list, 4, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(list[0].id, a.id, VN_ACCOUNT_LEN);
    assert_memory_equal(list[0].casemanager, cm, VN_ACCOUNT_LEN);
    assert_int_equal(vn_cases_list(st, VN_CASE_INTAKE, list, 0, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_cases_reassign(st, b.id, cm2), VN_OK);
    assert_int_equal(vn_cases_count_open(st, cm, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_cases_set_state(st, a.id, VN_CASE_CLOSED, NOW + DAY), VN_OK);
    assert_int_equal(vn_cases_add_member(st, a.id, cm2, VN_ROLE_BUDDY, NOW), VN_EDENIED);
    /* Ends are kept to the day; a completed case ends like a closed one. */
    uint64_t closed_day = vn_day_floor_ms(NOW + DAY);
    assert_int_equal(vn_cases_get(st, a.id, &a), VN_OK);
    assert_int_equal(a.closed_ms, closed_day);
    assert_int_equal(vn_cases_closed_before(st, closed_day, list, 4, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_cases_closed_before(st, closed_day + 1, list, 4, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vn_cases_set_state(st, b.id, VN_CASE_COMPLETED, NOW + 2 * DAY), VN_OK);
    assert_int_equal(vn_cases_closed_before(st, closed_day + DAY + 1, list, 4, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_cases_set_state(st, b.id, VN_CASE_ACTIVE, NOW + 2 * DAY), VN_OK);
    assert_int_equal(vn_cases_delete(st, a.id), VN_OK);
    assert_int_equal(vn_cases_of(st, p, of), VN_ENOTFOUND);
    assert_int_equal(vn_cases_get(st, a.id, &a), VN_ENOTFOUND);
    assert_int_equal(vn_cases_forget_casemanager(st, cm2), VN_OK);
    assert_int_equal(vn_cases_count_open(st, cm2, &n), VN_OK);
    assert_int_equal(n, 0);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_records(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c[VN_ACCOUNT_LEN] = {1};
    vn_event *ev = NULL;
    vn_absence *abs = NULL;
    size_t n;
    int32_t day;
    bool already;
    assert_int_equal(vn_events_add(st, c, 10, VN_EV_TEST), VN_OK);
    assert_int_equal(vn_events_add(st, c, 10, VN_EV_TEST), VN_OK);
    assert_int_equal(vn_events_add(st, c, 12, VN_EV_CHECKIN), VN_OK);
    assert_true(vn_events_has(st, c, 12, VN_EV_CHECKIN));
    assert_int_equal(vn_events_load(st, c, 11, &ev, &n), VN_OK);
    assert_int_equal(n, 1);
    free(ev);
    assert_int_equal(vn_events_load(st, c, 0, &ev, &n), VN_OK);
    assert_int_equal(n, 3);
    free(ev);
    assert_int_equal(vn_absences_add(st, c, 20, 25), VN_OK);
    assert_int_equal(vn_absences_load(st, c, &abs, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(abs[0].to_day, 25);
    free(abs);
    assert_int_equal(vn_sched_last(st, c, &day), VN_ENOTFOUND);
    assert_int_equal(vn_sched_set_last(st, c, 30), VN_OK);
    assert_int_equal(vn_sched_last(st, c, &day), VN_OK);
    assert_int_equal(day, 30);
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 30, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 30, &already), VN_OK);
    assert_true(already);
    /* The next day's notice replaces it; the kind and item tell them apart. */
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 31, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_notice_once(st, c, 2, 4, 31, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 31, &already), VN_OK);
    assert_true(already);
    /* An earlier day counts as sent: several overdue items of one kind,
     * oldest first, each go out once. */
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 29, &already), VN_OK);
    assert_true(already);
    bool sent = false;
    assert_int_equal(vn_sched_notice_sent(st, c, 1, 4, 32, &sent), VN_OK);
    assert_false(sent);
    assert_int_equal(vn_sched_notice_once(st, c, 1, 4, 32, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_notice_sent(st, c, 1, 4, 32, &sent), VN_OK);
    assert_true(sent);
    /* What is kept of an alert: a reminder once, its reporters, until
     * it is forgotten (or the case purged). */
    uint8_t alert[VN_ACCOUNT_LEN], who[VN_REPORTERS_MAX][VN_ACCOUNT_LEN], r1[VN_ACCOUNT_LEN],
        r2[VN_ACCOUNT_LEN];
    size_t nr = 9;
    memset(alert, 0xA1, sizeof alert);
    memset(r1, 0x11, sizeof r1);
    memset(r2, 0x22, sizeof r2);
    assert_int_equal(vn_sched_alert_once(st, c, 6, alert, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_alert_once(st, c, 6, alert, &already), VN_OK);
    assert_true(already);
    assert_int_equal(vn_sched_reporters(st, c, alert, who, &nr), VN_OK);
    assert_int_equal(nr, 0);
    assert_int_equal(vn_sched_reporter_add(st, c, alert, r1), VN_OK);
    assert_int_equal(vn_sched_reporter_add(st, c, alert, r2), VN_OK);
    assert_int_equal(vn_sched_reporter_add(st, c, alert, r1), VN_OK);
    assert_int_equal(vn_sched_reporters(st, c, alert, who, &nr), VN_OK);
    assert_int_equal(nr, 2);
    assert_memory_equal(who[0], r1, VN_ACCOUNT_LEN);
    assert_memory_equal(who[1], r2, VN_ACCOUNT_LEN);
    assert_int_equal(vn_sched_alert_forget(st, c, alert), VN_OK);
    assert_int_equal(vn_sched_reporters(st, c, alert, who, &nr), VN_OK);
    assert_int_equal(nr, 0);
    assert_int_equal(vn_sched_alert_once(st, c, 6, alert, &already), VN_OK);
    assert_false(already);
    assert_int_equal(vn_sched_reporter_add(st, c, alert, r2), VN_OK);
    /* the notices of the case are still there after an alert is forgotten */
    assert_int_equal(vn_sched_notice_sent(st, c, 1, 4, 32, &sent), VN_OK);
    assert_true(sent);
    assert_int_equal(vn_events_purge_case(st, c), VN_OK);
    assert_int_equal(vn_absences_purge_case(st, c), VN_OK);
    assert_int_equal(vn_sched_purge_case(st, c), VN_OK);
    assert_int_equal(vn_events_load(st, c, 0, &ev, &n), VN_OK);
    assert_int_equal(n, 0);
    free(ev);
    assert_int_equal(vn_sched_last(st, c, &day), VN_ENOTFOUND);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, c), 0);
    store_rm_tmp(dir);
}

static size_t count_kind(const vn_event *ev, size_t n, vn_event_kind kind, int32_t *last)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == kind) {
            k++;
            *last = ev[i].day;
        }
    return k;
}

/* Pruning keeps recent days whole; of older ones only the last contact of
 * each kind and the most recent untested draws. */
static void test_events_prune(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c[VN_ACCOUNT_LEN] = {4};
    vn_event *ev = NULL;
    size_t n, pruned;
    int32_t last = 0;
    for (int32_t d = 100; d < 200; d++) {
        assert_int_equal(vn_events_add(st, c, d, VN_EV_CHECKIN), VN_OK);
        assert_int_equal(vn_events_add(st, c, d, d % 2 ? VN_EV_DRAW_TEST : VN_EV_DRAW_NONE), VN_OK);
        if (d % 4 == 1) assert_int_equal(vn_events_add(st, c, d, VN_EV_TEST), VN_OK);
    }
    assert_int_equal(vn_events_add(st, c, 110, VN_EV_CM_CONTACT), VN_OK);
    assert_int_equal(vn_events_add(st, c, 120, VN_EV_CM_CONTACT), VN_OK);
    assert_int_equal(vn_events_add(st, c, 120, VN_EV_CM_CONTACT), VN_OK);
    assert_int_equal(vn_events_add(st, c, 130, VN_EV_SELFHELP), VN_OK);
    assert_int_equal(vn_events_add(st, c, 195, VN_EV_SELFHELP), VN_OK);
    assert_int_equal(vn_events_prune(st, c, 190, &pruned), VN_OK);
    assert_true(pruned > 0);
    assert_int_equal(vn_events_load(st, c, 0, &ev, &n), VN_OK);
    /* Days 190..199 whole: 10 check-ins. */
    assert_int_equal(count_kind(ev, n, VN_EV_CHECKIN, &last), 10);
    assert_int_equal(last, 199);
    /* The last casemanager contact (counted twice) stays; selfhelp's last
     * is recent, so the old one goes. */
    assert_int_equal(count_kind(ev, n, VN_EV_CM_CONTACT, &last), 2);
    assert_int_equal(last, 120);
    assert_int_equal(count_kind(ev, n, VN_EV_SELFHELP, &last), 1);
    assert_int_equal(last, 195);
    /* Draws fall on odd days, tests on days 1 mod 4, so the untested draws
     * are the days 3 mod 4. Days 191..199 keep their 5 draws; the 8 most
     * recent untested are 199, 195, 191 and 187, 183, 179, 175, 171, so 5
     * old ones stay; tested old draws go with their tests. */
    assert_int_equal(count_kind(ev, n, VN_EV_DRAW_TEST, &last), 5 + 5);
    assert_int_equal(count_kind(ev, n, VN_EV_TEST, &last), 2); /* 193, 197 */
    assert_int_equal(count_kind(ev, n, VN_EV_DRAW_NONE, &last), 5);
    assert_int_equal(count_kind(ev, n, VN_EV_CHECKIN_MISSED, &last), 0);
    free(ev);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* Only the version in force and one waiting are kept. */
static void test_contract_versions(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c[VN_ACCOUNT_LEN] = {3}, sig[64] = {1};
    uint32_t newest, in_force;
    const uint8_t terms[] = "terms";
    assert_int_equal(vn_contracts_put(st, c, terms, sizeof terms, NOW, 1), VN_OK);
    assert_int_equal(vn_contracts_sign(st, c, 1, sig, sizeof sig, NOW), VN_OK);
    assert_int_equal(vn_contracts_put(st, c, terms, sizeof terms, NOW, 2), VN_OK);
    assert_int_equal(vn_contracts_versions(st, c, &newest, &in_force), VN_OK);
    assert_int_equal(newest, 2);
    assert_int_equal(in_force, 1);
    /* A new version replaces the one waiting. */
    assert_int_equal(vn_contracts_put(st, c, terms, sizeof terms, NOW, 3), VN_OK);
    assert_int_equal(vn_contracts_sign(st, c, 2, sig, sizeof sig, NOW), VN_ENOTFOUND);
    /* Signed, it supersedes the one in force. */
    assert_int_equal(vn_contracts_sign(st, c, 3, sig, sizeof sig, NOW), VN_OK);
    assert_int_equal(vn_contracts_sign(st, c, 1, sig, sizeof sig, NOW), VN_ENOTFOUND);
    assert_int_equal(vn_contracts_versions(st, c, &newest, &in_force), VN_OK);
    assert_int_equal(newest, 3);
    assert_int_equal(in_force, 3);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static vn_err count_disc(void *ud, uint64_t t)
{
    (*(size_t *)ud)++;
    return VN_OK;
}

static void test_alerts_disclosures(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c[VN_ACCOUNT_LEN] = {1}, who[VN_ACCOUNT_LEN] = {2};
    vn_alert a = {.kind = VN_ALERT_SOS, .severity = 2, .state = VN_ALERT_CLAIMED}, got;
    bool rec;
    size_t n = 0;
    memcpy(a.case_id, c, VN_ACCOUNT_LEN);
    memcpy(a.claimed_by, who, VN_ACCOUNT_LEN);
    a.created_ms = NOW;
    assert_int_equal(vn_alerts_create(st, &a), VN_OK);
    assert_int_equal(vn_alerts_get(st, a.id, &got), VN_OK);
    assert_memory_equal(got.id, a.id, VN_ALERT_ID_LEN);
    assert_memory_equal(got.case_id, c, VN_ACCOUNT_LEN);
    assert_memory_equal(got.claimed_by, who, VN_ACCOUNT_LEN);
    assert_int_equal(got.kind, VN_ALERT_SOS);
    assert_int_equal(got.severity, 2);
    assert_int_equal(got.state, VN_ALERT_CLAIMED);
    assert_int_equal(got.created_ms, NOW);
    assert_int_equal(vn_alerts_forget_account(st, who), VN_OK);
    assert_int_equal(vn_alerts_get(st, a.id, &got), VN_OK);
    assert_int_equal(got.claimed_by[0], 0);
    /* An attestation waits a week for the other; then both make a record. */
    assert_int_equal(vn_disclosures_attest(st, c, 1, NOW, &rec), VN_OK);
    assert_false(rec);
    assert_int_equal(vn_disclosures_attest(st, c, 2, NOW + VN_ATTEST_WINDOW_MS + 1, &rec), VN_OK);
    assert_false(rec);
    assert_int_equal(vn_disclosures_attest(st, c, 1, NOW + VN_ATTEST_WINDOW_MS + 2, &rec), VN_OK);
    assert_true(rec);
    assert_int_equal(vn_disclosures_each(st, c, count_disc, &n), VN_OK);
    assert_int_equal(n, 1);
    /* A second one the same day is counted under the same day. */
    assert_int_equal(vn_disclosures_attest(st, c, 1, NOW + VN_ATTEST_WINDOW_MS + 3, &rec), VN_OK);
    assert_int_equal(vn_disclosures_attest(st, c, 2, NOW + VN_ATTEST_WINDOW_MS + 4, &rec), VN_OK);
    assert_true(rec);
    n = 0;
    assert_int_equal(vn_disclosures_each(st, c, count_disc, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_alerts_purge_case(st, c), VN_OK);
    assert_int_equal(vn_disclosures_purge_case(st, c), VN_OK);
    assert_int_equal(vn_alerts_get(st, a.id, &got), VN_ENOTFOUND);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, c), 0);
    store_rm_tmp(dir);
}

static vn_err count_case_alert(void *ud, const vn_alert *a)
{
    uint8_t *c = ((void **)ud)[0];
    size_t *n = ((void **)ud)[1];
    /* The index yields only the case's own alerts. */
    if (memcmp(a->case_id, c, VN_ACCOUNT_LEN) != 0) return VN_ESTORE;
    (*n)++;
    return VN_OK;
}

/* The case index: each case's walk sees its alerts and no other's, follows
 * deletions, and a purged case leaves no entry behind. */
static void test_alerts_by_case(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c1[VN_ACCOUNT_LEN] = {1}, c2[VN_ACCOUNT_LEN] = {2};
    vn_alert a[5];
    size_t n = 0;
    void *ud1[2] = {c1, &n}, *ud2[2] = {c2, &n};
    for (int i = 0; i < 5; i++) {
        a[i] = (vn_alert){.kind = VN_ALERT_SIGNAL, .severity = 1, .state = VN_ALERT_OPEN};
        memcpy(a[i].case_id, i < 3 ? c1 : c2, VN_ACCOUNT_LEN);
        a[i].created_ms = NOW + (uint64_t)i;
        assert_int_equal(vn_alerts_create(st, &a[i]), VN_OK);
    }
    assert_int_equal(vn_alerts_each_case(st, c1, count_case_alert, ud1), VN_OK);
    assert_int_equal(n, 3);
    n = 0;
    assert_int_equal(vn_alerts_each_case(st, c2, count_case_alert, ud2), VN_OK);
    assert_int_equal(n, 2);
    /* A put (an escalation) keeps one entry; a delete removes it. */
    a[0].level = VN_LEVEL_MEDICAL_LEAD;
    assert_int_equal(vn_alerts_put(st, &a[0]), VN_OK);
    assert_int_equal(vn_alerts_delete(st, a[1].id), VN_OK);
    n = 0;
    assert_int_equal(vn_alerts_each_case(st, c1, count_case_alert, ud1), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_alerts_purge_case(st, c1), VN_OK);
    n = 0;
    assert_int_equal(vn_alerts_each_case(st, c1, count_case_alert, ud1), VN_OK);
    assert_int_equal(n, 0);
    n = 0;
    assert_int_equal(vn_alerts_each_case(st, c2, count_case_alert, ud2), VN_OK);
    assert_int_equal(n, 2);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, c1), 0);
    store_rm_tmp(dir);
}

static vn_err count_key(void *ud, const vn_alert_key *k)
{
    (void)k;
    (*(size_t *)ud)++;
    return VN_OK;
}

static size_t count_level(vn_sstore *st, bool escalated)
{
    size_t n = 0;
    assert_int_equal(escalated ? vn_alerts_keys_escalated(st, count_key, &n)
                               : vn_alerts_keys_climbing(st, count_key, &n),
                     VN_OK);
    return n;
}

/* Empties one table by name, as a store written before it existed. */
static void drop_table(vn_sstore *st, const char *name)
{
    for (int t = 0; t < vn_sstore_table_count(); t++)
        if (!strcmp(vn_sstore_table_name(t), name))
            assert_int_equal(vn_kv_del_prefix(vn_sstore_kv(st), t, NULL, 0, NULL), VN_OK);
}

/* The level index follows escalation; the key records carry what a list
 * orders by; a store whose indexes miss alerts is reindexed once. */
static void test_alerts_level_and_reindex(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c1[VN_ACCOUNT_LEN] = {1};
    vn_alert a[4];
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        a[i] = (vn_alert){.kind = VN_ALERT_SIGNAL, .severity = 3, .state = VN_ALERT_OPEN};
        memcpy(a[i].case_id, c1, VN_ACCOUNT_LEN);
        a[i].created_ms = NOW + (uint64_t)i;
        assert_int_equal(vn_alerts_create(st, &a[i]), VN_OK);
    }
    assert_int_equal(count_level(st, false), 4);
    assert_int_equal(count_level(st, true), 0);
    a[2].level = VN_LEVEL_MEDICAL_LEAD;
    assert_int_equal(vn_alerts_put(st, &a[2]), VN_OK);
    assert_int_equal(count_level(st, false), 3);
    assert_int_equal(count_level(st, true), 1);
    assert_int_equal(vn_alerts_reindex(st, &n), VN_OK);
    assert_int_equal(n, 0); /* whole: nothing to do */
    /* Indexes lost (an older store): rebuilt, escalation kept. */
    drop_table(st, "alertsbycase");
    drop_table(st, "alertslevel");
    drop_table(st, "alertbuckets");
    assert_int_equal(vn_alerts_keys_case(st, c1, count_key, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_alerts_reindex(st, &n), VN_OK);
    assert_int_equal(n, 4);
    n = 0;
    assert_int_equal(vn_alerts_keys_case(st, c1, count_key, &n), VN_OK);
    assert_int_equal(n, 4);
    assert_int_equal(count_level(st, true), 1);
    assert_int_equal(vn_alerts_delete(st, a[2].id), VN_OK);
    assert_int_equal(count_level(st, true), 0);
    assert_int_equal(count_level(st, false), 3);
    assert_int_equal(vn_alerts_purge_case(st, c1), VN_OK);
    assert_int_equal(count_level(st, false), 0);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, c1), 0);
    store_rm_tmp(dir);
}

/* Paging through a case's alerts with vn_alerts_pick: every alert once,
 * in list order, the count of the rest exact, also after deletions. */
static void test_alerts_pick_pages(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t c1[VN_ACCOUNT_LEN] = {1};
    enum { N = 1000, PAGE = 100 };
    vn_alert a;
    vn_alert_key keys[PAGE], last;
    static uint8_t ids[N][VN_ALERT_ID_LEN];
    for (int i = 0; i < N; i++) {
        a = (vn_alert){
            .kind = VN_ALERT_SIGNAL, .severity = (uint8_t)(1 + i % 3), .state = VN_ALERT_OPEN};
        memcpy(a.case_id, c1, VN_ACCOUNT_LEN);
        a.created_ms = NOW + (uint64_t)(i / 3);
        assert_int_equal(vn_alerts_create(st, &a), VN_OK);
        memcpy(ids[i], a.id, VN_ALERT_ID_LEN);
    }
    /* Every tenth goes (acknowledged). */
    for (int i = 0; i < N; i += 10)
        assert_int_equal(vn_alerts_delete(st, ids[i]), VN_OK);
    size_t seen = 0, left = N - N / 10;
    bool first = true;
    /* The bucket records count what the buckets hold. */
    {
        size_t entries = 0;
        vn_alert_pick q = {.limit = 0, .keys = keys};
        assert_int_equal(vn_alerts_keys_case(st, c1, count_key, &entries), VN_OK);
        assert_int_equal(vn_alerts_pick_case(st, &q, c1), VN_OK);
        assert_int_equal(vn_alerts_pick_run(st, &q), VN_OK);
        assert_int_equal(q.following, entries);
        assert_int_equal(entries, left);
        assert_int_equal(q.nb, 6); /* 3 severities, 300 of each: 256 + 44 */
        vn_alerts_pick_free(&q);
    }
    for (;;) {
        vn_alert_pick p = {.after = first ? NULL : &last, .limit = PAGE, .keys = keys};
        assert_int_equal(vn_alerts_pick_case(st, &p, c1), VN_OK);
        assert_int_equal(vn_alerts_pick_run(st, &p), VN_OK);
        vn_alerts_pick_free(&p);
        for (size_t i = 0; i < p.n; i++) {
            if (!first || i)
                assert_true(vn_alerts_key_order(i ? &keys[i - 1] : &last, &keys[i]) < 0);
        }
        seen += p.n;
        assert_int_equal(p.following, left - seen);
        if (!p.following) break;
        last = keys[p.n - 1];
        first = false;
    }
    assert_int_equal(seen, left);
    /* SOS alerts lie in buckets of their own: a buddy's pick (SOS only)
     * sees them alone, and counts them exactly. */
    for (int i = 0; i < 5; i++) {
        a = (vn_alert){.kind = VN_ALERT_SOS, .severity = 2, .state = VN_ALERT_OPEN};
        memcpy(a.case_id, c1, VN_ACCOUNT_LEN);
        a.created_ms = NOW + (uint64_t)i;
        assert_int_equal(vn_alerts_create(st, &a), VN_OK);
    }
    vn_alert_pick sp = {.sos_only = true, .limit = 3, .keys = keys};
    assert_int_equal(vn_alerts_pick_case(st, &sp, c1), VN_OK);
    assert_int_equal(vn_alerts_pick_run(st, &sp), VN_OK);
    vn_alerts_pick_free(&sp);
    assert_int_equal(sp.n, 3);
    assert_int_equal(sp.following, 2);
    for (size_t i = 0; i < sp.n; i++)
        assert_int_equal(keys[i].kind, VN_ALERT_SOS);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_quiet(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t acc[VN_ACCOUNT_LEN] = {1};
    uint16_t from, to;
    vn_deferred d = {.kind = 2}, *held = NULL;
    size_t n;
    memcpy(d.account, acc, VN_ACCOUNT_LEN);
    memset(d.alert, 9, sizeof d.alert);
    assert_int_equal(vn_quiet_get(st, acc, &from, &to), VN_ENOTFOUND);
    assert_int_equal(vn_quiet_set(st, acc, 600, 600), VN_EINVAL);
    assert_int_equal(vn_quiet_set(st, acc, 1320, 420), VN_OK);
    assert_int_equal(vn_quiet_get(st, acc, &from, &to), VN_OK);
    assert_int_equal(from, 1320);
    assert_int_equal(to, 420);
    assert_int_equal(vn_quiet_clear(st, acc), VN_OK);
    assert_int_equal(vn_quiet_clear(st, acc), VN_OK);
    assert_int_equal(vn_quiet_defer(st, &d), VN_OK);
    assert_int_equal(vn_quiet_deferred(st, &held, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(&held[0], &d, sizeof d);
    free(held);
    assert_int_equal(vn_quiet_undefer(st, &d), VN_OK);
    assert_int_equal(vn_quiet_deferred(st, &held, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_quiet_set(st, acc, 60, 120), VN_OK);
    assert_int_equal(vn_quiet_defer(st, &d), VN_OK);
    assert_int_equal(vn_quiet_forget_account(st, acc), VN_OK);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, acc), 0);
    store_rm_tmp(dir);
}

struct boxes {
    size_t n;          /* entries seen */
    uint8_t first[79]; /* the first one */
};

static vn_err box_cb(void *ud, const uint8_t *box, size_t len)
{
    struct boxes *b = ud;
    if (b->n++ == 0 && len == sizeof b->first) memcpy(b->first, box, len);
    return VN_OK;
}

/* The audit table keeps opaque boxes under the participant and a random
 * id: the same box twice is two entries (nothing is merged), and only the
 * participant's own log goes with them. */
static void test_audit(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t p[VN_ACCOUNT_LEN] = {1}, q[VN_ACCOUNT_LEN] = {2}, box[79], big[VN_AUDIT_BOX_MAX + 1];
    struct boxes b = {0};
    memset(box, 0xb0, sizeof box);
    memset(big, 0xb1, sizeof big);
    assert_int_equal(vn_audit_put(st, p, box, 0), VN_EINVAL);
    assert_int_equal(vn_audit_put(st, p, big, sizeof big), VN_ETOOBIG);
    assert_int_equal(vn_audit_put(st, p, box, sizeof box), VN_OK);
    assert_int_equal(vn_audit_put(st, p, box, sizeof box), VN_OK);
    assert_int_equal(vn_audit_put(st, q, box, sizeof box), VN_OK);
    assert_int_equal(vn_audit_each(st, p, box_cb, &b), VN_OK);
    assert_int_equal(b.n, 2);
    assert_memory_equal(b.first, box, sizeof box);
    assert_int_equal(vn_audit_forget_account(st, p), VN_OK);
    b.n = 0;
    assert_int_equal(vn_audit_each(st, p, box_cb, &b), VN_OK);
    assert_int_equal(b.n, 0);
    assert_int_equal(vn_audit_each(st, q, box_cb, &b), VN_OK);
    assert_int_equal(b.n, 1);
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, p), 0);
    store_rm_tmp(dir);
}

static void test_meta_clock(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    vn_clock *clock = NULL;
    uint64_t off;
    assert_false(vn_meta_test_clock(st));
    assert_int_equal(vn_meta_set_test_clock(st, true), VN_OK);
    assert_true(vn_meta_test_clock(st));
    assert_int_equal(vn_meta_clock_offset(st, &off), VN_OK);
    assert_int_equal(off, 0);
    assert_int_equal(vn_clock_open(&clock, st, vn_meta_test_clock(st)), VN_OK);
    uint64_t before = vn_clock_now(clock);
    assert_int_equal(vn_clock_advance(st, 10 * DAY), VN_OK);
    assert_true(vn_clock_now(clock) >= before + 10 * DAY);
    assert_int_equal(vn_clock_set(st, before), VN_EINVAL); /* time only moves forward */
    assert_int_equal(vn_clock_set(st, before + 20 * DAY), VN_OK);
    assert_true(vn_clock_now(clock) >= before + 20 * DAY);
    vn_clock_close(&clock);
    assert_int_equal(vn_meta_set_test_clock(st, false), VN_OK);
    assert_int_equal(vn_meta_set_test_clock(st, false), VN_OK);
    assert_false(vn_meta_test_clock(st));
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounts),
        cmocka_unit_test(test_accounts_generation),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_mailbox),
        cmocka_unit_test(test_mailbox_order),
        cmocka_unit_test(test_mailbox_ack_many),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_contract_versions),
        cmocka_unit_test(test_events_prune),
        cmocka_unit_test(test_alerts_disclosures),
        cmocka_unit_test(test_alerts_by_case),
        cmocka_unit_test(test_alerts_level_and_reindex),
        cmocka_unit_test(test_alerts_pick_pages),
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_audit),
        cmocka_unit_test(test_meta_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
