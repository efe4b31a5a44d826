/* Unit tests of the opnonces table (vn/opnonce.h): a nonce is recorded
 * with its time and found again, only that one; the sweep drops those
 * before its bound (and malformed records) and keeps the rest; a sweep
 * with nothing to drop writes nothing (no write-set reaches the commit
 * hook, so the cluster's writer appends nothing); the nonce is in its
 * own record only, and not on disk in the clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/kv.h"
#include "vn/opnonce.h"

#define T0 1800000000000ULL /* a time in ms */

static void nonce(uint8_t n[VN_OPNONCE_LEN], int i)
{
    for (int k = 0; k < VN_OPNONCE_LEN; k++)
        n[k] = (uint8_t)(0xA0 + i * 7 + k);
}

/* Counts the write-sets committed (the commit hook, as the cluster's). */
static vn_err count_ws(void *ud, const uint8_t *ws, size_t len)
{
    (void)ws, (void)len;
    (*(int *)ud)++;
    return VN_OK;
}

static void test_put_get(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t a[VN_OPNONCE_LEN], b[VN_OPNONCE_LEN];
    uint64_t t = 0;
    size_t n = 9;
    nonce(a, 1);
    nonce(b, 2);
    assert_int_equal(vn_opnonce_count(st, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_opnonce_get(st, a, &t), VN_ENOTFOUND);
    assert_int_equal(vn_opnonce_put(st, a, T0), VN_OK);
    assert_int_equal(vn_opnonce_get(st, a, &t), VN_OK);
    assert_int_equal(t, T0);
    assert_int_equal(vn_opnonce_get(st, b, &t), VN_ENOTFOUND);
    assert_int_equal(vn_opnonce_count(st, &n), VN_OK);
    assert_int_equal(n, 1);
    vn_sstore_close(&st);
    /* In the clear, the nonce is in its own record only. */
    assert_int_equal(store_traces(dir, a), 1);
    /* Sealed at rest: the nonce is not in the file as it is. */
    char path[64];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t raw[4 << 20];
    size_t len = fread(raw, 1, sizeof raw, f);
    fclose(f);
    assert_true(len > 0);
    assert_false(has_bytes(raw, len, a, sizeof a));
    store_rm_tmp(dir);
}

static void test_sweep(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    uint8_t n[4][VN_OPNONCE_LEN];
    uint64_t t = 0;
    size_t count = 0, dropped = 9;
    int commits = 0;
    for (int i = 0; i < 4; i++) {
        nonce(n[i], i);
        assert_int_equal(vn_opnonce_put(st, n[i], T0 + (uint64_t)i * 1000), VN_OK);
    }
    vn_kv_capture(vn_sstore_kv(st), count_ws, &commits);
    /* Nothing before T0: nothing written, not even an empty transaction. */
    assert_int_equal(vn_opnonce_sweep(st, T0, &dropped), VN_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(commits, 0);
    /* Before T0 + 2000: the first two go, in one write-set. */
    assert_int_equal(vn_opnonce_sweep(st, T0 + 2000, &dropped), VN_OK);
    assert_int_equal(dropped, 2);
    assert_int_equal(commits, 1);
    assert_int_equal(vn_opnonce_get(st, n[0], &t), VN_ENOTFOUND);
    assert_int_equal(vn_opnonce_get(st, n[1], &t), VN_ENOTFOUND);
    assert_int_equal(vn_opnonce_get(st, n[2], &t), VN_OK);
    assert_int_equal(t, T0 + 2000);
    assert_int_equal(vn_opnonce_count(st, &count), VN_OK);
    assert_int_equal(count, 2);
    /* Inside a caller's transaction, undone with it. */
    assert_int_equal(vn_kv_begin(vn_sstore_kv(st)), VN_OK);
    assert_int_equal(vn_opnonce_sweep(st, T0 + 10000, &dropped), VN_OK);
    assert_int_equal(dropped, 2);
    vn_kv_abort(vn_sstore_kv(st));
    assert_int_equal(vn_opnonce_count(st, &count), VN_OK);
    assert_int_equal(count, 2);
    vn_kv_capture(vn_sstore_kv(st), NULL, NULL);
    assert_int_equal(vn_opnonce_sweep(st, T0 + 10000, NULL), VN_OK);
    assert_int_equal(vn_opnonce_count(st, &count), VN_OK);
    assert_int_equal(count, 0);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
