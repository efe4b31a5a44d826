/* The audit table: participant|entry id -> sealed entry. */
#include "vn/audit.h"

#include "sstore_internal.h"
#include "vn/rand.h"
#include "vn/account.h"

#include <string.h>

#define AUDIT_ID_LEN  VN_AUDIT_ID_LEN
#define AUDIT_KEY_LEN (VN_ACCOUNT_LEN + AUDIT_ID_LEN)

/* The key holds no time, reader or what: the kv layer keeps a key's clear
 * bytes inside its sealed value, where whoever holds the store key reads
 * them. A random id instead of a time also means the log's order in the
 * store says nothing about when each read happened. */
vn_err vn_audit_put(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], const uint8_t *box,
                    size_t len)
{
    uint8_t k[AUDIT_KEY_LEN];
    if (len == 0) return VN_EINVAL;
    if (len > VN_AUDIT_BOX_MAX) return VN_ETOOBIG;
    memcpy(k, participant, VN_ACCOUNT_LEN);
    vn_err err = vn_rand_bytes(k + VN_ACCOUNT_LEN, AUDIT_ID_LEN);
    if (err) return err;
    return st_put(st, VN_DB_AUDIT, k, sizeof k, box, len);
}

struct audit_ctx {
    vn_audit_fn fn; /* caller's callback */
    void *ud;
};

static vn_err audit_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct audit_ctx *c = ud;
    if (kl != AUDIT_KEY_LEN || vl == 0 || vl > VN_AUDIT_BOX_MAX) return VN_ESTORE;
    return c->fn(c->ud, v, vl);
}

vn_err vn_audit_each(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_fn fn,
                     void *ud)
{
    struct audit_ctx c = {fn, ud};
    return st_each(st, VN_DB_AUDIT, participant, VN_ACCOUNT_LEN, audit_cb, &c);
}

vn_err vn_audit_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    return st_del_prefix(st, VN_DB_AUDIT, account, VN_ACCOUNT_LEN);
}

struct page_ctx {
    vn_audit_fn fn; /* caller's callback */
    void *ud;
    const uint8_t *after; /* entries up to this id were on earlier pages */
    size_t limit, given, rest;
    uint8_t *last;
};

static vn_err page_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct page_ctx *c = ud;
    const uint8_t *id = (const uint8_t *)k + VN_ACCOUNT_LEN;
    (void)stop;
    if (kl != AUDIT_KEY_LEN || vl == 0 || vl > VN_AUDIT_BOX_MAX) return VN_ESTORE;
    if (c->after && memcmp(id, c->after, AUDIT_ID_LEN) <= 0) return VN_OK;
    if (c->given == c->limit) {
        c->rest++;
        return VN_OK;
    }
    c->given++;
    memcpy(c->last, id, AUDIT_ID_LEN);
    return c->fn(c->ud, v, vl);
}

/* The store hands a group's entries over in key order, so the page is
 * the first `limit` after the cursor. */
vn_err vn_audit_page(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], const uint8_t *after,
                     size_t limit, vn_audit_fn fn, void *ud, uint8_t last[VN_AUDIT_ID_LEN],
                     size_t *rest)
{
    struct page_ctx c = {fn, ud, after, limit, 0, 0, last};
    memset(last, 0, AUDIT_ID_LEN);
    vn_err err = st_each(st, VN_DB_AUDIT, participant, VN_ACCOUNT_LEN, page_cb, &c);
    *rest = c.rest;
    return err;
}
