/* The meta table: a few named values of the store itself. */
#include "vn/meta.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SIGN_KEY       "sender_sign_key"
#define TEST_CLOCK_KEY "test_clock"
#define OFFSET_KEY     "clock_offset_ms"
#define FORMAT_KEY     "format"
#define LOG_SEQ_KEY    "cluster_log_seq"

/* Reads an 8-byte number; *v is 0 if the key is absent. */
static vn_err get_u64(vn_sstore *st, const char *key, size_t klen, uint64_t *v)
{
    void *raw = NULL;
    size_t n = 0;
    *v = 0;
    vn_err err = st_get(st, VN_DB_META, key, klen, &raw, &n);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err) {
        if (n == 8)
            *v = vn_be_get64(raw);
        else
            err = VN_ESTORE;
    }
    free(raw);
    return err;
}

static vn_err put_u64(vn_sstore *st, const char *key, size_t klen, uint64_t v)
{
    uint8_t b[8];
    vn_be_put64(b, v);
    return st_put(st, VN_DB_META, key, klen, b, sizeof b);
}

/* The server's sender-certificate signing key: made once, on the first
 * call, and kept here so that the store's sealing at rest covers it. */
vn_err vn_meta_signing_key(vn_sstore *st, uint8_t pub[VN_META_SIGN_PUB_LEN],
                           uint8_t sec[VN_META_SIGN_SEC_LEN], bool *made)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_META, SIGN_KEY, sizeof SIGN_KEY - 1, (void **)&raw, &n);
    if (err == VN_OK && n != VN_META_SIGN_SEC_LEN) err = VN_ESTORE;
    if (err == VN_OK) memcpy(sec, raw, VN_META_SIGN_SEC_LEN);
    if (raw) explicit_bzero(raw, n);
    free(raw);
    *made = err == VN_ENOTFOUND;
    if (err == VN_ENOTFOUND) {
        if (sodium_init() < 0 || crypto_sign_keypair(pub, sec) != 0) return VN_ECRYPTO;
        err = st_put(st, VN_DB_META, SIGN_KEY, sizeof SIGN_KEY - 1, sec, VN_META_SIGN_SEC_LEN);
    }
    /* libsodium's secret key ends with its public key. */
    if (!err) memcpy(pub, sec + VN_META_SIGN_SEC_LEN - VN_META_SIGN_PUB_LEN, VN_META_SIGN_PUB_LEN);
    return err;
}

bool vn_meta_test_clock(vn_sstore *st)
{
    return st_has(st, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1);
}

vn_err vn_meta_set_test_clock(vn_sstore *st, bool on)
{
    if (on) return st_put(st, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1, "1", 1);
    return st_drop(st, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1);
}

vn_err vn_meta_clock_offset(vn_sstore *st, uint64_t *offset_ms)
{
    return get_u64(st, OFFSET_KEY, sizeof OFFSET_KEY - 1, offset_ms);
}

vn_err vn_meta_set_clock_offset(vn_sstore *st, uint64_t offset_ms)
{
    return put_u64(st, OFFSET_KEY, sizeof OFFSET_KEY - 1, offset_ms);
}

vn_err vn_meta_format(vn_sstore *st, uint32_t *version)
{
    void *raw = NULL;
    size_t n = 0;
    *version = 0;
    vn_err err = st_get(st, VN_DB_META, FORMAT_KEY, sizeof FORMAT_KEY - 1, &raw, &n);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err && n != 4) err = VN_ESTORE;
    if (!err) *version = vn_be_get32(raw);
    free(raw);
    return err;
}

static vn_err put_format(vn_sstore *st, uint32_t version)
{
    uint8_t b[4];
    vn_be_put32(b, version);
    return st_put(st, VN_DB_META, FORMAT_KEY, sizeof FORMAT_KEY - 1, b, sizeof b);
}

/* Format 0 -> 1: the records stay as they are; the store gains its format
 * record. A later format adds its step here, each on the result of the
 * one before. */
static vn_err upgrade_step(vn_sstore *st, uint32_t from)
{
    switch (from) {
    case 0:
        return put_format(st, 1);
    default:
        return VN_EVERSION;
    }
}

/* Moves a store of format from forward, step by step, in one write
 * transaction: on error nothing of it is kept. */
static vn_err upgrade(vn_sstore *st, uint32_t from)
{
    vn_err err = st_begin(st);
    for (uint32_t v = from; v < VN_META_FORMAT && !err; v++)
        err = upgrade_step(st, v);
    if (err) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    return st_commit(st);
}

/* Keeps a compacted copy of the store as it is, named with its format and
 * the time (dir/data-format0-20261205T103000Z.mdb), then moves it forward. */
static vn_err keep_and_upgrade(vn_sstore *st, const char *dir, vn_meta_format_info *info)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    snprintf(info->kept, sizeof info->kept, "%s/data-format%u-%s.mdb", dir, (unsigned)info->found,
             stamp);
    vn_err err = vn_kv_copy(st->kv, info->kept);
    if (!err) err = upgrade(st, info->found);
    info->upgraded = !err;
    return err;
}

/* A store that holds nothing but its key check was made just now. */
static vn_err is_new(vn_sstore *st, bool *fresh)
{
    size_t total = 0;
    for (int db = 0; db < VN_DB_COUNT; db++) {
        size_t n = 0;
        vn_err err = vn_kv_count(st->kv, db, &n);
        if (err) return err;
        total += n;
    }
    *fresh = total <= 1;
    return VN_OK;
}

vn_err vn_meta_open(vn_sstore **out, const char *dir, size_t mapsize, const uint8_t key[32],
                    bool upgrade_it, vn_meta_format_info *info)
{
    vn_sstore *st = NULL;
    bool fresh = false;
    memset(info, 0, sizeof *info);
    vn_err err = vn_sstore_open(&st, dir, mapsize, key);
    if (err) return err;
    if ((err = vn_meta_format(st, &info->found))) goto fail;
    if (info->found == 0 && (err = is_new(st, &fresh))) goto fail;
    if (fresh) {
        info->found = VN_META_FORMAT;
        if ((err = put_format(st, VN_META_FORMAT))) goto fail;
    }
    info->newer = info->found > VN_META_FORMAT;
    if (info->newer) {
        err = VN_EVERSION;
        goto fail;
    }
    if (upgrade_it && info->found < VN_META_FORMAT && (err = keep_and_upgrade(st, dir, info)))
        goto fail;
    *out = st;
    return VN_OK;
fail:
    vn_sstore_close(&st);
    return err;
}

vn_err vn_meta_log_seq(vn_sstore *st, uint64_t *seq)
{
    return get_u64(st, LOG_SEQ_KEY, sizeof LOG_SEQ_KEY - 1, seq);
}

vn_err vn_meta_set_log_seq(vn_sstore *st, uint64_t seq)
{
    return put_u64(st, LOG_SEQ_KEY, sizeof LOG_SEQ_KEY - 1, seq);
}
