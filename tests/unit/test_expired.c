/* Unit tests of the expired receipts: a receipt per expired message id,
 * kept by the day, listed from a day on, swept after VN_EXPIRED_KEEP_MS;
 * the receipt is the one a client computes from the id (vn/receipt.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/expired.h"
#include "vn/receipt.h"

#define DAY VN_EXPIRED_DAY_MS
#define NOW (20000ULL * DAY + 12345)

struct seen {
    uint8_t r[8][VN_EXPIRED_RECEIPT_LEN];
    uint64_t day[8];
    size_t n;
};

static vn_err seen_cb(void *ud, const uint8_t receipt[VN_EXPIRED_RECEIPT_LEN], uint64_t day_ms)
{
    struct seen *s = ud;
    if (s->n == 8) return VN_ETOOBIG;
    memcpy(s->r[s->n], receipt, VN_EXPIRED_RECEIPT_LEN);
    s->day[s->n++] = day_ms;
    return VN_OK;
}

static bool has(const struct seen *s, const uint8_t id[VN_MSGID_LEN])
{
    uint8_t r[VN_RECEIPT_LEN];
    vn_receipt_of(id, r);
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->r[i], r, sizeof r) == 0) return true;
    return false;
}

static void test_add_list_sweep(void **state)
{
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t a[VN_MSGID_LEN] = {1}, b[VN_MSGID_LEN] = {2}, c[VN_MSGID_LEN] = {3};
    struct seen s = {.n = 0};
    bool more = true;
    size_t n = 9;
    assert_int_equal(vn_expired_add(st, a, NOW), VN_OK);
    assert_int_equal(vn_expired_add(st, b, NOW + 2 * DAY), VN_OK);
    assert_int_equal(vn_expired_list(st, 0, 0, seen_cb, &s, &more), VN_OK);
    assert_int_equal(s.n, 2);
    assert_false(more);
    assert_true(has(&s, a));
    assert_true(has(&s, b));
    assert_false(has(&s, c));
    /* Pages: the second receipt alone after skipping the first. */
    struct seen page = {.n = 0};
    assert_int_equal(vn_expired_list(st, 0, 1, seen_cb, &page, &more), VN_OK);
    assert_int_equal(page.n, 1);
    assert_memory_equal(page.r[0], s.r[1], VN_EXPIRED_RECEIPT_LEN);
    /* Only the day is kept, not the minute of the sweep. */
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.day[i] % DAY, 0);
    /* From a later day on: only b; any time of that day counts as the day. */
    s.n = 0;
    assert_int_equal(vn_expired_list(st, NOW + 2 * DAY + 5, 0, seen_cb, &s, &more), VN_OK);
    assert_int_equal(s.n, 1);
    assert_true(has(&s, b));
    /* The receipt is no id: the id is nowhere in the store. */
    vn_sstore_close(&st);
    assert_int_equal(store_traces(dir, a), 0);
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    /* Swept after the keeping time, one by one. */
    assert_int_equal(vn_expired_sweep(st, NOW + VN_EXPIRED_KEEP_MS - DAY, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_expired_sweep(st, NOW + VN_EXPIRED_KEEP_MS + DAY, &n), VN_OK);
    assert_int_equal(n, 1);
    s.n = 0;
    assert_int_equal(vn_expired_list(st, 0, 0, seen_cb, &s, &more), VN_OK);
    assert_int_equal(s.n, 1);
    assert_true(has(&s, b));
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_list_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
