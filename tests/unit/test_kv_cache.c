/* Unit tests of the cache of opened values (core/kv/src/kv_cache.c) and of
 * how vn_kv keeps it from ever answering with a stale value: a write, an
 * aborted transaction or sub-transaction, a failed write, an applied
 * write-set and another process's commit each make what was cached
 * unusable, and a read repeated with none of these is answered from it.
 * covers: kv_cache */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kv_cache.h"
#include "tmpdir.h"
#include "vn/kv.h"
#include "kv_expect.h"

static const char *const dbs[] = {"cached", "plain"};
static const uint8_t seal_key[32] = {7};

static vn_kv *open_at(const char *dir)
{
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_seal(kv, seal_key, NULL), VN_OK);
    assert_int_equal(vn_kv_cache(kv, 0), VN_OK);
    return kv;
}

static vn_kv *open_tmp(char *dir)
{
    tmpdir_make(dir, "vn-kvc");
    return open_at(dir);
}

static uint64_t hits(vn_kv *kv)
{
    uint64_t h = 0, m = 0;
    vn_kv_cache_stats(kv, &h, &m);
    return h;
}

static void put(vn_kv *kv, const char *k, const char *v)
{
    assert_int_equal(vn_kv_put(kv, 0, k, strlen(k), v, strlen(v)), VN_OK);
}

/* The module alone: a value is handed back only for its table, key and
 * generation; what is too long is not kept. */
static void test_cache_alone(void **state)
{
    (void)state;
    kv_cache *c = kv_cache_new();
    void *v = NULL;
    size_t n = 0;
    uint8_t big[600] = {0};
    assert_non_null(c);
    assert_false(kv_cache_get(c, 1, "k", 1, 5, &v, &n));
    kv_cache_put(c, 1, "k", 1, 5, "value", 5);
    assert_true(kv_cache_get(c, 1, "k", 1, 5, &v, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(v, "value", 5);
    free(v);
    assert_false(kv_cache_get(c, 1, "k", 1, 6, &v, &n));  /* another generation */
    assert_false(kv_cache_get(c, 2, "k", 1, 5, &v, &n));  /* another table */
    assert_false(kv_cache_get(c, 1, "kk", 2, 5, &v, &n)); /* another key */
    kv_cache_put(c, 1, "e", 1, 5, "", 0);
    assert_true(kv_cache_get(c, 1, "e", 1, 5, &v, &n));
    assert_int_equal(n, 0);
    free(v);
    kv_cache_put(c, 1, "b", 1, 5, big, sizeof big);
    assert_false(kv_cache_get(c, 1, "b", 1, 5, NULL, &n));
    uint64_t h = 0, m = 0;
    kv_cache_stats(c, &h, &m);
    assert_int_equal(h, 2);
    assert_int_equal(m, 5);
    kv_cache_free(c);
    kv_cache_free(NULL);
}

/* A repeated read is a hit; a write, a delete and a prefix delete are
 * seen at once; a table not cached is never answered from memory. */
static void test_reads_and_writes(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    put(kv, "acct", "one");
    kv_expect(kv, "acct", "one");
    uint64_t h = hits(kv);
    kv_expect(kv, "acct", "one");
    assert_int_equal(hits(kv), h + 1);
    put(kv, "acct", "two");
    kv_expect(kv, "acct", "two");
    assert_int_equal(vn_kv_del(kv, 0, "acct", 4), VN_OK);
    kv_expect(kv, "acct", NULL);
    put(kv, "acct", "three");
    kv_expect(kv, "acct", "three");
    assert_int_equal(vn_kv_del_prefix(kv, 0, "", 0, NULL), VN_OK);
    kv_expect(kv, "acct", NULL);
    assert_int_equal(vn_kv_put(kv, 1, "p", 1, "x", 1), VN_OK);
    h = hits(kv);
    assert_int_equal(vn_kv_get(kv, 1, "p", 1, NULL, NULL), VN_OK);
    assert_int_equal(vn_kv_get(kv, 1, "p", 1, NULL, NULL), VN_OK);
    assert_int_equal(hits(kv), h);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* A put or delete is written through: the next read is answered from
 * memory and is the new value; a value too large to keep does not leave
 * the smaller one before it behind. */
static void test_written_through(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    char big[700];
    void *v = NULL;
    size_t n = 0;
    vn_kv *kv = open_tmp(dir);
    put(kv, "count", "1");
    uint64_t h = hits(kv);
    kv_expect(kv, "count", "1");
    assert_int_equal(hits(kv), h + 1);
    put(kv, "count", "2");
    kv_expect(kv, "count", "2");
    assert_int_equal(hits(kv), h + 2);
    memset(big, 'b', sizeof big);
    assert_int_equal(vn_kv_put(kv, 0, "count", 5, big, sizeof big), VN_OK);
    assert_int_equal(vn_kv_get(kv, 0, "count", 5, &v, &n), VN_OK);
    assert_int_equal(n, sizeof big);
    assert_memory_equal(v, big, n);
    free(v);
    put(kv, "count", "3");
    assert_int_equal(vn_kv_del(kv, 0, "count", 5), VN_OK);
    kv_expect(kv, "count", NULL);
    assert_int_equal(vn_kv_del(kv, 0, "count", 5), VN_ENOTFOUND);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* What a transaction wrote and read is forgotten when it ends without a
 * commit: an abort, a discarded sub-transaction, a failed write. */
static void test_undone_writes(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    put(kv, "acct", "kept");
    kv_expect(kv, "acct", "kept");

    assert_int_equal(vn_kv_begin(kv), VN_OK);
    put(kv, "acct", "aborted");
    kv_expect(kv, "acct", "aborted");
    kv_expect(kv, "acct", "aborted");
    vn_kv_abort(kv);
    kv_expect(kv, "acct", "kept");

    /* Written through and never read back, then undone. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    put(kv, "acct", "unread");
    assert_int_equal(vn_kv_del(kv, 0, "acct", 4), VN_OK);
    put(kv, "acct", "unread again");
    vn_kv_abort(kv);
    kv_expect(kv, "acct", "kept");

    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    put(kv, "acct", "sub");
    kv_expect(kv, "acct", "sub");
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    kv_expect(kv, "acct", "kept");
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    kv_expect(kv, "acct", "kept");

    /* A sub-transaction doomed by a failed write inside it. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    put(kv, "acct", "doomed");
    kv_expect(kv, "acct", "doomed");
    vn_kv_test_fail_put(kv, 1);
    assert_int_not_equal(vn_kv_put(kv, 0, "other", 5, "x", 1), VN_OK);
    vn_kv_test_fail_put(kv, 0);
    assert_int_not_equal(vn_kv_sub_end(kv, true), VN_OK);
    kv_expect(kv, "acct", "kept");
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    kv_expect(kv, "acct", "kept");
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

/* Another process (a child with its own environment) puts key "acct" =
 * val into the store at dir and exits. */
static void other_process_puts(const char *dir, const char *val)
{
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        vn_kv *other = NULL;
        int rc = vn_kv_open(&other, dir, dbs, 2, 0) == VN_OK &&
                         vn_kv_seal(other, seal_key, NULL) == VN_OK &&
                         vn_kv_put(other, 0, "acct", 4, val, strlen(val)) == VN_OK
                     ? 0
                     : 1;
        vn_kv_close(&other);
        _exit(rc);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Another process commits to the same store: the next read, in a fresh
 * snapshot or in a write transaction, sees its value. */
static void test_other_process(void **state)
{
    (void)state;
    char dir[TMPDIR_MAX];
    vn_kv *kv = open_tmp(dir);
    put(kv, "acct", "mine");
    kv_expect(kv, "acct", "mine");
    kv_expect(kv, "acct", "mine");
    other_process_puts(dir, "theirs");
    kv_expect(kv, "acct", "theirs");

    kv_expect(kv, "acct", "theirs");
    other_process_puts(dir, "again");
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    kv_expect(kv, "acct", "again");
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err keep_ws(void *ud, const uint8_t *ws, size_t len)
{
    uint8_t **copy = ud;
    *copy = malloc(len + 8);
    if (!*copy) return VN_ENOMEM;
    memcpy(*copy + 8, ws, len);
    memcpy(*copy, &len, sizeof len);
    return VN_OK;
}

/* A follower applies a write-set (hashed keys, sealed values): a value it
 * had cached under the key is not handed out again. */
static void test_applied_write_set(void **state)
{
    (void)state;
    char a_dir[TMPDIR_MAX], b_dir[TMPDIR_MAX];
    uint8_t *ws = NULL;
    size_t len = 0;
    vn_kv *a = open_tmp(a_dir), *b = open_tmp(b_dir);
    put(b, "acct", "old");
    kv_expect(b, "acct", "old");
    kv_expect(b, "acct", "old");
    vn_kv_capture(a, keep_ws, &ws);
    put(a, "acct", "new");
    vn_kv_capture(a, NULL, NULL);
    assert_non_null(ws);
    memcpy(&len, ws, sizeof len);
    assert_int_equal(vn_kv_begin(b), VN_OK);
    assert_int_equal(vn_kv_ws_apply(b, ws + 8, len), VN_OK);
    kv_expect(b, "acct", "new");
    assert_int_equal(vn_kv_commit(b), VN_OK);
    kv_expect(b, "acct", "new");
    free(ws);
    vn_kv_close(&a);
    vn_kv_close(&b);
    tmpdir_rm(a_dir);
    tmpdir_rm(b_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_alone),       cmocka_unit_test(test_reads_and_writes),
        cmocka_unit_test(test_undone_writes),     cmocka_unit_test(test_other_process),
        cmocka_unit_test(test_applied_write_set), cmocka_unit_test(test_written_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
