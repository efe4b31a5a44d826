/* Unit tests of vn_kv_each_from, the walk in bounded steps: every record
 * once, no step past its bound, a prefix kept to, on plain and sealed
 * stores, while the table changes between steps and inside them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tmpdir.h"
#include "vn/be.h"
#include "vn/kv.h"

#define N 1000 /* records per group: several LMDB pages */

static const char *const dbs[] = {"a", "b"};

static vn_kv *open_tmp(char *dir, bool sealed)
{
    static const size_t group[2] = {4, 0};
    uint8_t key[32];
    tmpdir_make(dir, "vn-kvwalk");
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_open(&kv, dir, dbs, 2, 0), VN_OK);
    memset(key, 7, sizeof key);
    if (sealed) assert_int_equal(vn_kv_seal(kv, key, group), VN_OK);
    return kv;
}

/* Keys: a 4-byte group, then a 4-byte number. */
static void put(vn_kv *kv, uint32_t group, uint32_t i)
{
    uint8_t k[8];
    vn_be_put32(k, group);
    vn_be_put32(k + 4, i);
    assert_int_equal(vn_kv_put(kv, 0, k, sizeof k, k + 4, 4), VN_OK);
}

static void del(vn_kv *kv, uint32_t group, uint32_t i)
{
    uint8_t k[8];
    vn_be_put32(k, group);
    vn_be_put32(k + 4, i);
    assert_int_equal(vn_kv_del(kv, 0, k, sizeof k), VN_OK);
}

typedef struct seen {
    uint32_t group;       /* the only group expected */
    unsigned hits[2 * N]; /* visits per number */
    size_t calls;         /* records handed over in this step */
    uint32_t fail_at;     /* fn fails on this number once (UINT32_MAX: never) */
    vn_kv *write_to;      /* when set, fn writes a new record for each one seen */
    uint32_t last;        /* the last number seen, for the plain store's order */
    bool ordered;         /* numbers must come in increasing order */
    bool any;             /* a number was seen */
} seen;

static vn_err seen_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    seen *s = ud;
    (void)stop;
    assert_int_equal(kl, 8);
    assert_int_equal(vl, 4);
    assert_int_equal(vn_be_get32(k), s->group);
    uint32_t i = vn_be_get32((const uint8_t *)k + 4);
    assert_int_equal(vn_be_get32(v), i);
    assert_true(i < 2 * N);
    if (i == s->fail_at) {
        s->fail_at = UINT32_MAX;
        return VN_EIO;
    }
    if (s->ordered && s->any) assert_true(i > s->last);
    s->last = i;
    s->any = true;
    s->hits[i]++;
    s->calls++;
    if (s->write_to && i < N) put(s->write_to, s->group, N + i);
    return VN_OK;
}

/* Walks group (prefix of 4 bytes) in steps of at most step records. */
static size_t walk(vn_kv *kv, seen *s, size_t step)
{
    vn_kv_pos pos;
    uint8_t prefix[4];
    size_t steps = 0;
    vn_be_put32(prefix, s->group);
    vn_kv_pos_reset(&pos);
    while (!pos.done) {
        s->calls = 0;
        vn_err err = vn_kv_each_from(kv, 0, prefix, sizeof prefix, &pos, step, seen_cb, s);
        assert_true(err == VN_OK || err == VN_EIO);
        assert_true(s->calls <= step);
        assert_true(++steps <= 4 * N);
    }
    return steps;
}

static void fill(vn_kv *kv)
{
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    for (uint32_t i = 0; i < N; i++) {
        put(kv, 1, i);
        put(kv, 2, i);
    }
    assert_int_equal(vn_kv_commit(kv), VN_OK);
}

static void every_record_once(bool sealed)
{
    char dir[64];
    vn_kv *kv = open_tmp(dir, sealed);
    fill(kv);
    seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    *s = (seen){.group = 2, .fail_at = 500, .ordered = !sealed};
    /* Steps of 7: N / 7 + 1 of them; the one that failed is done again. */
    size_t steps = walk(kv, s, 7);
    assert_in_range(steps, N / 7 + 1, N / 7 + 2);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(s->hits[i], 1);
    free(s);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static void test_plain(void **state)
{
    (void)state;
    every_record_once(false);
}

static void test_sealed(void **state)
{
    (void)state;
    every_record_once(true);
}

/* Records deleted before the walk reaches them are not seen, records
 * added meanwhile at most once, every other exactly once. */
static void changes_between_steps(bool sealed)
{
    char dir[64];
    vn_kv *kv = open_tmp(dir, sealed);
    fill(kv);
    seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    *s = (seen){.group = 1, .fail_at = UINT32_MAX};
    vn_kv_pos pos;
    uint8_t prefix[4];
    vn_be_put32(prefix, 1);
    vn_kv_pos_reset(&pos);
    uint32_t added = N;
    bool deleted[N] = {false};
    for (size_t steps = 0; !pos.done; steps++) {
        assert_true(steps < 4 * N);
        assert_int_equal(vn_kv_each_from(kv, 0, prefix, 4, &pos, 10, seen_cb, s), VN_OK);
        /* One unseen record goes, one new comes, every step. */
        for (uint32_t i = (uint32_t)(steps * 37) % N; i < N; i++)
            if (!s->hits[i] && !deleted[i]) {
                del(kv, 1, i);
                deleted[i] = true;
                break;
            }
        if (added < 2 * N) put(kv, 1, added++);
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(s->hits[i], deleted[i] ? 0 : 1);
    for (uint32_t i = N; i < 2 * N; i++)
        assert_true(s->hits[i] <= 1);
    free(s);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

static void test_changes_plain(void **state)
{
    (void)state;
    changes_between_steps(false);
}

static void test_changes_sealed(void **state)
{
    (void)state;
    changes_between_steps(true);
}

/* Inside a write transaction fn writes to the table it walks: every
 * record that was there is still seen once. */
static void test_writes_inside(void **state)
{
    (void)state;
    for (int sealed = 0; sealed < 2; sealed++) {
        char dir[64];
        vn_kv *kv = open_tmp(dir, sealed);
        fill(kv);
        seen *s = calloc(1, sizeof *s);
        assert_non_null(s);
        *s = (seen){.group = 2, .fail_at = UINT32_MAX, .write_to = kv};
        assert_int_equal(vn_kv_begin(kv), VN_OK);
        walk(kv, s, 64);
        assert_int_equal(vn_kv_commit(kv), VN_OK);
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(s->hits[i], 1);
        for (uint32_t i = N; i < 2 * N; i++)
            assert_true(s->hits[i] <= 1);
        free(s);
        vn_kv_close(&kv);
        tmpdir_rm(dir);
    }
}

static vn_err stop_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    (*(size_t *)ud)++;
    *stop = true;
    return VN_OK;
}

/* Without a prefix the walk goes through both groups; stop ends a step
 * after its record; a bad position is refused. */
static void test_whole_table_and_stop(void **state)
{
    (void)state;
    char dir[64];
    vn_kv *kv = open_tmp(dir, true);
    fill(kv);
    vn_kv_pos pos;
    vn_kv_pos_reset(&pos);
    size_t got = 0, steps = 0;
    while (!pos.done) {
        assert_int_equal(vn_kv_each_from(kv, 0, NULL, 0, &pos, 100, stop_cb, &got), VN_OK);
        assert_int_equal(got, ++steps);
    }
    assert_int_equal(got, 2 * N);
    assert_int_equal(vn_kv_each_from(kv, 0, NULL, 0, &pos, 100, stop_cb, &got), VN_OK);
    assert_int_equal(got, 2 * N);
    pos.done = false;
    pos.len = VN_KV_POS_MAX + 1;
    assert_int_equal(vn_kv_each_from(kv, 0, NULL, 0, &pos, 100, stop_cb, &got), VN_EINVAL);
    vn_kv_close(&kv);
    tmpdir_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),         cmocka_unit_test(test_sealed),
        cmocka_unit_test(test_changes_plain), cmocka_unit_test(test_changes_sealed),
        cmocka_unit_test(test_writes_inside), cmocka_unit_test(test_whole_table_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
