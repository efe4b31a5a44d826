/* The opnonces table (vn/opnonce.h). */
#include "vn/opnonce.h"

#include "sstore_internal.h"
#include "vn/be.h"

#include <stdbool.h>
#include <stdlib.h>

#define REC_LEN 8 /* the request's time, ms */

vn_err vn_opnonce_put(vn_sstore *st, const uint8_t nonce[VN_OPNONCE_LEN], uint64_t time_ms)
{
    uint8_t rec[REC_LEN];
    vn_be_put64(rec, time_ms);
    return st_put(st, VN_DB_OPNONCES, nonce, VN_OPNONCE_LEN, rec, sizeof rec);
}

vn_err vn_opnonce_get(vn_sstore *st, const uint8_t nonce[VN_OPNONCE_LEN], uint64_t *time_ms)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_OPNONCES, nonce, VN_OPNONCE_LEN, &v, &n);
    if (!err && n != REC_LEN) err = VN_ESTORE;
    if (!err) *time_ms = vn_be_get64(v);
    free(v);
    return err;
}

/* The sweep's bound, and how many records are before it. */
typedef struct tally {
    uint64_t before;
    size_t n;
} tally;

static bool stale(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    const tally *t = ud;
    (void)k;
    return kl != VN_OPNONCE_LEN || vl != REC_LEN || vn_be_get64(v) < t->before;
}

static vn_err stale_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    tally *t = ud;
    (void)stop;
    if (stale(t, k, kl, v, vl)) t->n++;
    return VN_OK;
}

vn_err vn_opnonce_count(vn_sstore *st, size_t *n)
{
    return vn_kv_count(st->kv, VN_DB_OPNONCES, n);
}

vn_err vn_opnonce_sweep(vn_sstore *st, uint64_t before, size_t *dropped)
{
    tally t = {.before = before ? before : 1};
    if (dropped) *dropped = 0;
    /* A read first: the writer sweeps often, and a write transaction that
     * deletes nothing is still one. */
    vn_err err = st_each(st, VN_DB_OPNONCES, NULL, 0, stale_cb, &t);
    if (err || !t.n) return err;
    if ((err = st_begin(st))) return err;
    if ((err = st_del_where(st, VN_DB_OPNONCES, stale, &t))) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    if ((err = st_commit(st))) return err;
    if (dropped) *dropped = t.n;
    return VN_OK;
}
