/* Alerts and disclosures in the server store. */
#include "vn/alerts.h"

#include <stdlib.h>
#include <string.h>

#define ALERT_REC_LEN                                                                              \
    60 /* case, kind, severity, state, level, created, claimer, acked, level time */

const char *vn_alert_kind_name(uint8_t kind)
{
    return kind == VN_ALERT_SOS ? "sos" : kind == VN_ALERT_SIGNAL ? "signal" : "unknown";
}

const char *vn_alert_state_name(uint8_t state)
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
    memcpy(r, a->case_id, 16);
    r[16] = a->kind;
    r[17] = a->severity;
    r[18] = a->state;
    r[19] = a->level;
    vn_put_be64(r + 20, a->created_ms);
    memcpy(r + 28, a->claimed_by, 16);
    vn_put_be64(r + 44, a->acked_ms);
    vn_put_be64(r + 52, a->level_ms);
}

static void unpack(const uint8_t id[16], const uint8_t r[ALERT_REC_LEN], vn_alert *a)
{
    memcpy(a->id, id, 16);
    memcpy(a->case_id, r, 16);
    a->kind = r[16];
    a->severity = r[17];
    a->state = r[18];
    a->level = r[19];
    a->created_ms = vn_get_be64(r + 20);
    memcpy(a->claimed_by, r + 28, 16);
    a->acked_ms = vn_get_be64(r + 44);
    a->level_ms = vn_get_be64(r + 52);
}

vn_err vn_alerts_put(vn_sstore *st, const vn_alert *a)
{
    uint8_t r[ALERT_REC_LEN];
    pack(a, r);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_ALERTS, a->id, 16, r, sizeof r);
}

vn_err vn_alerts_create(vn_sstore *st, vn_alert *a)
{
    vn_err err;
    do {
        if ((err = vn_random(a->id, 16))) return err;
    } while (vn_kv_has(vn_sstore_kv(st), VN_DB_ALERTS, a->id, 16));
    return vn_alerts_put(st, a);
}

vn_err vn_alerts_get(vn_sstore *st, const uint8_t id[16], vn_alert *a)
{
    void *v = NULL;
    size_t n;
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_ALERTS, id, 16, &v, &n);
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
    if (kl != 16 || vl != ALERT_REC_LEN) return VN_ESTORE;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        vn_alert *na = realloc(c->a, cap * sizeof *na);
        if (!na) return VN_ENOMEM;
        c->a = na;
        c->cap = cap;
    }
    unpack(k, v, &c->a[c->n++]);
    return VN_OK;
}

/* Collects first, then calls back, so callbacks may write. */
vn_err vn_alerts_each(vn_sstore *st, vn_alerts_fn fn, void *ud)
{
    struct all_ctx c = {NULL, 0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_ALERTS, NULL, 0, collect_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++)
        err = fn(ud, &c.a[i]);
    free(c.a);
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
        if (memcmp(a->case_id, c->match, 16) != 0) return VN_OK;
        return vn_kv_del(vn_sstore_kv(c->st), VN_DB_ALERTS, a->id, 16);
    }
    if (memcmp(a->claimed_by, c->match, 16) != 0) return VN_OK;
    vn_alert copy = *a;
    memset(copy.claimed_by, 0, 16);
    return vn_alerts_put(c->st, &copy);
}

vn_err vn_alerts_purge_case(vn_sstore *st, const uint8_t case_id[16])
{
    struct case_ctx c = {st, case_id, false};
    vn_err err = vn_alerts_each(st, purge_cb, &c);
    if (!err) err = vn_kv_del_prefix(vn_sstore_kv(st), VN_DB_ATTEST, case_id, 16, NULL);
    if (!err) err = vn_kv_del_prefix(vn_sstore_kv(st), VN_DB_DISCLOSURES, case_id, 16, NULL);
    return err;
}

vn_err vn_alerts_forget_account(vn_sstore *st, const uint8_t account[16])
{
    struct case_ctx c = {st, account, true};
    return vn_alerts_each(st, purge_cb, &c);
}

vn_err vn_disclosure_attest(vn_sstore *st, const uint8_t case_id[16], int role, uint64_t now,
                            bool *recorded)
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t k[17], t[8], other[17];
    memcpy(k, case_id, 16);
    k[16] = (uint8_t)role;
    memcpy(other, case_id, 16);
    other[16] = (uint8_t)(role == 1 ? 2 : 1);
    vn_put_be64(t, now);
    *recorded = false;
    vn_err err = vn_kv_put(kv, VN_DB_ATTEST, k, sizeof k, t, sizeof t);
    if (err) return err;
    /* The other's attestation counts only if recent: two attestations
     * months apart concern different situations. */
    void *ov = NULL;
    size_t on = 0;
    err = vn_kv_get(kv, VN_DB_ATTEST, other, sizeof other, &ov, &on);
    bool fresh = !err && on == 8 && now - vn_get_be64(ov) <= VN_ATTEST_WINDOW_MS;
    free(ov);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    if (!fresh) return vn_kv_del(kv, VN_DB_ATTEST, other, sizeof other);
    /* Both have attested both gates: record it, and start over for the next. */
    uint8_t dk[24];
    memcpy(dk, case_id, 16);
    vn_put_be64(dk + 16, now);
    if ((err = vn_kv_put(kv, VN_DB_DISCLOSURES, dk, sizeof dk, "", 0)) ||
        (err = vn_kv_del(kv, VN_DB_ATTEST, k, sizeof k)) ||
        (err = vn_kv_del(kv, VN_DB_ATTEST, other, sizeof other)))
        return err;
    *recorded = true;
    return VN_OK;
}

struct disc_ctx {
    vn_disclosure_fn fn; /* caller's callback */
    void *ud;
};

static vn_err disc_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct disc_ctx *c = ud;
    if (kl != 24) return VN_ESTORE;
    return c->fn(c->ud, vn_get_be64((const uint8_t *)k + 16));
}

vn_err vn_disclosure_each(vn_sstore *st, const uint8_t case_id[16], vn_disclosure_fn fn, void *ud)
{
    struct disc_ctx c = {fn, ud};
    return vn_kv_each(vn_sstore_kv(st), VN_DB_DISCLOSURES, case_id, 16, disc_cb, &c);
}
