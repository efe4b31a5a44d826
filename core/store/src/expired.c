/* The expired table: receipts of envelopes that expired undelivered. */
#include "vn/expired.h"

#include "sstore_internal.h"
#include "vn/be.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_BATCH 1024 /* most receipts one sweep deletes */

vn_err vn_expired_add(vn_sstore *st, const uint8_t id[VN_MSGID_LEN], uint64_t now)
{
    uint8_t receipt[VN_EXPIRED_RECEIPT_LEN], day[8];
    vn_receipt_of(id, receipt);
    /* The day only: the minute of expiry would tell when the sweep ran. */
    vn_be_put64(day, now - now % VN_EXPIRED_DAY_MS);
    return st_put(st, VN_DB_EXPIRED, receipt, sizeof receipt, day, sizeof day);
}

struct list_walk {
    uint64_t since;   /* receipts of this day or later */
    uint32_t skip;    /* how many of them to pass over first */
    vn_expired_fn fn; /* the caller's callback */
    void *ud;         /* and its data */
    size_t n;         /* handed over */
    bool more;        /* some were left out */
};

static vn_err list_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct list_walk *w = ud;
    if (kl != VN_EXPIRED_RECEIPT_LEN || vl != 8) return VN_OK;
    uint64_t day = vn_be_get64(v);
    if (day < w->since) return VN_OK;
    if (w->skip > 0) {
        w->skip--;
        return VN_OK;
    }
    if (w->n == VN_EXPIRED_LIST_MAX) {
        w->more = true;
        *stop = true;
        return VN_OK;
    }
    w->n++;
    return w->fn(w->ud, k, day);
}

vn_err vn_expired_list(vn_sstore *st, uint64_t since_ms, uint32_t offset, vn_expired_fn fn,
                       void *ud, bool *more)
{
    struct list_walk w = {since_ms - since_ms % VN_EXPIRED_DAY_MS, offset, fn, ud, 0, false};
    /* The table holds a month of expiries at most: a whole walk. */
    vn_err err = st_each(st, VN_DB_EXPIRED, NULL, 0, list_cb, &w);
    if (more) *more = w.more;
    return err;
}

struct sweep_walk {
    uint64_t cutoff;                         /* older days go */
    uint8_t (*keys)[VN_EXPIRED_RECEIPT_LEN]; /* found */
    size_t n;                                /* how many */
};

static vn_err sweep_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct sweep_walk *w = ud;
    if (kl != VN_EXPIRED_RECEIPT_LEN || (vl == 8 && vn_be_get64(v) >= w->cutoff)) return VN_OK;
    memcpy(w->keys[w->n++], k, VN_EXPIRED_RECEIPT_LEN);
    *stop = w->n == SWEEP_BATCH;
    return VN_OK;
}

static vn_err sweep(vn_sstore *st, uint64_t now, vn_kv_pos *pos, size_t max, size_t *n)
{
    struct sweep_walk w = {now > VN_EXPIRED_KEEP_MS ? now - VN_EXPIRED_KEEP_MS : 0, NULL, 0};
    *n = 0;
    if (!(w.keys = malloc(SWEEP_BATCH * sizeof *w.keys))) return VN_ENOMEM;
    vn_err err = pos ? st_each_from(st, VN_DB_EXPIRED, NULL, 0, pos,
                                    max < SWEEP_BATCH ? max : SWEEP_BATCH, sweep_cb, &w)
                     : st_each(st, VN_DB_EXPIRED, NULL, 0, sweep_cb, &w);
    /* A walk cannot delete as it goes; the drops run in the caller's
     * transaction. */
    for (size_t i = 0; !err && i < w.n; i++)
        err = st_drop(st, VN_DB_EXPIRED, w.keys[i], VN_EXPIRED_RECEIPT_LEN);
    if (!err) *n = w.n;
    free(w.keys);
    return err;
}

vn_err vn_expired_sweep(vn_sstore *st, uint64_t now, size_t *n)
{
    return sweep(st, now, NULL, 0, n);
}

vn_err vn_expired_sweep_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now, size_t *n)
{
    return sweep(st, now, pos, max, n);
}
