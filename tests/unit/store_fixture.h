/* Shared by the store's unit tests: a server store in a fresh temporary
 * directory, sealed under a fixed test key, and a check that an id appears
 * nowhere in it (raw or as hex), made by walking every table in the clear
 * (on disk everything is sealed, so a raw walk would prove nothing). */
#ifndef VN_TEST_STORE_FIXTURE_H
#define VN_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"
#include "vn/sstore.h"
#include "vn/hex.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

/* The key of every test store. */
static const uint8_t store_test_key[32] = {
    0x76, 0x61, 0x6e, 0x67, 0x6e, 0x65, 0x74, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x6b, 0x65, 0x79,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

static vn_sstore *store_open_tmp(char dir[32])
{
    tmpdir_make(dir, "vn-store");
    vn_sstore *st = NULL;
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    return st;
}

static void store_rm_tmp(const char *dir)
{
    tmpdir_rm(dir);
}

static bool has_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp((const uint8_t *)hay + i, needle, m) == 0) return true;
    return false;
}

typedef struct traces_ctx {
    const uint8_t *id; /* the id looked for */
    char hex[VN_ACCOUNT_HEX + 1];
    const char *table; /* the table being walked */
    int hits;
} traces_ctx;

static vn_err traces_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                        bool *stop)
{
    (void)stop;
    traces_ctx *c = ud;
    if (has_bytes(key, klen, c->id, VN_ACCOUNT_LEN) ||
        has_bytes(val, vlen, c->id, VN_ACCOUNT_LEN) ||
        has_bytes(key, klen, c->hex, VN_ACCOUNT_HEX) ||
        has_bytes(val, vlen, c->hex, VN_ACCOUNT_HEX)) {
        printf("trace of %s in %s\n", c->hex, c->table);
        c->hits++;
    }
    return VN_OK;
}

/* Number of records, in any table of the closed store in dir, whose key or
 * value holds id raw or as hex; each hit is printed with its table. */
static int store_traces(const char *dir, const uint8_t id[VN_ACCOUNT_LEN])
{
    vn_sstore *st = NULL;
    traces_ctx c = {.id = id};
    vn_hex_encode(id, VN_ACCOUNT_LEN, c.hex);
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    for (int t = 0; t < vn_sstore_table_count(); t++) {
        c.table = vn_sstore_table_name(t);
        assert_int_equal(vn_sstore_walk(st, t, traces_cb, &c), VN_OK);
    }
    vn_sstore_close(&st);
    return c.hits;
}

#endif
