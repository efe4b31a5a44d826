#define _GNU_SOURCE /* memmem */
/* Unit tests of write-set capture in the LMDB key-value layer (the
 * replicated log's entries, server/cluster.c): what is recorded, that a
 * discarded sub-transaction drops its records, that the hook can refuse a
 * commit, that a write-set applied to a second store (sealed under the
 * same key) gives the same contents, and that garbage is refused. */
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
#include <stdbool.h>

static const char *const dbs[] = {"a", "b"};
static const uint8_t seal_key[32] = {7, 7, 7};

static vn_kv *open_tmp(char *dir, bool sealed)
{
    tmpdir_make(dir, "vn-kvws");
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    if (sealed) {
        size_t group[2] = {2, 0};
        assert_int_equal(vn_kv_seal(kv, seal_key, group), VN_OK);
    }
    return kv;
}

/* What the hook saw last, and what it answers. */
typedef struct hook {
    uint8_t *ws;
    size_t len;
    int calls;
    vn_err answer;
    vn_kv *kv;      /* when set, the hook writes "pos" into db 1 */
    int puts, dels; /* records counted by vn_kv_ws_each */
} hook;

static vn_err count_rec(void *ud, int op, int db, const uint8_t *k, size_t kl, const uint8_t *v,
                        size_t vl)
{
    hook *h = ud;
    if (op == VN_KV_WS_PUT) h->puts++;
    if (op == VN_KV_WS_DEL) h->dels++;
    return VN_OK;
}

static vn_err on_commit(void *ud, const uint8_t *ws, size_t len)
{
    hook *h = ud;
    free(h->ws);
    h->ws = malloc(len);
    assert_non_null(h->ws);
    memcpy(h->ws, ws, len);
    h->len = len;
    h->calls++;
    h->puts = h->dels = 0;
    assert_int_equal(vn_kv_ws_each(ws, len, 2, count_rec, h), VN_OK);
    if (h->kv && !h->answer) return vn_kv_put(h->kv, 1, "pos", 3, "42", 2);
    return h->answer;
}

static void test_capture_put_del(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir, false);
    hook h = {0};
    assert_int_equal(vn_kv_put(kv, 0, "gone", 4, "x", 1), VN_OK); /* before capture */
    vn_kv_capture(kv, on_commit, &h);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "k1", 2, "v1", 2), VN_OK);
    assert_int_equal(vn_kv_put(kv, 1, "k2", 2, "", 0), VN_OK);
    assert_int_equal(vn_kv_del(kv, 0, "gone", 4), VN_OK);
    assert_int_equal(vn_kv_del(kv, 0, "absent", 6), VN_ENOTFOUND); /* not recorded */
    assert_int_equal(h.calls, 0);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.puts, 2);
    assert_int_equal(h.dels, 1);
    /* 4+2+4+2 + 4+2+4+0 + 4+4 */
    assert_int_equal(h.len, 12 + 10 + 8);
    /* A transaction that writes nothing calls no hook. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_int_equal(h.calls, 1);
    /* A put outside a transaction is one of its own. */
    assert_int_equal(vn_kv_put(kv, 0, "k3", 2, "v3", 2), VN_OK);
    assert_int_equal(h.calls, 2);
    assert_int_equal(h.puts, 1);
    free(h.ws);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static void test_capture_sub_discard(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir, true);
    hook h = {0};
    vn_kv_capture(kv, on_commit, &h);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "kept", 4, "1", 1), VN_OK);
    assert_int_equal(vn_kv_sub_end(kv, true), VN_OK);
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "dropped", 7, "2", 1), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "dropped2", 8, "2", 1), VN_OK);
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    /* An abort inside a sub-transaction drops its records too. */
    assert_int_equal(vn_kv_sub_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "aborted", 7, "3", 1), VN_OK);
    vn_kv_abort(kv);
    assert_int_equal(vn_kv_sub_end(kv, false), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_int_equal(h.calls, 1);
    assert_int_equal(h.puts, 1);
    assert_int_equal(h.dels, 0);
    /* A discarded transaction records nothing for the next one. */
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "lost", 4, "4", 1), VN_OK);
    vn_kv_abort(kv);
    assert_int_equal(vn_kv_put(kv, 0, "next", 4, "5", 1), VN_OK);
    assert_int_equal(h.calls, 2);
    assert_int_equal(h.puts, 1);
    /* Stored keys are hashed: neither caller's key is in the write-set. */
    assert_null(memmem(h.ws, h.len, "next", 4));
    free(h.ws);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static void test_hook_refuses_and_writes(void **state)
{
    char dir[32];
    vn_kv *kv = open_tmp(dir, false);
    hook h = {.answer = VN_ETIMEOUT};
    vn_kv_capture(kv, on_commit, &h);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "k", 1, "v", 1), VN_OK);
    assert_int_equal(vn_kv_commit(kv), VN_ETIMEOUT);
    assert_false(vn_kv_in_txn(kv));
    assert_false(vn_kv_has(kv, 0, "k", 1)); /* refused: nothing stored */
    /* The hook's own write lands in the same transaction, uncaptured. */
    h.answer = VN_OK;
    h.kv = kv;
    assert_int_equal(vn_kv_put(kv, 0, "k", 1, "v", 1), VN_OK);
    assert_true(vn_kv_has(kv, 0, "k", 1));
    assert_true(vn_kv_has(kv, 1, "pos", 3));
    assert_int_equal(h.puts, 1);
    free(h.ws);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static vn_err collect(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    char *out = ud;
    size_t n = strlen(out);
    snprintf(out + n, 512 - n, "%.*s=%.*s;", (int)kl, (const char *)k, (int)vl, (const char *)v);
    return VN_OK;
}

static void test_apply_converges(void **state)
{
    char d1[32], d2[32], a[512] = "", b[512] = "";
    vn_kv *src = open_tmp(d1, true), *dst = open_tmp(d2, true);
    hook h = {0};
    vn_kv_capture(src, on_commit, &h);
    assert_int_equal(vn_kv_begin(src), VN_OK);
    assert_int_equal(vn_kv_put(src, 0, "ab1", 3, "one", 3), VN_OK);
    assert_int_equal(vn_kv_put(src, 0, "ab2", 3, "two", 3), VN_OK);
    assert_int_equal(vn_kv_put(src, 0, "cd1", 3, "three", 5), VN_OK);
    assert_int_equal(vn_kv_put(src, 1, "x", 1, "y", 1), VN_OK);
    assert_int_equal(vn_kv_commit(src), VN_OK);
    assert_int_equal(vn_kv_begin(dst), VN_OK);
    assert_int_equal(vn_kv_ws_apply(dst, h.ws, h.len), VN_OK);
    assert_int_equal(vn_kv_commit(dst), VN_OK);
    /* A prefix delete records each key it removes. */
    size_t n = 0;
    assert_int_equal(vn_kv_del_prefix(src, 0, "ab", 2, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(h.dels, 2);
    assert_int_equal(vn_kv_begin(dst), VN_OK);
    assert_int_equal(vn_kv_ws_apply(dst, h.ws, h.len), VN_OK);
    /* Applying it twice is harmless: deletes of absent keys. */
    assert_int_equal(vn_kv_ws_apply(dst, h.ws, h.len), VN_OK);
    assert_int_equal(vn_kv_commit(dst), VN_OK);
    for (int db = 0; db < 2; db++) {
        assert_int_equal(vn_kv_each(src, db, NULL, 0, collect, a), VN_OK);
        assert_int_equal(vn_kv_each(dst, db, NULL, 0, collect, b), VN_OK);
    }
    assert_string_equal(a, "cd1=three;x=y;");
    assert_string_equal(a, b);
    /* Outside a transaction, apply is refused. */
    assert_int_equal(vn_kv_ws_apply(dst, h.ws, h.len), VN_EINVAL);
    free(h.ws);
    vn_kv_close(&src);
    vn_kv_close(&dst);
    tmpdir_rm(d1);
    tmpdir_rm(d2);
}

static void test_garbage(void **state)
{
    /* put, db 0, key "k", value "v" */
    const uint8_t good[] = {1, 0, 1, 0, 'k', 1, 0, 0, 0, 'v'};
    assert_int_equal(vn_kv_ws_each(good, sizeof good, 2, NULL, NULL), VN_OK);
    assert_int_equal(vn_kv_ws_each(NULL, 0, 2, NULL, NULL), VN_OK);
    for (size_t cut = 1; cut < sizeof good; cut++)
        assert_int_equal(vn_kv_ws_each(good, cut, 2, NULL, NULL), VN_EPROTO);
    uint8_t bad[sizeof good];
    memcpy(bad, good, sizeof bad);
    bad[0] = 3; /* unknown op */
    assert_int_equal(vn_kv_ws_each(bad, sizeof bad, 2, NULL, NULL), VN_EPROTO);
    memcpy(bad, good, sizeof bad);
    bad[1] = 2; /* db beyond the store's */
    assert_int_equal(vn_kv_ws_each(bad, sizeof bad, 2, NULL, NULL), VN_EPROTO);
    memcpy(bad, good, sizeof bad);
    bad[2] = 0; /* empty key */
    assert_int_equal(vn_kv_ws_each(bad, sizeof bad, 2, NULL, NULL), VN_EPROTO);
    memcpy(bad, good, sizeof bad);
    bad[2] = 0xff, bad[3] = 0x01; /* key longer than LMDB allows */
    assert_int_equal(vn_kv_ws_each(bad, sizeof bad, 2, NULL, NULL), VN_EPROTO);
    memcpy(bad, good, sizeof bad);
    bad[8] = 0x7f; /* value length beyond the bytes and the limit */
    assert_int_equal(vn_kv_ws_each(bad, sizeof bad, 2, NULL, NULL), VN_EPROTO);
    /* A malformed write-set writes nothing, even its good first record. */
    char dir[32];
    vn_kv *kv = open_tmp(dir, false);
    uint8_t two[sizeof good * 2];
    memcpy(two, good, sizeof good);
    memcpy(two + sizeof good, good, sizeof good);
    two[sizeof good] = 9;
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    assert_int_equal(vn_kv_ws_apply(kv, two, sizeof two), VN_EPROTO);
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    assert_false(vn_kv_has(kv, 0, "k", 1));
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_put_del),
        cmocka_unit_test(test_capture_sub_discard),
        cmocka_unit_test(test_hook_refuses_and_writes),
        cmocka_unit_test(test_apply_converges),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
