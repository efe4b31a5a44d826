/* Unit tests of anonymous first contact in the store (vn/intake.h): the
 * one first-contact code and its hourly allowance, the redeem into a
 * visitor account, the visitor record and its conversations, and the purge
 * of idle visitors with their accounts.
 * covers: intake intake_lifecycle */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/accounts.h"
#include "vn/intake.h"

#define HOUR 3600000ULL
#define DAY  86400000ULL
#define NOW  (20000ULL * DAY + 5 * HOUR)

static void device(uint8_t key[VN_CURVE_KEY_LEN], int n)
{
    memset(key, 0x40 + n, VN_CURVE_KEY_LEN);
}

static void test_code_allowance(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t old[VN_INVITE_SECRET_LEN], code[VN_INVITE_SECRET_LEN];
    uint64_t retry = 0;
    size_t codes = 9;
    assert_int_equal(vn_intake_code_count(st, &codes), VN_OK);
    assert_int_equal(codes, 0);
    assert_int_equal(vn_intake_code_create(st, 0, NOW, code), VN_EINVAL);
    assert_int_equal(vn_intake_code_create(st, 100001, NOW, code), VN_EINVAL);
    assert_int_equal(vn_intake_code_create(st, 5, NOW, old), VN_OK);
    assert_int_equal(vn_intake_code_create(st, 2, NOW, code), VN_OK);
    /* The new code replaced the old one. */
    assert_int_equal(vn_intake_code_count(st, &codes), VN_OK);
    assert_int_equal(codes, 1);
    assert_int_equal(vn_intake_code_take(st, old, NOW, &retry), VN_ENOTFOUND);
    assert_int_equal(vn_intake_code_take(st, code, NOW, &retry), VN_OK);
    assert_int_equal(vn_intake_code_take(st, code, NOW + 1000, &retry), VN_OK);
    assert_int_equal(vn_intake_code_take(st, code, NOW + 2000, &retry), VN_ERATE);
    /* NOW is 5 h into its day: the next hour starts in one hour less 2 s. */
    assert_int_equal(retry, HOUR - 2000);
    assert_int_equal(vn_intake_code_take(st, code, NOW + HOUR, &retry), VN_OK);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_redeem(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t code[VN_INVITE_SECRET_LEN], wrong[VN_INVITE_SECRET_LEN] = {1}, key[VN_CURVE_KEY_LEN];
    uint8_t a[VN_ACCOUNT_LEN], b[VN_ACCOUNT_LEN];
    uint64_t retry = 0;
    vn_role role;
    vn_intake_visitor v;
    assert_int_equal(vn_intake_code_create(st, 2, NOW, code), VN_OK);
    device(key, 1);
    assert_int_equal(vn_intake_redeem(st, wrong, key, NOW, a, &retry), VN_EINVITE_BAD);
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, a, &retry), VN_OK);
    assert_int_equal(vn_accounts_role(st, a, &role), VN_OK);
    assert_int_equal(role, VN_ROLE_VISITOR);
    assert_int_equal(vn_intake_visitor_get(st, a, &v), VN_OK);
    assert_int_equal(v.first_day, (int32_t)(NOW / DAY));
    assert_int_equal(v.last_day, v.first_day);
    assert_int_equal(v.npeers, 0);
    /* A registered device spends none of the allowance. */
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, b, &retry), VN_EEXISTS);
    device(key, 2);
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, b, &retry), VN_OK);
    device(key, 3);
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, b, &retry), VN_ERATE);
    /* Refused: no account was made for that device. */
    assert_false(vn_accounts_has_device(st, key));
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_visitor_record(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t acc[VN_ACCOUNT_LEN] = {9}, peer[VN_ACCOUNT_LEN] = {7}, other[VN_ACCOUNT_LEN] = {8};
    vn_intake_visitor v = {
        .first_day = 10, .last_day = 12, .sent_day = 12, .sent_count = 4, .npeers = 1};
    vn_intake_visitor got;
    memcpy(v.peers[0], peer, VN_ACCOUNT_LEN);
    assert_int_equal(vn_intake_visitor_get(st, acc, &got), VN_ENOTFOUND);
    assert_int_equal(vn_intake_visitor_put(st, acc, &v), VN_OK);
    assert_int_equal(vn_intake_visitor_get(st, acc, &got), VN_OK);
    assert_int_equal(got.first_day, 10);
    assert_int_equal(got.last_day, 12);
    assert_int_equal(got.sent_count, 4);
    assert_true(vn_intake_visitor_has_peer(&got, peer));
    assert_false(vn_intake_visitor_has_peer(&got, other));
    v.npeers = VN_INTAKE_PEERS_MAX + 1;
    assert_int_equal(vn_intake_visitor_put(st, acc, &v), VN_EINVAL);
    assert_int_equal(vn_intake_visitor_delete(st, acc), VN_OK);
    assert_int_equal(vn_intake_visitor_delete(st, acc), VN_OK); /* absent is fine */
    assert_int_equal(vn_intake_visitor_get(st, acc, &got), VN_ENOTFOUND);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

static void test_purge(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t code[VN_INVITE_SECRET_LEN], key[VN_CURVE_KEY_LEN];
    uint8_t idle[VN_ACCOUNT_LEN], active[VN_ACCOUNT_LEN], gone[VN_ACCOUNT_LEN] = {0x55};
    uint64_t retry = 0;
    size_t n = 99;
    vn_intake_visitor v;
    assert_int_equal(vn_intake_code_create(st, 10, NOW, code), VN_OK);
    device(key, 1);
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, idle, &retry), VN_OK);
    device(key, 2);
    assert_int_equal(vn_intake_redeem(st, code, key, NOW, active, &retry), VN_OK);
    /* A record whose account is gone already. */
    assert_int_equal(vn_intake_visitor_get(st, idle, &v), VN_OK);
    assert_int_equal(vn_intake_visitor_put(st, gone, &v), VN_OK);
    /* The active one wrote on day 20. */
    assert_int_equal(vn_intake_visitor_get(st, active, &v), VN_OK);
    v.last_day += 20;
    assert_int_equal(vn_intake_visitor_put(st, active, &v), VN_OK);
    /* 30 days exactly: not yet idle for a 30-day limit... */
    assert_int_equal(vn_intake_purge(st, NOW + 30 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 1); /* only the record without an account */
    assert_true(vn_accounts_exists(st, idle));
    /* ...a day later it is. */
    assert_int_equal(vn_intake_purge(st, NOW + 31 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_false(vn_accounts_exists(st, idle));
    device(key, 1);
    assert_false(vn_accounts_has_device(st, key));
    assert_int_equal(vn_intake_visitor_get(st, idle, &v), VN_ENOTFOUND);
    assert_int_equal(vn_intake_visitor_get(st, gone, &v), VN_ENOTFOUND);
    assert_true(vn_accounts_exists(st, active));
    assert_int_equal(vn_intake_visitor_get(st, active, &v), VN_OK);
    assert_int_equal(vn_intake_purge(st, NOW + 31 * DAY, 30 * DAY, &n), VN_OK);
    assert_int_equal(n, 0);
    vn_sstore_close(&st);
    /* Nothing of the purged visitor is left in any table. */
    assert_int_equal(store_traces(dir, idle), 0);
    assert_int_equal(store_traces(dir, gone), 0);
    store_rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_allowance),
        cmocka_unit_test(test_redeem),
        cmocka_unit_test(test_visitor_record),
        cmocka_unit_test(test_purge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
