/* Unit tests of the LMDB key-value layer: transactions, nesting, prefix
 * iteration and deletion across many pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vn/kv.h"
#include "vn/util.h"

static const char *const dbs[] = {"a", "b"};

static vn_kv *open_tmp(char *dir)
{
    memcpy(dir, "/tmp/vn-kv-XXXXXX", sizeof "/tmp/vn-kv-XXXXXX");
    assert_non_null(mkdtemp(dir));
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    return kv;
}

static void rm_tmp(const char *dir)
{
    char path[64];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

static vn_err count_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (*(size_t *)ud)++;
    return VN_OK;
}

static void test_put_get_del(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    void *v = NULL;
    size_t n = 0;
    assert_int_equal(vn_kv_put(kv, 0, "k", 1, "value", 5), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &v, &n), VN_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "value", 5);
    free(v);
    assert_int_equal(vn_kv_get(kv, 1, "k", 1, NULL, NULL), VN_ENOTFOUND);
    assert_int_equal(vn_kv_del(kv, 0, "k", 1), VN_OK);
    assert_int_equal(vn_kv_del(kv, 0, "k", 1), VN_ENOTFOUND);
    assert_int_equal(vn_kv_put(kv, 5, "k", 1, "v", 1), VN_EINVAL);
    assert_int_equal(vn_kv_put(kv, 0, "", 0, "v", 1), VN_EINVAL);
    vn_kv_close(&kv);
    assert_null(kv);
    rm_tmp(dir);
}

static void test_nested_and_abort(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "x", 1, "1", 1), VN_OK); /* nested level */
    assert_true(vn_kv_in_txn(kv));
    assert_true(vn_kv_has(kv, 0, "x", 1)); /* reads see the open transaction */
    vn_kv_abort(kv);
    assert_false(vn_kv_in_txn(kv));
    assert_false(vn_kv_has(kv, 0, "x", 1));
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "y", 1, "2", 1), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_true(vn_kv_in_txn(kv)); /* only the outermost commit ends it */
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_false(vn_kv_in_txn(kv));
    assert_int_equal(vn_kv_commit(kv), VN_EINVAL);
    vn_kv_close(&kv);
    /* Committed data survives a reopen. */
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_true(vn_kv_has(kv, 0, "y", 1));
    vn_kv_close(&kv);
    rm_tmp(dir);
}

static void test_prefix_many_pages(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    uint8_t key[9], val[200] = {0};
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    for (int p = 0; p < 3; p++) {
        for (uint32_t i = 0; i < 3000; i++) {
            key[0] = (uint8_t)p;
            vn_put_be64(key + 1, i);
            assert_int_equal(vn_kv_put(kv, 1, key, sizeof key, val, sizeof val), VN_OK);
        }
    }
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    size_t n = 0, removed = 0;
    uint8_t p1 = 1;
    assert_int_equal(vn_kv_each(kv, 1, &p1, 1, count_cb, &n), VN_OK);
    assert_int_equal(n, 3000);
    assert_int_equal(vn_kv_del_prefix(kv, 1, &p1, 1, &removed), VN_OK);
    assert_int_equal(removed, 3000);
    n = 0;
    assert_int_equal(vn_kv_each(kv, 1, &p1, 1, count_cb, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vn_kv_count(kv, 1, &n), VN_OK);
    assert_int_equal(n, 6000); /* the neighbours are untouched */
    uint8_t p2 = 2;
    assert_int_equal(vn_kv_del_prefix(kv, 1, &p2, 1, &removed), VN_OK);
    assert_int_equal(removed, 3000);
    assert_int_equal(vn_kv_count(kv, 1, &n), VN_OK);
    assert_int_equal(n, 3000);
    vn_kv_close(&kv);
    rm_tmp(dir);
}

static void test_sub_transactions(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_sub_begin(kv), VN_EINVAL); /* needs an enclosing transaction */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "a", 1, "1", 1), VN_OK);
    /* A kept sub-transaction merges into the enclosing one. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "b", 1, "2", 1), VN_OK);
    assert_int_equal(vn_kv_sub_end(kv, true), VN_OK);
    /* A discarded one leaves no trace, and the enclosing one goes on. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "c", 1, "3", 1), VN_OK);
    assert_true(vn_kv_has(kv, 0, "c", 1));
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    assert_false(vn_kv_has(kv, 0, "c", 1));
    /* An abort inside discards only the sub-transaction. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "d", 1, "4", 1), VN_OK);
    vn_kv_abort(kv);
    assert_true(vn_kv_in_txn(kv));
    assert_int_equal(vn_kv_sub_end(kv, true), VN_ESTORE); /* nothing left to keep */
    /* Inside a sub-transaction, an unbalanced commit cannot end it. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_EINVAL);
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_true(vn_kv_has(kv, 0, "a", 1));
    assert_true(vn_kv_has(kv, 0, "b", 1));
    assert_false(vn_kv_has(kv, 0, "c", 1));
    assert_false(vn_kv_has(kv, 0, "d", 1));
    vn_kv_close(&kv);
    rm_tmp(dir);
}

static void test_sealed_values(void **state)
{
    char dir[32];
    uint8_t key[32], other[32];
    void *v = NULL;
    size_t n = 0;
    memset(key, 7, sizeof key);
    memset(other, 8, sizeof other);
    vn_kv *kv = open_tmp(dir);
    vn_kv_seal(kv, key, NULL);
    assert_int_equal(vn_kv_put(kv, 0, "k", 1, "secret value", 12), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "e", 1, "", 0), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &v, &n), VN_OK);
    assert_int_equal(n, 12);
    assert_memory_equal(v, "secret value", 12);
    free(v);
    assert_int_equal(vn_kv_get(kv, 0, "e", 1, NULL, &n), VN_OK);
    assert_int_equal(n, 0);
    vn_kv_close(&kv);
    /* On disk the value is not in clear. */
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &v, &n), VN_OK);
    assert_int_equal(n, 12 + 28);
    for (size_t i = 0; i + 6 <= n; i++)
        assert_false(memcmp((char *)v + i, "secret", 6) == 0);
    free(v);
    /* The wrong key reads nothing. */
    vn_kv_seal(kv, other, NULL);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &v, &n), VN_ECRYPTO);
    vn_kv_seal(kv, key, NULL);
    /* A value moved to another key (or database) does not decrypt. */
    void *raw = NULL;
    vn_kv_close(&kv);
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &raw, &n), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "m", 1, raw, n), VN_OK);
    assert_int_equal(vn_kv_put(kv, 1, "k", 1, raw, n), VN_OK);
    free(raw);
    vn_kv_seal(kv, key, NULL);
    assert_int_equal(vn_kv_get(kv, 0, "m", 1, &v, &n), VN_ECRYPTO);
    assert_int_equal(vn_kv_get(kv, 1, "k", 1, &v, &n), VN_ECRYPTO);
    size_t count = 0;
    assert_int_equal(vn_kv_each(kv, 0, "k", 1, count_cb, &count), VN_OK);
    assert_int_equal(count, 1);
    vn_kv_close(&kv);
    rm_tmp(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),       cmocka_unit_test(test_nested_and_abort),
        cmocka_unit_test(test_prefix_many_pages), cmocka_unit_test(test_sub_transactions),
        cmocka_unit_test(test_sealed_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
