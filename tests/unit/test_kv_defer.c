/* Unit tests of the puts held back until the commit: the table itself
 * (core/kv/src/kv_defer.c), and how vn_kv uses it (vn_kv_defer): a record
 * rewritten many times in one transaction is stored once, every read of
 * the transaction sees the latest value, nothing held outlives a discarded
 * transaction or hides in a sub-transaction, scans see it, and the
 * cluster's write-set carries it.
 * covers: kv_defer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kv_defer.h"
#include "tmpdir.h"
#include "vn/kv.h"
#include "kv_expect.h"

/* ---- the table ---- */

typedef struct seen {
    int n;
    char order[64];
    uint8_t last[KV_DEFER_VAL];
    size_t last_len;
} seen;

static vn_err record(void *ud, int db, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen)
{
    seen *s = ud;
    (void)db;
    s->order[s->n++] = (char)key[0];
    memcpy(s->last, val, vlen);
    s->last_len = vlen;
    return s->n == 60 ? VN_ESTORE : VN_OK;
}

static void test_table(void **state)
{
    (void)state;
    kv_defer *d = kv_defer_new();
    void *v = NULL;
    size_t n = 0;
    seen s = {0};
    assert_non_null(d);
    assert_int_equal(kv_defer_get(d, 0, "a", 1, &v, &n), 0);
    assert_true(kv_defer_put(d, 0, "a", 1, "1", 1));
    assert_true(kv_defer_put(d, 1, "a", 1, "x", 1)); /* another table, another record */
    assert_true(kv_defer_put(d, 0, "b", 1, "2", 1));
    assert_true(kv_defer_put(d, 0, "a", 1, "33", 2)); /* replaces, keeps its place */
    assert_int_equal(kv_defer_count(d), 3);
    assert_int_equal(kv_defer_get(d, 0, "a", 1, &v, &n), 1);
    assert_true(n == 2 && memcmp(v, "33", 2) == 0);
    free(v);
    assert_true(kv_defer_get(d, 1, "a", 1, NULL, &n) == 1 && n == 1);
    assert_true(kv_defer_drop(d, 0, "b", 1));
    assert_false(kv_defer_drop(d, 0, "b", 1));
    assert_int_equal(kv_defer_get(d, 0, "b", 1, NULL, NULL), 0);
    assert_true(kv_defer_put(d, 0, "c", 1, "", 0)); /* an empty value */
    assert_int_equal(kv_defer_flush(d, record, &s), VN_OK);
    assert_int_equal(s.n, 3);
    assert_memory_equal(s.order, "aac", 3); /* first held first; b dropped */
    assert_int_equal(kv_defer_count(d), 0);
    assert_int_equal(kv_defer_get(d, 0, "a", 1, NULL, NULL), 0);
    /* What it does not hold: a long key or value, or past its size. */
    uint8_t big[KV_DEFER_KEY + KV_DEFER_VAL + 1] = {0};
    assert_false(kv_defer_put(d, 0, big, KV_DEFER_KEY + 1, "v", 1));
    assert_false(kv_defer_put(d, 0, "k", 1, big, KV_DEFER_VAL + 1));
    for (uint32_t i = 0; i < KV_DEFER_MAX; i++)
        assert_true(kv_defer_put(d, 0, &i, sizeof i, "v", 1));
    uint32_t more = KV_DEFER_MAX;
    assert_false(kv_defer_put(d, 0, &more, sizeof more, "v", 1));
    uint32_t old = 17;
    assert_true(kv_defer_put(d, 0, &old, sizeof old, "w", 1)); /* a held one still changes */
    /* A failing write stops the flush, and nothing is held after it. */
    s = (seen){0};
    assert_int_equal(kv_defer_flush(d, record, &s), VN_ESTORE);
    assert_int_equal(s.n, 60);
    assert_int_equal(kv_defer_count(d), 0);
    kv_defer_clear(d);
    kv_defer_free(d);
}

/* ---- vn_kv with a held table ---- */

static const char *const dbs[] = {"counts", "plain"};

static vn_kv *open_tmp(char *dir)
{
    vn_kv *kv = NULL;
    tmpdir_make(dir, "vn-kvd");
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_defer(kv, 0), VN_OK);
    return kv;
}

static uint64_t stored(vn_kv *kv)
{
    uint64_t all = 0, committed = 0;
    vn_kv_put_bytes(kv, &all, &committed);
    return all;
}

/* Rewritten three times, stored once, at the commit; read back at once. */
static void test_coalesced(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "1", 1), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "22", 2), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "333", 3), VN_OK);
    kv_expect(kv, "n", "333");
    assert_true(vn_kv_has(kv, 0, "n", 1));
    assert_int_equal(stored(kv), 0); /* held, not written */
    assert_int_equal(vn_kv_put(kv, 1, "p", 1, "x", 1), VN_OK);
    assert_int_equal(stored(kv), 2); /* another table: at once */
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_int_equal(stored(kv), 2 + 4); /* "n" -> "333", once */
    kv_expect(kv, "n", "333");
    /* Outside a transaction a put is its own, written at once. */
    assert_int_equal(vn_kv_put(kv, 0, "m", 1, "7", 1), VN_OK);
    assert_int_equal(stored(kv), 8);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* A discarded transaction takes its held puts with it. */
static void test_discarded(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "1", 1), VN_OK);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "2", 1), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "new", 3, "x", 1), VN_OK);
    vn_kv_abort(kv);
    assert_false(vn_kv_in_txn(kv));
    kv_expect(kv, "n", "1");
    kv_expect(kv, "new", NULL);
    /* The next transaction starts with nothing held. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    kv_expect(kv, "n", "1");
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    kv_expect(kv, "new", NULL);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* A sub-transaction begins after what is held is written: aborting it
 * takes back only its own puts (made at once inside it). */
static void test_sub_transaction(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "1", 1), VN_OK);
    assert_int_equal(stored(kv), 0);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(stored(kv), 2); /* written before the sub-transaction */
    assert_int_equal(vn_kv_put(kv, 0, "n", 1, "2", 1), VN_OK);
    assert_int_equal(stored(kv), 4); /* not held inside it */
    kv_expect(kv, "n", "2");
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    kv_expect(kv, "n", "1");
    /* Held again after it, and a delete of a held-only key finds it. */
    assert_int_equal(vn_kv_put(kv, 0, "t", 1, "9", 1), VN_OK);
    assert_int_equal(vn_kv_del(kv, 0, "t", 1), VN_OK);
    kv_expect(kv, "t", NULL);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    kv_expect(kv, "n", "1");
    kv_expect(kv, "t", NULL);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err count_each(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (void)k, (void)kl, (void)v, (void)vl, (void)stop;
    (*(int *)ud)++;
    return VN_OK;
}

/* A scan and a count read what is stored: the held puts go in first. */
static void test_scan_and_count(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    int n = 0;
    size_t count = 0;
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "a1", 2, "1", 1), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "a2", 2, "2", 1), VN_OK);
    assert_int_equal(vn_kv_each(kv, 0, "a", 1, count_each, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vn_kv_put(kv, 0, "a3", 2, "3", 1), VN_OK);
    assert_int_equal(vn_kv_count(kv, 0, &count), VN_OK);
    assert_int_equal(count, 3);
    assert_int_equal(vn_kv_put(kv, 0, "a4", 2, "4", 1), VN_OK);
    assert_int_equal(vn_kv_del_prefix(kv, 0, "a", 1, &count), VN_OK);
    assert_int_equal(count, 4);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    kv_expect(kv, "a4", NULL);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err ws_count(void *ud, int op, int db, const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen)
{
    (void)op, (void)db, (void)key, (void)klen, (void)val, (void)vlen;
    (*(int *)ud)++;
    return VN_OK;
}

static vn_err capture(void *ud, const uint8_t *ws, size_t len)
{
    return vn_kv_ws_each(ws, len, 2, ws_count, ud);
}

/* The write-set a cluster's writer publishes holds the record once. */
static void test_write_set(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    int records = 0;
    vn_kv_capture(kv, capture, &records);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(vn_kv_put(kv, 0, "n", 1, &"12345"[i], 1), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_int_equal(records, 1);
    kv_expect(kv, "n", "5");
    vn_kv_capture(kv, NULL, NULL);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_coalesced),
        cmocka_unit_test(test_discarded),      cmocka_unit_test(test_sub_transaction),
        cmocka_unit_test(test_scan_and_count), cmocka_unit_test(test_write_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
