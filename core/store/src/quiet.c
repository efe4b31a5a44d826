/* The quiet and deferred tables. */
#include "vn/quiet.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define QUIET_REC_LEN    4                        /* start minute, end minute */
#define DEFERRED_KEY_LEN (2 * VN_ACCOUNT_LEN + 1) /* account, alert, kind */

vn_err vn_quiet_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint16_t *start_min,
                    uint16_t *end_min)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_QUIET, account, VN_ACCOUNT_LEN, &v, &n);
    if (!err && n != QUIET_REC_LEN) err = VN_ESTORE;
    if (!err) {
        const uint8_t *r = v;
        *start_min = (uint16_t)(r[0] << 8 | r[1]);
        *end_min = (uint16_t)(r[2] << 8 | r[3]);
    }
    free(v);
    return err;
}

vn_err vn_quiet_set(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint16_t start_min,
                    uint16_t end_min)
{
    if (start_min >= 1440 || end_min > 1440 || start_min == end_min) return VN_EINVAL;
    uint8_t v[QUIET_REC_LEN] = {(uint8_t)(start_min >> 8), (uint8_t)start_min,
                                (uint8_t)(end_min >> 8), (uint8_t)end_min};
    return st_put(st, VN_DB_QUIET, account, VN_ACCOUNT_LEN, v, sizeof v);
}

vn_err vn_quiet_clear(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    return st_drop(st, VN_DB_QUIET, account, VN_ACCOUNT_LEN);
}

static void deferred_key(uint8_t k[DEFERRED_KEY_LEN], const vn_deferred *d)
{
    memcpy(k, d->account, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, d->alert, VN_ACCOUNT_LEN);
    k[2 * VN_ACCOUNT_LEN] = d->kind;
}

vn_err vn_quiet_defer(vn_sstore *st, const vn_deferred *d)
{
    uint8_t k[DEFERRED_KEY_LEN];
    deferred_key(k, d);
    return st_put(st, VN_DB_DEFERRED, k, sizeof k, "", 0);
}

struct held {
    vn_deferred *d; /* found so far */
    size_t n, cap;
};

static vn_err held_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct held *h = ud;
    const uint8_t *p = k;
    if (kl != DEFERRED_KEY_LEN) return VN_OK;
    vn_err err = vn_array_reserve(&h->d, &h->cap, h->n + 1, sizeof *h->d, VN_DEFERRED_MAX);
    if (err) return err;
    vn_deferred *d = &h->d[h->n++];
    memcpy(d->account, p, VN_ACCOUNT_LEN);
    memcpy(d->alert, p + VN_ACCOUNT_LEN, VN_ACCOUNT_LEN);
    d->kind = p[2 * VN_ACCOUNT_LEN];
    return VN_OK;
}

vn_err vn_quiet_deferred(vn_sstore *st, vn_deferred **out, size_t *n)
{
    struct held h = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_DEFERRED, NULL, 0, held_cb, &h);
    if (err) {
        free(h.d);
        return err;
    }
    *out = h.d;
    *n = h.n;
    return VN_OK;
}

vn_err vn_quiet_undefer(vn_sstore *st, const vn_deferred *d)
{
    uint8_t k[DEFERRED_KEY_LEN];
    deferred_key(k, d);
    return st_drop(st, VN_DB_DEFERRED, k, sizeof k);
}

vn_err vn_quiet_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_del_prefix(st, VN_DB_DEFERRED, account, VN_ACCOUNT_LEN)) ||
        (err = st_drop(st, VN_DB_QUIET, account, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}
