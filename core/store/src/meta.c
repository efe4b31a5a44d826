/* The meta table: a few named values of the store itself. */
#include "vn/meta.h"

#include "sstore_internal.h"
#include "vn/util.h"

#include <stdlib.h>

#define SEQ_KEY        "mail_seq"
#define TEST_CLOCK_KEY "test_clock"
#define OFFSET_KEY     "clock_offset_ms"

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
            *v = vn_get_be64(raw);
        else
            err = VN_ESTORE;
    }
    free(raw);
    return err;
}

static vn_err put_u64(vn_sstore *st, const char *key, size_t klen, uint64_t v)
{
    uint8_t b[8];
    vn_put_be64(b, v);
    return st_put(st, VN_DB_META, key, klen, b, sizeof b);
}

vn_err st_next_seq(vn_sstore *st, uint64_t *seq)
{
    vn_err err = get_u64(st, SEQ_KEY, sizeof SEQ_KEY - 1, seq);
    if (err) return err;
    ++*seq;
    return put_u64(st, SEQ_KEY, sizeof SEQ_KEY - 1, *seq);
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
