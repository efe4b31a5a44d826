/* Unit tests of the LMDB key-value layer: transactions, nesting, prefix
 * iteration and deletion across many pages, and the sealed mode.
 * covers: kv_seal kv_scan */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"
#include "vn/kv.h"
#include "vn/be.h"
#include <stdbool.h>

static const char *const dbs[] = {"a", "b"};

static vn_kv *open_tmp(char *dir)
{
    tmpdir_make(dir, "vn-kv");
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    return kv;
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
    tmpdir_rm(dir);
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
    tmpdir_rm(dir);
}

/* What a transaction put is counted before its commit, and counts as
 * committed only after it: the quota's guess of how far the store grew. */
static void test_put_bytes(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    uint64_t all = 0, committed = 0;
    vn_kv_put_bytes(kv, &all, &committed);
    assert_true(all == 0 && committed == 0);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "k1", 2, "value", 5), VN_OK);
    vn_kv_put_bytes(kv, &all, &committed);
    assert_true(all == 7 && committed == 0);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    vn_kv_put_bytes(kv, &all, &committed);
    assert_true(all == 7 && committed == 7);
    /* An aborted put stays counted: the guess errs on the full side. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 1, "k2", 2, "v", 1), VN_OK);
    vn_kv_abort(kv);
    vn_kv_put_bytes(kv, &all, &committed);
    assert_true(all == 10 && committed == 7);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* A write that fails inside a transaction (the test hook makes one fail as
 * if the map were full) dooms it: nothing after it lands on its own, every
 * enclosing level's commit says so, and nothing of it is kept. */
static void test_failed_write_dooms(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_put(kv, 0, "keep", 4, "0", 1), VN_OK);
    vn_kv_test_fail_put(kv, 2);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_begin(kv), VN_OK);                     /* a caller's level */
    assert_int_equal(vn_kv_put(kv, 0, "a", 1, "1", 1), VN_OK);    /* put 1 */
    assert_int_equal(vn_kv_put(kv, 0, "b", 1, "2", 1), VN_EFULL); /* put 2 fails */
    assert_true(vn_kv_in_txn(kv));                                /* the levels stay open */
    assert_int_equal(vn_kv_put(kv, 0, "c", 1, "3", 1), VN_EFULL); /* no write on its own */
    assert_int_equal(vn_kv_del(kv, 0, "keep", 4), VN_EFULL);
    assert_int_equal(vn_kv_begin(kv), VN_EFULL);  /* gains no level */
    assert_int_equal(vn_kv_commit(kv), VN_EFULL); /* inner level */
    assert_true(vn_kv_in_txn(kv));
    assert_int_equal(vn_kv_commit(kv), VN_EFULL); /* outermost: discarded */
    assert_false(vn_kv_in_txn(kv));
    assert_false(vn_kv_has(kv, 0, "a", 1));
    assert_false(vn_kv_has(kv, 0, "c", 1));
    assert_true(vn_kv_has(kv, 0, "keep", 4));
    /* An abort of an inner level dooms the whole transaction too. */
    vn_kv_test_fail_put(kv, 0);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "d", 1, "4", 1), VN_OK);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    vn_kv_abort(kv);
    assert_true(vn_kv_in_txn(kv));
    assert_int_equal(vn_kv_put(kv, 0, "e", 1, "5", 1), VN_ESTORE);
    assert_int_equal(vn_kv_commit(kv), VN_ESTORE);
    assert_false(vn_kv_in_txn(kv));
    assert_false(vn_kv_has(kv, 0, "d", 1));
    assert_false(vn_kv_has(kv, 0, "e", 1));
    /* Afterwards the store works as before. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "f", 1, "6", 1), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_true(vn_kv_has(kv, 0, "f", 1));
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* Inside a sub-transaction a failed write dooms only it: its later writes
 * are refused instead of landing in the enclosing transaction, keeping it
 * reports the error, and the enclosing one goes on. */
static void test_failed_write_in_sub(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "a", 1, "1", 1), VN_OK);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    vn_kv_test_fail_put(kv, 2);
    assert_int_equal(vn_kv_put(kv, 0, "b", 1, "2", 1), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "c", 1, "3", 1), VN_EFULL);
    assert_int_equal(vn_kv_put(kv, 0, "d", 1, "4", 1), VN_EFULL);
    assert_int_equal(vn_kv_sub_end(kv, true), VN_EFULL);
    assert_true(vn_kv_in_txn(kv));
    assert_int_equal(vn_kv_put(kv, 0, "e", 1, "5", 1), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_true(vn_kv_has(kv, 0, "a", 1));
    assert_false(vn_kv_has(kv, 0, "b", 1));
    assert_false(vn_kv_has(kv, 0, "d", 1));
    assert_true(vn_kv_has(kv, 0, "e", 1));
    vn_kv_close(&kv);
    tmpdir_rm(dir);
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
            vn_be_put64(key + 1, i);
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
    tmpdir_rm(dir);
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
    tmpdir_rm(dir);
}

/* What an unsealed look at the disk finds: every stored key and value. */
typedef struct raw_scan {
    const void *needle;
    size_t len;
    size_t records, hits;
    size_t vlens[16];
} raw_scan;

static bool has(const void *hay, size_t n, const void *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp((const char *)hay + i, needle, len) == 0) return true;
    return false;
}

static vn_err raw_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    raw_scan *r = ud;
    if (r->records < 16) r->vlens[r->records] = vl;
    r->records++;
    if (has(k, kl, r->needle, r->len) || has(v, vl, r->needle, r->len)) r->hits++;
    return VN_OK;
}

static raw_scan scan_raw(const char *dir, int db, const char *needle)
{
    vn_kv *kv = NULL;
    raw_scan r = {needle, strlen(needle), 0, 0, {0}};
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_each(kv, db, NULL, 0, raw_cb, &r), VN_OK);
    vn_kv_close(&kv);
    return r;
}

static vn_kv *open_sealed(const char *dir, uint8_t fill, const size_t *group)
{
    uint8_t key[32];
    vn_kv *kv = NULL;
    memset(key, fill, sizeof key);
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_seal(kv, key, group), VN_OK);
    return kv;
}

/* A fresh temporary directory with a store sealed under fill. */
static vn_kv *open_sealed_tmp(char *dir, uint8_t fill, const size_t *group)
{
    vn_kv *kv = open_tmp(dir);
    vn_kv_close(&kv);
    return open_sealed(dir, fill, group);
}

static void test_sealed_values(void **state)
{
    char dir[32];
    void *v = NULL;
    size_t n = 0;
    vn_kv *kv = open_sealed_tmp(dir, 7, NULL);
    assert_int_equal(vn_kv_put(kv, 0, "key-one", 7, "secret value", 12), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "e", 1, "", 0), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "key-one", 7, &v, &n), VN_OK);
    assert_int_equal(n, 12);
    assert_memory_equal(v, "secret value", 12);
    free(v);
    assert_int_equal(vn_kv_get(kv, 0, "e", 1, NULL, &n), VN_OK);
    assert_int_equal(n, 0);
    assert_true(vn_kv_has(kv, 0, "e", 1));
    assert_false(vn_kv_has(kv, 0, "f", 1));
    assert_int_equal(vn_kv_del(kv, 0, "e", 1), VN_OK);
    assert_int_equal(vn_kv_del(kv, 0, "e", 1), VN_ENOTFOUND);
    vn_kv_close(&kv);
    /* On disk neither the key nor the value is in the clear. */
    assert_int_equal(scan_raw(dir, 0, "secret").hits, 0);
    raw_scan r = scan_raw(dir, 0, "key-one");
    assert_int_equal(r.records, 1);
    assert_int_equal(r.hits, 0);
    /* The wrong key reads nothing, and says so. */
    kv = open_sealed(dir, 8, NULL);
    assert_int_equal(vn_kv_get(kv, 0, "key-one", 7, &v, &n), VN_ENOTFOUND);
    size_t count = 0;
    assert_int_equal(vn_kv_each(kv, 0, NULL, 0, count_cb, &count), VN_ECRYPTO);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err copy_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    vn_kv *to = ud;
    return vn_kv_put(to, 1, k, kl, v, vl);
}

static void test_sealed_moved_record(void **state)
{
    char dir[32];
    void *v = NULL;
    size_t n = 0;
    vn_kv *kv = open_sealed_tmp(dir, 7, NULL);
    assert_int_equal(vn_kv_put(kv, 0, "k", 1, "value", 5), VN_OK);
    vn_kv_close(&kv);
    /* Copy the stored record as it is into the other database: its box is
     * bound to database 0 and no longer opens. */
    vn_kv *raw = NULL;
    assert_int_equal(vn_kv_open(&raw, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_each(raw, 0, NULL, 0, copy_cb, raw), VN_OK);
    vn_kv_close(&raw);
    kv = open_sealed(dir, 7, NULL);
    size_t count = 0;
    assert_int_equal(vn_kv_each(kv, 1, NULL, 0, count_cb, &count), VN_ECRYPTO);
    assert_int_equal(vn_kv_get(kv, 0, "k", 1, &v, &n), VN_OK);
    free(v);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

typedef struct seen {
    char keys[64][8];
    size_t n;
} seen;

static vn_err seen_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    seen *s = ud;
    assert_true(kl < 8 && s->n < 64);
    memcpy(s->keys[s->n], k, kl);
    s->keys[s->n++][kl] = '\0';
    assert_int_equal(vl, 2);
    assert_memory_equal(v, k, 2);
    return VN_OK;
}

/* Grouped keys: a scan by a group's prefix sees that group only, in key
 * order; a shorter prefix scans everything and still filters and sorts. */
static void test_sealed_groups(void **state)
{
    static const size_t group[] = {2, 0};
    static const char *const keys[] = {"bb3", "aa2", "bb1", "aa10", "ab5", "aa1", "bb2"};
    char dir[32];
    seen s = {.n = 0};
    vn_kv *kv = open_sealed_tmp(dir, 3, group);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_int_equal(vn_kv_put(kv, 0, keys[i], strlen(keys[i]), keys[i], 2), VN_OK);
    assert_int_equal(vn_kv_each(kv, 0, "aa", 2, seen_cb, &s), VN_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.keys[0], "aa1");
    assert_string_equal(s.keys[1], "aa10");
    assert_string_equal(s.keys[2], "aa2");
    s.n = 0;
    assert_int_equal(vn_kv_each(kv, 0, "aa1", 3, seen_cb, &s), VN_OK);
    assert_int_equal(s.n, 2);
    s.n = 0;
    assert_int_equal(vn_kv_each(kv, 0, "a", 1, seen_cb, &s), VN_OK);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.keys[3], "ab5");
    s.n = 0;
    assert_int_equal(vn_kv_each(kv, 0, NULL, 0, seen_cb, &s), VN_OK);
    assert_int_equal(s.n, 7);
    assert_string_equal(s.keys[0], "aa1");
    assert_string_equal(s.keys[6], "bb3");
    size_t removed = 0;
    assert_int_equal(vn_kv_del_prefix(kv, 0, "bb", 2, &removed), VN_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(vn_kv_del_prefix(kv, 0, "a", 1, &removed), VN_OK);
    assert_int_equal(removed, 4);
    assert_int_equal(vn_kv_count(kv, 0, &removed), VN_OK);
    assert_int_equal(removed, 0);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err first_key_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    memcpy(ud, k, kl < 24 ? kl : 24);
    *stop = true;
    return VN_OK;
}

/* An ordered table keeps the tail after its group in the clear, after the
 * group's hash: records of one group lie in order on disk. */
static void test_sealed_ordered(void **state)
{
    static const size_t group[] = {4 | VN_KV_ORDERED, 0};
    char dir[32];
    uint8_t raw[24] = {0};
    seen s = {.n = 0};
    vn_kv *kv = open_sealed_tmp(dir, 9, group);
    assert_int_equal(vn_kv_put(kv, 0, "acct002", 7, "ac", 2), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "acct001", 7, "ac", 2), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "user001", 7, "us", 2), VN_OK);
    assert_int_equal(vn_kv_each(kv, 0, "acct", 4, seen_cb, &s), VN_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.keys[0], "acct001");
    vn_kv_close(&kv);
    /* On disk: a 16-byte hash, then "001" in the clear; no "acct". */
    assert_int_equal(scan_raw(dir, 0, "acct").hits, 0);
    vn_kv *plain = NULL;
    assert_int_equal(vn_kv_open(&plain, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_each(plain, 0, NULL, 0, first_key_cb, raw), VN_OK);
    vn_kv_close(&plain);
    assert_memory_equal(raw + 16, "00", 2);
    tmpdir_rm(dir);
}

/* Values of nearby sizes are stored at one length, so a record's size
 * does not tell which of two outcomes it holds. */
static void test_sealed_buckets(void **state)
{
    char dir[32];
    vn_kv *kv = open_sealed_tmp(dir, 5, NULL);
    assert_int_equal(vn_kv_put(kv, 0, "r1", 2, "positive", 8), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "r2", 2, "dilute", 6), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "r3", 2, "negative result, confirmed", 26), VN_OK);
    vn_kv_close(&kv);
    raw_scan r = scan_raw(dir, 0, "positive");
    assert_int_equal(r.records, 3);
    assert_int_equal(r.hits, 0);
    assert_int_equal(r.vlens[0], r.vlens[1]);
    assert_int_equal(r.vlens[1], r.vlens[2]);
    tmpdir_rm(dir);
}

typedef struct nonce_scan {
    uint8_t nonce[400][24];
    size_t n;
} nonce_scan;

static vn_err nonce_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    nonce_scan *ns = ud;
    if (vl < 24 || ns->n >= 400) return VN_EINVAL;
    memcpy(ns->nonce[ns->n++], v, 24);
    return VN_OK;
}

static int nonce_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 24);
}

/* Every box gets its own nonce, across refills of the pool they are
 * fetched in (kv_seal.h): the same value stored 400 times leaves 400
 * different nonces on the disk. */
static void test_sealed_nonces(void **state)
{
    char dir[32];
    vn_kv *kv = open_sealed_tmp(dir, 7, NULL);
    for (int i = 0; i < 400; i++) {
        char key[16];
        snprintf(key, sizeof key, "n%03d", i);
        assert_int_equal(vn_kv_put(kv, 0, key, strlen(key), "same", 4), VN_OK);
    }
    vn_kv_close(&kv);
    nonce_scan *ns = calloc(1, sizeof *ns);
    assert_non_null(ns);
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_each(kv, 0, NULL, 0, nonce_cb, ns), VN_OK);
    vn_kv_close(&kv);
    assert_int_equal(ns->n, 400);
    qsort(ns->nonce, ns->n, 24, nonce_cmp);
    for (size_t i = 1; i < ns->n; i++)
        assert_int_not_equal(memcmp(ns->nonce[i - 1], ns->nonce[i], 24), 0);
    free(ns);
    tmpdir_rm(dir);
}

/* The cache of keyed hashes (kv_seal.c) is direct-mapped, so many keys
 * share its slots: 6,000 keys in two tables (some longer than it caches),
 * written, read back in another order, then read again by a store opened
 * afresh (an empty cache): every value is where the hash without a cache
 * puts it, and a key of one table is never found in the other. */
static void test_sealed_hash_cache(void **state)
{
    char dir[32], key[100], val[32];
    void *v = NULL;
    size_t n = 0;
    vn_kv *kv = open_sealed_tmp(dir, 9, NULL);
    for (int i = 0; i < 6000; i++) {
        int len = snprintf(
            key, sizeof key, "%s%05d",
            i % 7 ? "k" : "a-key-longer-than-sixty-four-bytes-is-hashed-every-single-time-....", i);
        snprintf(val, sizeof val, "v%d", i);
        assert_int_equal(vn_kv_put(kv, i % 2, key, (size_t)len, val, strlen(val)), VN_OK);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            vn_kv_close(&kv);
            kv = open_sealed(dir, 9, NULL);
        }
        for (int i = 5999; i >= 0; i--) {
            int len = snprintf(
                key, sizeof key, "%s%05d",
                i % 7 ? "k" : "a-key-longer-than-sixty-four-bytes-is-hashed-every-single-time-....",
                i);
            snprintf(val, sizeof val, "v%d", i);
            assert_int_equal(vn_kv_get(kv, i % 2, key, (size_t)len, &v, &n), VN_OK);
            assert_int_equal(n, strlen(val));
            assert_memory_equal(v, val, n);
            free(v);
            assert_false(vn_kv_has(kv, 1 - i % 2, key, (size_t)len));
        }
    }
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* vn_kv_writes counts every put and delete that reached the store, found
 * or not, failed or not, and nothing else: a reader of the count before
 * and after a step learns whether the step may have written. */
static void test_writes_counted(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir);
    uint64_t w = vn_kv_writes(kv);
    void *v = NULL;
    size_t n = 0;
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "a", 1, &v, &n), VN_ENOTFOUND); /* a read: none */
    assert_int_equal(vn_kv_writes(kv), w);
    assert_int_equal(vn_kv_put(kv, 0, "a", 1, "1", 1), VN_OK);
    assert_int_equal(vn_kv_writes(kv), w + 1);
    assert_int_equal(vn_kv_del(kv, 0, "zz", 2), VN_ENOTFOUND); /* tried all the same */
    assert_int_equal(vn_kv_writes(kv), w + 2);
    assert_int_equal(vn_kv_del(kv, 0, "a", 1), VN_OK);
    assert_int_equal(vn_kv_del_prefix(kv, 0, "q", 1, NULL), VN_OK);
    assert_int_equal(vn_kv_writes(kv), w + 4);
    vn_kv_test_fail_put(kv, 1);
    assert_int_equal(vn_kv_put(kv, 0, "b", 1, "2", 1), VN_EFULL); /* failed, still tried */
    assert_int_equal(vn_kv_writes(kv), w + 5);
    assert_int_equal(vn_kv_put(kv, 0, "c", 1, "3", 1), VN_EFULL); /* doomed: never reached */
    assert_int_equal(vn_kv_writes(kv), w + 5);
    assert_int_equal(vn_kv_commit(kv), VN_EFULL);
    vn_kv_test_fail_put(kv, 0);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sealed_hash_cache),   cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_nested_and_abort),    cmocka_unit_test(test_prefix_many_pages),
        cmocka_unit_test(test_sub_transactions),    cmocka_unit_test(test_sealed_values),
        cmocka_unit_test(test_sealed_moved_record), cmocka_unit_test(test_sealed_groups),
        cmocka_unit_test(test_sealed_ordered),      cmocka_unit_test(test_sealed_buckets),
        cmocka_unit_test(test_failed_write_dooms),  cmocka_unit_test(test_failed_write_in_sub),
        cmocka_unit_test(test_put_bytes),           cmocka_unit_test(test_sealed_nonces),
        cmocka_unit_test(test_writes_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
