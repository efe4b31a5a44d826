/* The alerts table. */
#include "vn/alerts.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/rand.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define ALERT_REC_LEN                                                                              \
    60 /* case, kind, severity, state, level, created, claimer, acked, level time */

const char *vn_alerts_kind_name(uint8_t kind)
{
    return kind == VN_ALERT_SOS ? "sos" : kind == VN_ALERT_SIGNAL ? "signal" : "unknown";
}

const char *vn_alerts_state_name(uint8_t state)
{
    switch (state) {
    case VN_ALERT_OPEN:
        return "open";
    case VN_ALERT_CLAIMED:
        return "claimed";
    case VN_ALERT_ACKED:
        return "acknowledged";
    }
    return "unknown";
}

static void pack(const vn_alert *a, uint8_t r[ALERT_REC_LEN])
{
    memcpy(r, a->case_id, VN_ACCOUNT_LEN);
    r[16] = a->kind;
    r[17] = a->severity;
    r[18] = a->state;
    r[19] = a->level;
    vn_be_put64(r + 20, a->created_ms);
    memcpy(r + 28, a->claimed_by, VN_ACCOUNT_LEN);
    vn_be_put64(r + 44, a->acked_ms);
    vn_be_put64(r + 52, a->level_ms);
}

static void unpack(const uint8_t id[VN_ALERT_ID_LEN], const uint8_t r[ALERT_REC_LEN], vn_alert *a)
{
    memcpy(a->id, id, VN_ALERT_ID_LEN);
    memcpy(a->case_id, r, VN_ACCOUNT_LEN);
    a->kind = r[16];
    a->severity = r[17];
    a->state = r[18];
    a->level = r[19];
    a->created_ms = vn_be_get64(r + 20);
    memcpy(a->claimed_by, r + 28, VN_ACCOUNT_LEN);
    a->acked_ms = vn_be_get64(r + 44);
    a->level_ms = vn_be_get64(r + 52);
}

static void index_key(const uint8_t case_id[VN_ACCOUNT_LEN], const uint8_t id[VN_ALERT_ID_LEN],
                      uint8_t k[VN_ACCOUNT_LEN + VN_ALERT_ID_LEN])
{
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, id, VN_ALERT_ID_LEN);
}

vn_err vn_alerts_delete(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN])
{
    uint8_t k[VN_ACCOUNT_LEN + VN_ALERT_ID_LEN];
    vn_alert a;
    vn_err err = vn_alerts_get(st, id, &a);
    if (err) return err;
    index_key(a.case_id, id, k);
    err = st_del(st, VN_DB_ALERTSBYCASE, k, sizeof k);
    /* An alert stored before the index existed has no entry. */
    if (err == VN_ENOTFOUND) err = VN_OK;
    return err ? err : st_del(st, VN_DB_ALERTS, id, VN_ALERT_ID_LEN);
}

/* The index entry is written with every put: an alert never changes case,
 * and rewriting it also indexes alerts stored before the index existed. */
vn_err vn_alerts_put(vn_sstore *st, const vn_alert *a)
{
    uint8_t r[ALERT_REC_LEN], k[VN_ACCOUNT_LEN + VN_ALERT_ID_LEN];
    pack(a, r);
    index_key(a->case_id, a->id, k);
    vn_err err = st_put(st, VN_DB_ALERTSBYCASE, k, sizeof k, "", 0);
    return err ? err : st_put(st, VN_DB_ALERTS, a->id, VN_ALERT_ID_LEN, r, sizeof r);
}

vn_err vn_alerts_create(vn_sstore *st, vn_alert *a)
{
    vn_err err;
    do {
        if ((err = vn_rand_bytes(a->id, VN_ALERT_ID_LEN))) return err;
    } while (st_has(st, VN_DB_ALERTS, a->id, VN_ALERT_ID_LEN));
    return vn_alerts_put(st, a);
}

vn_err vn_alerts_get(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN], vn_alert *a)
{
    void *v = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_ALERTS, id, VN_ALERT_ID_LEN, &v, &n);
    if (err) return err;
    if (n == ALERT_REC_LEN)
        unpack(id, v, a);
    else
        err = VN_ESTORE;
    free(v);
    return err;
}

struct all_ctx {
    vn_alert *a; /* collected alerts */
    size_t n, cap;
};

static vn_err collect_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct all_ctx *c = ud;
    if (kl != VN_ALERT_ID_LEN || vl != ALERT_REC_LEN) return VN_ESTORE;
    vn_err err = vn_array_reserve(&c->a, &c->cap, c->n + 1, sizeof *c->a, VN_ALERTS_MAX);
    if (err) return err;
    unpack(k, v, &c->a[c->n++]);
    return VN_OK;
}

/* Collects first, then calls back, so callbacks may write. */
vn_err vn_alerts_each(vn_sstore *st, vn_alerts_fn fn, void *ud)
{
    struct all_ctx c = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ALERTS, NULL, 0, collect_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++)
        err = fn(ud, &c.a[i]);
    free(c.a);
    return err;
}

struct ids_ctx {
    uint8_t (*ids)[VN_ALERT_ID_LEN]; /* alert ids of the case */
    size_t n, cap;
};

static vn_err ids_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct ids_ctx *c = ud;
    (void)v;
    (void)stop;
    if (kl != VN_ACCOUNT_LEN + VN_ALERT_ID_LEN || vl != 0) return VN_ESTORE;
    vn_err err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, VN_ALERTS_MAX);
    if (err) return err;
    memcpy(c->ids[c->n++], (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ALERT_ID_LEN);
    return VN_OK;
}

vn_err vn_alerts_each_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_alerts_fn fn,
                           void *ud)
{
    struct ids_ctx c = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ALERTSBYCASE, case_id, VN_ACCOUNT_LEN, ids_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++) {
        vn_alert a;
        err = vn_alerts_get(st, c.ids[i], &a);
        /* Ids are read first, so fn may have deleted a later one. */
        if (err == VN_ENOTFOUND) {
            err = VN_OK;
            continue;
        }
        if (!err) err = fn(ud, &a);
    }
    free(c.ids);
    return err;
}

struct case_ctx {
    vn_sstore *st;        /* the store */
    const uint8_t *match; /* case or account */
    bool account;         /* match the claimer instead of the case */
};

static vn_err purge_cb(void *ud, const vn_alert *a)
{
    struct case_ctx *c = ud;
    if (!c->account) {
        if (memcmp(a->case_id, c->match, VN_ACCOUNT_LEN) != 0) return VN_OK;
        return vn_alerts_delete(c->st, a->id);
    }
    if (memcmp(a->claimed_by, c->match, VN_ACCOUNT_LEN) != 0) return VN_OK;
    vn_alert copy = *a;
    memset(copy.claimed_by, 0, VN_ACCOUNT_LEN);
    return vn_alerts_put(c->st, &copy);
}

vn_err vn_alerts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    struct case_ctx c = {st, case_id, false};
    return vn_alerts_each(st, purge_cb, &c);
}

vn_err vn_alerts_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    struct case_ctx c = {st, account, true};
    return vn_alerts_each(st, purge_cb, &c);
}
