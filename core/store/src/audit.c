/* The audit table. */
#include "vn/audit.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_KEY_LEN                                                                              \
    (VN_ACCOUNT_LEN + 8 + VN_ACCOUNT_LEN + 1) /* participant, minute, reader, what */
#define READER_BATCH 1024                     /* most entries one pass of forget_reader collects */

const char *vn_audit_what_name(vn_audit_what what)
{
    switch (what) {
    case VN_AUDIT_CASE:
        return "case";
    case VN_AUDIT_CONTRACT:
        return "contract";
    case VN_AUDIT_EVENTS:
        return "events";
    case VN_AUDIT_ALERTS:
        return "alerts";
    }
    return "unknown";
}

vn_err vn_audit_record(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN],
                       const uint8_t reader[VN_ACCOUNT_LEN], vn_audit_what what, uint64_t now)
{
    uint8_t k[AUDIT_KEY_LEN];
    memcpy(k, participant, VN_ACCOUNT_LEN);
    vn_be_put64(k + VN_ACCOUNT_LEN, now / 60000 * 60000);
    memcpy(k + VN_ACCOUNT_LEN + 8, reader, VN_ACCOUNT_LEN);
    k[AUDIT_KEY_LEN - 1] = (uint8_t)what;
    return st_put(st, VN_DB_AUDIT, k, sizeof k, "", 0);
}

struct audit_ctx {
    vn_audit_fn fn; /* caller's callback */
    void *ud;
};

static vn_err audit_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct audit_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != AUDIT_KEY_LEN) return VN_ESTORE;
    return c->fn(c->ud, vn_be_get64(p + VN_ACCOUNT_LEN), p + VN_ACCOUNT_LEN + 8,
                 (vn_audit_what)p[AUDIT_KEY_LEN - 1]);
}

vn_err vn_audit_each(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_fn fn,
                     void *ud)
{
    struct audit_ctx c = {fn, ud};
    return st_each(st, VN_DB_AUDIT, participant, VN_ACCOUNT_LEN, audit_cb, &c);
}

/* Entries where account is the reader (inside other participants' logs)
 * are found by a scan, a batch at a time; deleting an account is rare. */
struct reader_ctx {
    const uint8_t *reader; /* the account being forgotten */
    size_t n;              /* keys collected */
    uint8_t keys[READER_BATCH][AUDIT_KEY_LEN];
};

static vn_err reader_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct reader_ctx *c = ud;
    if (kl != AUDIT_KEY_LEN ||
        memcmp((const uint8_t *)k + VN_ACCOUNT_LEN + 8, c->reader, VN_ACCOUNT_LEN) != 0)
        return VN_OK;
    memcpy(c->keys[c->n++], k, AUDIT_KEY_LEN);
    *stop = c->n == READER_BATCH;
    return VN_OK;
}

vn_err vn_audit_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    struct reader_ctx *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->reader = account;
    vn_err err = st_begin(st);
    if (err) goto out_free;
    if ((err = st_del_prefix(st, VN_DB_AUDIT, account, VN_ACCOUNT_LEN))) goto out_free;
    do {
        c->n = 0;
        err = st_each(st, VN_DB_AUDIT, NULL, 0, reader_cb, c);
        for (size_t i = 0; !err && i < c->n; i++)
            err = st_del(st, VN_DB_AUDIT, c->keys[i], AUDIT_KEY_LEN);
    } while (!err && c->n == READER_BATCH);
    /* A failed delete has aborted the transaction; the caller discards its
     * own on any error. */
    if (!err) err = st_commit(st);
out_free:
    free(c);
    return err;
}
