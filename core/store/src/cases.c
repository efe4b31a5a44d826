/* The cases, members, memberof and cmcases tables: one case and its
 * indexes, kept consistent with each other here. */
#include "vn/cases.h"

#include "sstore_internal.h"
#include "vn/day.h"
#include "vn/rand.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define CASE_REC_LEN   33                   /* state, casemanager, created, closed */
#define MEMBER_REC_LEN 9                    /* role, added */
#define PAIR_KEY_LEN   (2 * VN_ACCOUNT_LEN) /* case|account, casemanager|case */

const char *vn_cases_state_name(vn_case_state state)
{
    switch (state) {
    case VN_CASE_INTAKE:
        return "intake";
    case VN_CASE_ACTIVE:
        return "active";
    case VN_CASE_CLOSED:
        return "closed";
    case VN_CASE_COMPLETED:
        return "completed";
    }
    return "unknown";
}

static void pack_case(const vn_case_info *ci, uint8_t rec[CASE_REC_LEN])
{
    rec[0] = (uint8_t)ci->state;
    memcpy(rec + 1, ci->casemanager, VN_ACCOUNT_LEN);
    vn_be_put64(rec + 17, ci->created_ms);
    vn_be_put64(rec + 25, ci->closed_ms);
}

static vn_err put_case(vn_sstore *st, const vn_case_info *ci)
{
    uint8_t rec[CASE_REC_LEN];
    pack_case(ci, rec);
    return st_put(st, VN_DB_CASES, ci->id, VN_ACCOUNT_LEN, rec, sizeof rec);
}

static void pair_key(uint8_t k[PAIR_KEY_LEN], const uint8_t a[VN_ACCOUNT_LEN],
                     const uint8_t b[VN_ACCOUNT_LEN])
{
    memcpy(k, a, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, b, VN_ACCOUNT_LEN);
}

vn_err vn_cases_create(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], uint64_t now,
                       vn_case_info *info)
{
    uint8_t k[PAIR_KEY_LEN];
    vn_err err = st_begin(st);
    if (err) return err;
    memset(info, 0, sizeof *info);
    do {
        if ((err = vn_rand_bytes(info->id, VN_ACCOUNT_LEN))) {
            st_commit(st);
            return err;
        }
    } while (st_has(st, VN_DB_CASES, info->id, VN_ACCOUNT_LEN));
    memcpy(info->casemanager, cm, VN_ACCOUNT_LEN);
    info->state = VN_CASE_INTAKE;
    info->created_ms = vn_day_floor_ms(now);
    pair_key(k, cm, info->id);
    if ((err = put_case(st, info)) || (err = st_put(st, VN_DB_CMCASES, k, sizeof k, "", 0)))
        return err; /* the failed put aborted the transaction */
    return st_commit(st);
}

/* A case's record (CASE_REC_LEN bytes) under its id, into info. */
static void decode(const uint8_t *id, const uint8_t *r, vn_case_info *info)
{
    memcpy(info->id, id, VN_ACCOUNT_LEN);
    info->state = (vn_case_state)r[0];
    memcpy(info->casemanager, r + 1, VN_ACCOUNT_LEN);
    info->created_ms = vn_be_get64(r + 17);
    info->closed_ms = vn_be_get64(r + 25);
}

vn_err vn_cases_get(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_info *info)
{
    uint8_t *rec = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_CASES, id, VN_ACCOUNT_LEN, (void **)&rec, &n);
    if (err) return err;
    if (n != CASE_REC_LEN) {
        free(rec);
        return VN_ESTORE;
    }
    decode(id, rec, info);
    free(rec);
    return VN_OK;
}

vn_err vn_cases_add_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                           const uint8_t account[VN_ACCOUNT_LEN], vn_role role, uint64_t now)
{
    uint8_t k[PAIR_KEY_LEN], rec[MEMBER_REC_LEN];
    vn_case_info ci;
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    if (ci.state == VN_CASE_CLOSED) return VN_EDENIED;
    if ((err = st_begin(st))) return err;
    pair_key(k, id, account);
    rec[0] = (uint8_t)role;
    vn_be_put64(rec + 1, vn_day_floor_ms(now));
    if ((err = st_put(st, VN_DB_MEMBERS, k, sizeof k, rec, sizeof rec)) ||
        (err = st_put(st, VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN, id, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}

vn_err vn_cases_remove_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                              const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t k[PAIR_KEY_LEN];
    pair_key(k, id, account);
    if (!st_has(st, VN_DB_MEMBERS, k, sizeof k)) return VN_ENOTFOUND;
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_del(st, VN_DB_MEMBERS, k, sizeof k)) ||
        ((err = st_del(st, VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN)) && err != VN_ENOTFOUND)) {
        st_abort(st);
        return err;
    }
    return st_commit(st);
}

vn_err vn_cases_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint8_t id[VN_ACCOUNT_LEN])
{
    void *v = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN, &v, &n);
    if (err) return err;
    if (n == VN_ACCOUNT_LEN)
        memcpy(id, v, VN_ACCOUNT_LEN);
    else
        err = VN_ESTORE;
    free(v);
    return err;
}

struct members_ctx {
    vn_member *out; /* caller's array */
    size_t max, n;  /* its size, and entries filled */
};

static vn_err members_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct members_ctx *c = ud;
    if (kl != PAIR_KEY_LEN || vl != MEMBER_REC_LEN) return VN_ESTORE;
    if (c->n == c->max) return VN_ETOOBIG;
    vn_member *m = &c->out[c->n++];
    memcpy(m->account, (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ACCOUNT_LEN);
    m->role = (vn_role)((const uint8_t *)v)[0];
    m->added_ms = vn_be_get64((const uint8_t *)v + 1);
    return VN_OK;
}

vn_err vn_cases_members(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_member *out, size_t max,
                        size_t *n)
{
    struct members_ctx c = {out, max, 0};
    vn_err err = st_each(st, VN_DB_MEMBERS, id, VN_ACCOUNT_LEN, members_cb, &c);
    *n = c.n;
    return err;
}

vn_err vn_cases_reassign(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t new_cm[VN_ACCOUNT_LEN])
{
    vn_case_info ci;
    uint8_t oldk[PAIR_KEY_LEN], newk[PAIR_KEY_LEN];
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    if ((err = st_begin(st))) return err;
    pair_key(oldk, ci.casemanager, id);
    pair_key(newk, new_cm, id);
    memcpy(ci.casemanager, new_cm, VN_ACCOUNT_LEN);
    if (((err = st_del(st, VN_DB_CMCASES, oldk, sizeof oldk)) && err != VN_ENOTFOUND) ||
        (err = st_put(st, VN_DB_CMCASES, newk, sizeof newk, "", 0)) || (err = put_case(st, &ci))) {
        st_abort(st);
        return err;
    }
    return st_commit(st);
}

vn_err vn_cases_set_state(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_state state,
                          uint64_t now)
{
    vn_case_info ci;
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    ci.state = state;
    /* A completed case ends like a closed one: its retention counts from
     * the day it ended. */
    bool ended = state == VN_CASE_CLOSED || state == VN_CASE_COMPLETED;
    ci.closed_ms = ended ? vn_day_floor_ms(now) : 0;
    return put_case(st, &ci);
}

struct managed_ctx {
    vn_sstore *st;  /* the store */
    vn_cases_fn fn; /* caller's callback */
    void *ud;
};

static vn_err managed_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct managed_ctx *c = ud;
    vn_case_info ci;
    if (kl != PAIR_KEY_LEN) return VN_ESTORE;
    vn_err err = vn_cases_get(c->st, (const uint8_t *)k + VN_ACCOUNT_LEN, &ci);
    if (err) return err;
    return c->fn(c->ud, &ci);
}

vn_err vn_cases_each_managed(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], vn_cases_fn fn,
                             void *ud)
{
    struct managed_ctx c = {st, fn, ud};
    return st_each(st, VN_DB_CMCASES, cm, VN_ACCOUNT_LEN, managed_cb, &c);
}

static vn_err count_open_cb(void *ud, const vn_case_info *ci)
{
    if (ci->state != VN_CASE_CLOSED) (*(size_t *)ud)++;
    return VN_OK;
}

vn_err vn_cases_count_open(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], size_t *n)
{
    *n = 0;
    return vn_cases_each_managed(st, cm, count_open_cb, n);
}

struct list_ctx {
    bool closed;         /* closed cases before cutoff, or */
    vn_case_state state; /* (closed false) cases in this state */
    uint64_t cutoff;     /* closing time limit */
    vn_case_info *out;   /* caller's array */
    size_t max, n;       /* its size, and entries filled */
};

static vn_err list_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct list_ctx *c = ud;
    const uint8_t *r = v;
    if (kl != VN_ACCOUNT_LEN || vl != CASE_REC_LEN) return VN_ESTORE;
    bool ended = r[0] == VN_CASE_CLOSED || r[0] == VN_CASE_COMPLETED;
    if (c->closed ? !ended || vn_be_get64(r + 25) >= c->cutoff : r[0] != (uint8_t)c->state)
        return VN_OK;
    decode(k, r, &c->out[c->n++]);
    *stop = c->n == c->max;
    return VN_OK;
}

static vn_err list(vn_sstore *st, struct list_ctx *c, size_t *n)
{
    vn_err err = c->max ? st_each(st, VN_DB_CASES, NULL, 0, list_cb, c) : VN_OK;
    *n = c->n;
    return err;
}

vn_err vn_cases_list(vn_sstore *st, vn_case_state state, vn_case_info *out, size_t max, size_t *n)
{
    struct list_ctx c = {false, state, 0, out, max, 0};
    return list(st, &c, n);
}

/* A walk handing each case to fn: all of them, or (any_state false)
 * those in state. */
struct each_ctx {
    bool any_state;
    vn_case_state state;
    vn_cases_fn fn; /* caller's callback */
    void *ud;
};

static vn_err each_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct each_ctx *c = ud;
    const uint8_t *r = v;
    vn_case_info ci;
    (void)stop;
    if (kl != VN_ACCOUNT_LEN || vl != CASE_REC_LEN) return VN_ESTORE;
    if (!c->any_state && r[0] != (uint8_t)c->state) return VN_OK;
    decode(k, r, &ci);
    return c->fn(c->ud, &ci);
}

vn_err vn_cases_each_in_state(vn_sstore *st, vn_case_state state, vn_cases_fn fn, void *ud)
{
    struct each_ctx c = {false, state, fn, ud};
    return st_each(st, VN_DB_CASES, NULL, 0, each_cb, &c);
}

vn_err vn_cases_each_from(vn_sstore *st, vn_kv_pos *pos, size_t max, vn_cases_fn fn, void *ud)
{
    struct each_ctx c = {true, 0, fn, ud};
    return st_each_from(st, VN_DB_CASES, NULL, 0, pos, max, each_cb, &c);
}

vn_err vn_cases_closed_before(vn_sstore *st, uint64_t cutoff_ms, vn_case_info *out, size_t max,
                              size_t *n)
{
    struct list_ctx c = {true, VN_CASE_CLOSED, cutoff_ms, out, max, 0};
    return list(st, &c, n);
}

vn_err vn_cases_forget_casemanager(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN])
{
    return st_del_prefix(st, VN_DB_CMCASES, cm, VN_ACCOUNT_LEN);
}

vn_err vn_cases_delete(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN])
{
    vn_case_info ci;
    vn_member m[VN_CASE_MEMBERS_MAX];
    uint8_t k[PAIR_KEY_LEN], of[VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_err err = vn_cases_get(st, id, &ci);
    if (!err) err = vn_cases_members(st, id, m, VN_CASE_MEMBERS_MAX, &n);
    if (err) return err;
    if ((err = st_begin(st))) return err;
    /* A member's index entry goes only if it still points here. */
    for (size_t i = 0; i < n; i++) {
        if (vn_cases_of(st, m[i].account, of) != VN_OK || memcmp(of, id, VN_ACCOUNT_LEN) != 0)
            continue;
        if ((err = st_del(st, VN_DB_MEMBEROF, m[i].account, VN_ACCOUNT_LEN))) return err;
    }
    pair_key(k, ci.casemanager, id);
    if ((err = st_del_prefix(st, VN_DB_MEMBERS, id, VN_ACCOUNT_LEN)) ||
        (err = st_drop(st, VN_DB_CMCASES, k, sizeof k)) ||
        (err = st_del(st, VN_DB_CASES, id, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}
