/* Unit tests of the storage quotas: the arithmetic of server/quota.c
 * (compiled into this test), the mailbox's counts on a real store, and one
 * send's decision: a team message counted once, a crisis pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "quota.h"
#include "requests.h"
#include "store_fixture.h"
#include "vn/mailbox.h"

#define NOW (1700000000000ULL)
#define DAY (86400000ULL)
#define MIB (1024ULL * 1024)

static void test_limits_default(void **state)
{
    vn_quota_limits l = {0};
    vn_quota_limits_default(&l, 1024 * MIB);
    assert_int_equal(l.sender_bytes, 16 * MIB);
    assert_int_equal(l.recipient_bytes, 16 * MIB);
    assert_int_equal(l.sender_envelopes, 16384);
    assert_int_equal(l.recipient_envelopes, 16384);
    assert_int_equal(l.reserve_pct, 5);
    /* A tiny map still allows some messages. */
    vn_quota_limits t = {0};
    vn_quota_limits_default(&t, 2 * MIB);
    assert_int_equal(t.sender_bytes, 32 * 1024);
    assert_int_equal(t.sender_envelopes, 64);
    /* What was given stays. */
    vn_quota_limits g = {.sender_envelopes = 7, .reserve_pct = 20};
    vn_quota_limits_default(&g, 1024 * MIB);
    assert_int_equal(g.sender_envelopes, 7);
    assert_int_equal(g.reserve_pct, 20);
    assert_int_equal(g.recipient_envelopes, 16384);
}

static void test_threshold(void **state)
{
    /* 1 GiB of 4 KiB pages: a tenth kept for deletions, 5% reserved. */
    size_t map = 262144;
    assert_int_equal(vn_quota_margin_pages(map), 26214);
    assert_int_equal(vn_quota_margin_pages(512), 256);
    size_t keep = 26214 + 13107;
    assert_false(vn_quota_past_ordinary(map - keep - 1, map, 5));
    assert_true(vn_quota_past_ordinary(map - keep, map, 5));
    /* The hard floor (vn_server_nearly_full) lies beyond: crisis room. */
    assert_true(map - keep < map - vn_quota_margin_pages(map));
    /* A small map: 1024 pages, 256 kept, 10% (102) reserved. */
    assert_false(vn_quota_past_ordinary(1024 - 256 - 102 - 1, 1024, 10));
    assert_true(vn_quota_past_ordinary(1024 - 256 - 102, 1024, 10));
}

static void test_sender_over(void **state)
{
    vn_quota_limits l = {.sender_bytes = 1000, .sender_envelopes = 3};
    vn_mailbox_sent s = {.day = 1, .bytes = 500, .envelopes = 2};
    assert_int_equal(vn_quota_sender_over(&s, &l, 500, 1), VN_QUOTA_NONE);
    assert_int_equal(vn_quota_sender_over(&s, &l, 501, 1), VN_QUOTA_SENDER_BYTES);
    s.envelopes = 3;
    assert_int_equal(vn_quota_sender_over(&s, &l, 1, 1), VN_QUOTA_SENDER_ENVELOPES);
    assert_int_equal(vn_quota_until_tomorrow(DAY * 20000), DAY);
    assert_int_equal(vn_quota_until_tomorrow(DAY * 20000 + DAY - 1), 1);
}

/* One envelope of body n bytes with id byte i, stored at NOW. */
static Vn__Envelope envelope(uint8_t id[VN_MSGID_LEN], uint8_t i, uint8_t *body, size_t n)
{
    Vn__Envelope env = VN__ENVELOPE__INIT;
    memset(id, i, VN_MSGID_LEN);
    env.id = (ProtobufCBinaryData){VN_MSGID_LEN, id};
    env.time_ms = NOW;
    env.body = (ProtobufCBinaryData){n, body};
    return env;
}

static void test_mailbox_counts(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t to[VN_ACCOUNT_LEN] = {1}, id[VN_MSGID_LEN], body[300] = {0};
    vn_mailbox_usage u;
    vn_mailbox_over over;
    bool dup;
    uint64_t t;
    size_t n;
    Vn__Envelope env = envelope(id, 1, body, sizeof body);
    size_t rec = vn_mailbox_record_size(&env);
    vn_mailbox_limit lim = {.bytes = 10 * rec, .envelopes = 3};
    for (uint8_t i = 1; i <= 3; i++) {
        env = envelope(id, i, body, sizeof body);
        assert_int_equal(vn_mailbox_put_within(st, to, &env, &lim, &over, NULL, &dup, &t), VN_OK);
    }
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 3);
    assert_int_equal(u.bytes, 3 * rec);
    /* The fourth passes the count: refused, nothing written. */
    env = envelope(id, 4, body, sizeof body);
    assert_int_equal(vn_mailbox_put_within(st, to, &env, &lim, &over, &u, &dup, &t), VN_EFULL);
    assert_int_equal(over, VN_MAILBOX_OVER_ENVELOPES);
    assert_int_equal(u.envelopes, 3);
    assert_false(vn_mailbox_holds(st, to, id));
    /* A resend of a stored one is never refused. */
    env = envelope(id, 2, body, sizeof body);
    assert_int_equal(vn_mailbox_put_within(st, to, &env, &lim, &over, NULL, &dup, &t), VN_OK);
    assert_true(dup);
    /* The bytes: room for 3.5 records is no room for a fourth. */
    vn_mailbox_limit bytes = {.bytes = 3 * rec + rec / 2};
    env = envelope(id, 4, body, sizeof body);
    assert_int_equal(vn_mailbox_put_within(st, to, &env, &bytes, &over, NULL, &dup, &t), VN_EFULL);
    assert_int_equal(over, VN_MAILBOX_OVER_BYTES);
    /* Acknowledging frees room; the counts follow. */
    memset(id, 2, sizeof id);
    assert_int_equal(vn_mailbox_ack(st, to, id), VN_OK);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 2);
    assert_int_equal(u.bytes, 2 * rec);
    env = envelope(id, 4, body, sizeof body);
    env.time_ms = NOW + 20 * DAY;
    assert_int_equal(vn_mailbox_put_within(st, to, &env, &lim, &over, NULL, &dup, &t), VN_OK);
    /* Expiry takes the two old ones off the count. */
    assert_int_equal(vn_mailbox_expire(st, NOW + 30 * DAY + 1, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 1);
    assert_int_equal(u.bytes, rec);
    /* Emptied: nothing counted, and numbering starts over. */
    assert_int_equal(vn_mailbox_ack(st, to, id), VN_OK);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 0);
    assert_int_equal(u.bytes, 0);
    vn_sstore_close(&st);
    /* The counts are in the store: they survive a reopen. */
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    env = envelope(id, 5, body, sizeof body);
    assert_int_equal(vn_mailbox_put(st, to, &env, &dup, &t), VN_OK);
    vn_sstore_close(&st);
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 1);
    /* Deleting the account drops its count. */
    assert_int_equal(vn_mailbox_forget_account(st, to), VN_OK);
    assert_int_equal(vn_mailbox_usage_get(st, to, &u), VN_OK);
    assert_int_equal(u.envelopes, 0);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* Records that hold id, in the store of dir, which *st has open: closed
 * for the walk and opened again. */
static int traces_reopen(vn_sstore **st, const char *dir, const uint8_t id[VN_ACCOUNT_LEN])
{
    vn_sstore_close(st);
    int hits = store_traces(dir, id);
    assert_int_equal(vn_sstore_open(st, dir, 0, store_test_key), VN_OK);
    return hits;
}

static void test_sent_counts(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t from[VN_ACCOUNT_LEN] = {7};
    uint32_t today = vn_mailbox_day(NOW);
    size_t n;
    vn_mailbox_sent s, put = {.day = today, .bytes = 900, .envelopes = 3};
    assert_int_equal(vn_mailbox_sent_put(st, from, &put), VN_OK);
    assert_int_equal(vn_mailbox_sent_get(st, from, today, &s), VN_OK);
    assert_int_equal(s.envelopes, 3);
    assert_int_equal(s.bytes, 900);
    /* Tomorrow it reads as nothing sent ... */
    assert_int_equal(vn_mailbox_sent_get(st, from, today + 1, &s), VN_OK);
    assert_int_equal(s.envelopes, 0);
    assert_int_equal(s.day, today + 1);
    /* ... and the sweep drops it then, not before. */
    assert_int_equal(vn_mailbox_expire(st, NOW, 30 * DAY, &n), VN_OK);
    assert_int_equal(traces_reopen(&st, dir, from), 1);
    assert_int_equal(vn_mailbox_expire(st, NOW + DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(traces_reopen(&st, dir, from), 0);
    /* Deleting the account drops it too. */
    assert_int_equal(vn_mailbox_sent_put(st, from, &put), VN_OK);
    assert_int_equal(vn_mailbox_forget_account(st, from), VN_OK);
    assert_int_equal(traces_reopen(&st, dir, from), 0);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* Stores one send of a 300-byte body, if the quotas allow. */
static vn_err send_one(vn_quota *q, vn_sstore *st, const uint8_t *from, const uint8_t *to,
                       uint8_t i, uint64_t mono, vn_quota_send *qs)
{
    uint8_t id[VN_MSGID_LEN], body[300] = {0};
    bool dup;
    uint64_t t;
    Vn__Envelope env = envelope(id, i, body, sizeof body);
    *qs = (vn_quota_send){.from = from, .to = to, .now = NOW, .mono_ms = mono};
    return vn_quota_send_put(q, st, vn_sstore_kv(st), qs, &env, &dup, &t);
}

static void test_send_team_once_and_pass(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    vn_quota *q = NULL;
    vn_quota_limits l = {.sender_envelopes = 2, .recipient_envelopes = 2};
    vn_quota_limits_default(&l, 1024 * MIB);
    assert_int_equal(vn_quota_open(&q, &l, NULL), VN_OK);
    uint8_t from[VN_ACCOUNT_LEN] = {9}, team[4][VN_ACCOUNT_LEN] = {{1}, {2}, {3}, {4}};
    vn_quota_send qs;
    vn_mailbox_sent s;
    uint8_t id = 1;
    /* A team message: four copies within a second, charged once. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(send_one(q, st, from, team[i], id++, 1000 + (uint64_t)i, &qs), VN_OK);
    assert_int_equal(vn_mailbox_sent_get(st, from, vn_mailbox_day(NOW), &s), VN_OK);
    assert_int_equal(s.envelopes, 1);
    /* The same recipient again is a new message. */
    assert_int_equal(send_one(q, st, from, team[0], id++, 2000, &qs), VN_OK);
    assert_int_equal(vn_mailbox_sent_get(st, from, vn_mailbox_day(NOW), &s), VN_OK);
    assert_int_equal(s.envelopes, 2);
    /* The third message of the day is refused, naming the sender's quota. */
    assert_int_equal(send_one(q, st, from, team[1], id++, 200000, &qs), VN_EFULL);
    assert_int_equal(qs.over, VN_QUOTA_SENDER_ENVELOPES);
    assert_int_equal(qs.retry_ms, vn_quota_until_tomorrow(NOW));
    char msg[512];
    vn_quota_refusal(q, &qs, msg, sizeof msg);
    assert_non_null(strstr(msg, "sender's quota reached (messages)"));
    /* A resend of a stored message (id 5, the second) passes all the same. */
    assert_int_equal(send_one(q, st, from, team[0], 5, 200001, &qs), VN_OK);
    /* A crisis pass lets the reports through, uncharged, even past the
     * recipient's quota (team[0] holds two already). */
    vn_quota_pass_grant(q, from, 300000);
    assert_int_equal(send_one(q, st, from, team[0], id++, 300001, &qs), VN_OK);
    assert_true(qs.crisis);
    assert_int_equal(vn_mailbox_sent_get(st, from, vn_mailbox_day(NOW), &s), VN_OK);
    assert_int_equal(s.envelopes, 2);
    /* The pass ends after its time. */
    assert_int_equal(send_one(q, st, from, team[0], id++, 300000 + VN_QUOTA_PASS_MS, &qs),
                     VN_EFULL);
    /* Another sender meets team[0]'s full mailbox: the recipient's quota. */
    uint8_t other[VN_ACCOUNT_LEN] = {10};
    assert_int_equal(send_one(q, st, other, team[0], id++, 400000, &qs), VN_EFULL);
    assert_int_equal(qs.over, VN_QUOTA_RECIPIENT_ENVELOPES);
    vn_quota_refusal(q, &qs, msg, sizeof msg);
    assert_non_null(strstr(msg, "recipient's quota reached (messages)"));
    assert_non_null(strstr(msg, "once they fetch their mail"));
    vn_quota_close(&q);
    vn_quota_close(&q);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* The crisis path in the request table: raising, claiming and
 * acknowledging alerts carry CRISIS, and nothing that grows the store
 * does (GROWS rows wait at the ordinary threshold, CRISIS rows go on). */
#define FLAGS_ROW(b, n, h, r, f, d) {n, f},
static const struct {
    const char *name;
    unsigned flags;
} rows[] = {VN_REQUESTS(FLAGS_ROW)};

static void test_crisis_rows(void **state)
{
    int crisis = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bool alert = !strcmp(rows[i].name, "alert-raise") || !strcmp(rows[i].name, "alert-claim") ||
                     !strcmp(rows[i].name, "alert-ack");
        if (alert) assert_true(rows[i].flags & CRISIS);
        if (rows[i].flags & CRISIS) {
            assert_false(rows[i].flags & GROWS);
            crisis++;
        }
    }
    assert_int_equal(crisis, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_default), cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_sender_over),    cmocka_unit_test(test_mailbox_counts),
        cmocka_unit_test(test_sent_counts),    cmocka_unit_test(test_send_team_once_and_pass),
        cmocka_unit_test(test_crisis_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
