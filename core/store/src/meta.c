/* The meta table: a few named values of the store itself. */
#include "vn/meta.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIGN_KEY       "sender_sign_key"
#define TEST_CLOCK_KEY "test_clock"
#define OFFSET_KEY     "clock_offset_ms"
#define FORMAT_KEY     "format"

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

vn_err vn_meta_set_format(vn_sstore *st)
{
    return put_format(st, VN_META_FORMAT);
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

vn_err vn_meta_upgrade(vn_sstore *st, uint32_t from)
{
    if (from >= VN_META_FORMAT) return VN_EINVAL;
    vn_err err = st_begin(st);
    for (uint32_t v = from; v < VN_META_FORMAT && !err; v++)
        err = upgrade_step(st, v);
    if (err) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    return st_commit(st);
}
