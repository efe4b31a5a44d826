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

/* The indexes. alertsbycase: case|alert -> key record, so a case's list
 * reads its own entries only. alertslevel: tag|alert -> key record, where
 * the tag (one group of the table) says whether the alert still climbs or
 * reached the medical lead, so the sweep reads the climbing ones and a
 * lead's list the escalated ones. The key record holds what ordering and
 * filtering need, so neither reads the alerts themselves. */
#define KEY_REC_LEN   (VN_ACCOUNT_LEN + 4 + 8) /* case, kind, severity, level, state, created */
#define INDEX_KEY_LEN (VN_ACCOUNT_LEN + VN_ALERT_ID_LEN)

static const uint8_t tag_climbing[VN_ACCOUNT_LEN] = "alerts:climbing";
static const uint8_t tag_escalated[VN_ACCOUNT_LEN] = "alerts:escalate";

static void pack_key(const vn_alert *a, uint8_t r[KEY_REC_LEN])
{
    memcpy(r, a->case_id, VN_ACCOUNT_LEN);
    r[16] = a->kind;
    r[17] = a->severity;
    r[18] = a->level;
    r[19] = a->state;
    vn_be_put64(r + 20, a->created_ms);
}

static void index_key(const uint8_t group[VN_ACCOUNT_LEN], const uint8_t id[VN_ALERT_ID_LEN],
                      uint8_t k[INDEX_KEY_LEN])
{
    memcpy(k, group, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, id, VN_ALERT_ID_LEN);
}

static vn_err unindex(vn_sstore *st, const vn_alert *a)
{
    uint8_t k[INDEX_KEY_LEN];
    index_key(a->case_id, a->id, k);
    vn_err err = st_drop(st, VN_DB_ALERTSBYCASE, k, sizeof k);
    index_key(tag_climbing, a->id, k);
    if (!err) err = st_drop(st, VN_DB_ALERTSLEVEL, k, sizeof k);
    index_key(tag_escalated, a->id, k);
    return err ? err : st_drop(st, VN_DB_ALERTSLEVEL, k, sizeof k);
}

/* Every put writes both entries (an alert never changes case) and drops
 * the level entry it no longer has. */
static vn_err index_put(vn_sstore *st, const vn_alert *a)
{
    uint8_t r[KEY_REC_LEN], k[INDEX_KEY_LEN];
    bool up = a->level >= VN_LEVEL_MEDICAL_LEAD;
    pack_key(a, r);
    index_key(a->case_id, a->id, k);
    vn_err err = st_put(st, VN_DB_ALERTSBYCASE, k, sizeof k, r, sizeof r);
    index_key(up ? tag_climbing : tag_escalated, a->id, k);
    if (!err) err = st_drop(st, VN_DB_ALERTSLEVEL, k, sizeof k);
    index_key(up ? tag_escalated : tag_climbing, a->id, k);
    return err ? err : st_put(st, VN_DB_ALERTSLEVEL, k, sizeof k, r, sizeof r);
}

vn_err vn_alerts_delete(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN])
{
    vn_alert a;
    vn_err err = vn_alerts_get(st, id, &a);
    if (!err) err = unindex(st, &a);
    return err ? err : st_del(st, VN_DB_ALERTS, id, VN_ALERT_ID_LEN);
}

vn_err vn_alerts_put(vn_sstore *st, const vn_alert *a)
{
    uint8_t r[ALERT_REC_LEN];
    pack(a, r);
    vn_err err = index_put(st, a);
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

struct keys_ctx {
    vn_alert_keys_fn fn; /* the caller's */
    void *ud;
};

static vn_err keys_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct keys_ctx *c = ud;
    const uint8_t *r = v;
    vn_alert_key key;
    (void)stop;
    if (kl != INDEX_KEY_LEN || vl != KEY_REC_LEN) return VN_ESTORE;
    memcpy(key.id, (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ALERT_ID_LEN);
    memcpy(key.case_id, r, VN_ACCOUNT_LEN);
    key.kind = r[16];
    key.severity = r[17];
    key.level = r[18];
    key.state = r[19];
    key.created_ms = vn_be_get64(r + 20);
    return c->fn(c->ud, &key);
}

vn_err vn_alerts_keys_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           vn_alert_keys_fn fn, void *ud)
{
    struct keys_ctx c = {fn, ud};
    return st_each(st, VN_DB_ALERTSBYCASE, case_id, VN_ACCOUNT_LEN, keys_cb, &c);
}

vn_err vn_alerts_keys_escalated(vn_sstore *st, vn_alert_keys_fn fn, void *ud)
{
    struct keys_ctx c = {fn, ud};
    return st_each(st, VN_DB_ALERTSLEVEL, tag_escalated, VN_ACCOUNT_LEN, keys_cb, &c);
}

vn_err vn_alerts_keys_climbing(vn_sstore *st, vn_alert_keys_fn fn, void *ud)
{
    struct keys_ctx c = {fn, ud};
    return st_each(st, VN_DB_ALERTSLEVEL, tag_climbing, VN_ACCOUNT_LEN, keys_cb, &c);
}

struct ids_ctx {
    uint8_t (*ids)[VN_ALERT_ID_LEN]; /* alert ids of the case */
    size_t n, cap;
};

static vn_err ids_cb(void *ud, const vn_alert_key *k)
{
    struct ids_ctx *c = ud;
    vn_err err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, VN_ALERTS_MAX);
    if (!err) memcpy(c->ids[c->n++], k->id, VN_ALERT_ID_LEN);
    return err;
}

vn_err vn_alerts_each_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_alerts_fn fn,
                           void *ud)
{
    struct ids_ctx c = {NULL, 0, 0};
    vn_err err = vn_alerts_keys_case(st, case_id, ids_cb, &c);
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

static vn_err delete_cb(void *ud, const vn_alert *a)
{
    return vn_alerts_delete(ud, a->id);
}

/* Through the case index: a purge reads the case's alerts only. */
vn_err vn_alerts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return vn_alerts_each_case(st, case_id, delete_cb, st);
}

struct forget_ctx {
    vn_sstore *st;
    const uint8_t *account; /* the claimer to forget */
};

static vn_err forget_cb(void *ud, const vn_alert *a)
{
    struct forget_ctx *c = ud;
    if (memcmp(a->claimed_by, c->account, VN_ACCOUNT_LEN) != 0) return VN_OK;
    vn_alert copy = *a;
    memset(copy.claimed_by, 0, VN_ACCOUNT_LEN);
    return vn_alerts_put(c->st, &copy);
}

/* Reads every alert: no index names claimers, and an account is deleted
 * rarely (the server reopens its claims through its case first). */
vn_err vn_alerts_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    struct forget_ctx c = {st, account};
    return vn_alerts_each(st, forget_cb, &c);
}

static vn_err reindex_cb(void *ud, const vn_alert *a)
{
    return index_put(ud, a);
}

vn_err vn_alerts_reindex(vn_sstore *st, size_t *indexed)
{
    size_t alerts = 0, bycase = 0, level = 0;
    *indexed = 0;
    vn_err err = vn_kv_count(st->kv, VN_DB_ALERTS, &alerts);
    if (!err) err = vn_kv_count(st->kv, VN_DB_ALERTSBYCASE, &bycase);
    if (!err) err = vn_kv_count(st->kv, VN_DB_ALERTSLEVEL, &level);
    if (err || (bycase == alerts && level == alerts)) return err;
    if ((err = st_begin(st))) return err;
    /* Whatever the old entries were (none, or an older shape), all go. */
    if ((err = st_del_prefix(st, VN_DB_ALERTSBYCASE, NULL, 0)) ||
        (err = st_del_prefix(st, VN_DB_ALERTSLEVEL, NULL, 0)) ||
        (err = vn_alerts_each(st, reindex_cb, st))) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    if (!(err = st_commit(st))) *indexed = alerts;
    return err;
}
