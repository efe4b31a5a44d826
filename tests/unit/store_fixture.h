/* Shared by the store's unit tests: a server store in a fresh temporary
 * directory, and a check that an id appears nowhere in it (raw or as hex),
 * made by walking every LMDB database directly. */
#ifndef VN_TEST_STORE_FIXTURE_H
#define VN_TEST_STORE_FIXTURE_H

#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vn/sstore.h"
#include "vn/util.h"

static vn_sstore *store_open_tmp(char dir[32])
{
    memcpy(dir, "/tmp/vn-store-XXXXXX", sizeof "/tmp/vn-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    vn_sstore *st = NULL;
    assert_int_equal(vn_sstore_open(&st, dir, 0), VN_OK);
    return st;
}

static void store_rm_tmp(const char *dir)
{
    char path[64];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

static bool has_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp((const uint8_t *)hay + i, needle, m) == 0) return true;
    return false;
}

/* Number of records, in any database of the closed store in dir, whose key
 * or value holds id raw or as hex; each hit is printed with its database. */
static int store_traces(const char *dir, const uint8_t id[VN_ACCOUNT_LEN])
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi main_db;
    MDB_cursor *names;
    MDB_val k, v;
    char hex[VN_ACCOUNT_HEX + 1];
    int hits = 0;
    vn_hex_encode(id, VN_ACCOUNT_LEN, hex);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 64), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &main_db), 0);
    assert_int_equal(mdb_cursor_open(txn, main_db, &names), 0);
    while (mdb_cursor_get(names, &k, &v, MDB_NEXT) == 0) {
        char name[64];
        MDB_dbi dbi;
        MDB_cursor *cur;
        MDB_val rk, rv;
        if (k.mv_size >= sizeof name) continue;
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        if (mdb_dbi_open(txn, name, 0, &dbi) != 0) continue;
        assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
        while (mdb_cursor_get(cur, &rk, &rv, MDB_NEXT) == 0) {
            if (has_bytes(rk.mv_data, rk.mv_size, id, VN_ACCOUNT_LEN) ||
                has_bytes(rv.mv_data, rv.mv_size, id, VN_ACCOUNT_LEN) ||
                has_bytes(rk.mv_data, rk.mv_size, hex, VN_ACCOUNT_HEX) ||
                has_bytes(rv.mv_data, rv.mv_size, hex, VN_ACCOUNT_HEX)) {
                printf("trace of %s in %s\n", hex, name);
                hits++;
            }
        }
        mdb_cursor_close(cur);
    }
    mdb_cursor_close(names);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return hits;
}

#endif
