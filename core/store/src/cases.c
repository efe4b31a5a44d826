/* Cases, memberships and the audit log in the server store. */
#include "vn/cases.h"

#include "vn/alerts.h"
#include "vn/contract.h"

#include <stdlib.h>
#include <string.h>

#define CASE_REC_LEN   33 /* state, casemanager, created, closed */
#define MEMBER_REC_LEN 9  /* role, added */
#define AUDIT_KEY_LEN  (VN_ACCOUNT_LEN + 8 + VN_ACCOUNT_LEN + 1)
#define PURGE_BATCH    256 /* most cases one purge pass removes */
#define MEMBERS_MAX    256 /* most members a case can have */

const char *vn_case_state_name(vn_case_state state)
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

static void pack_case(const vn_case_info *ci, uint8_t rec[CASE_REC_LEN])
{
    rec[0] = (uint8_t)ci->state;
    memcpy(rec + 1, ci->casemanager, VN_ACCOUNT_LEN);
    vn_put_be64(rec + 17, ci->created_ms);
    vn_put_be64(rec + 25, ci->closed_ms);
}

static vn_err put_case(vn_sstore *st, const vn_case_info *ci)
{
    uint8_t rec[CASE_REC_LEN];
    pack_case(ci, rec);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_CASES, ci->id, VN_ACCOUNT_LEN, rec, sizeof rec);
}

static void pair_key(uint8_t k[2 * VN_ACCOUNT_LEN], const uint8_t a[VN_ACCOUNT_LEN],
                     const uint8_t b[VN_ACCOUNT_LEN])
{
    memcpy(k, a, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, b, VN_ACCOUNT_LEN);
}

vn_err vn_cases_create(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], uint64_t now,
                       vn_case_info *info)
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t k[2 * VN_ACCOUNT_LEN];
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    memset(info, 0, sizeof *info);
    do {
        if ((err = vn_random(info->id, VN_ACCOUNT_LEN))) {
            vn_kv_commit(kv);
            return err;
        }
    } while (vn_kv_has(kv, VN_DB_CASES, info->id, VN_ACCOUNT_LEN));
    memcpy(info->casemanager, cm, VN_ACCOUNT_LEN);
    info->state = VN_CASE_INTAKE;
    info->created_ms = now;
    pair_key(k, cm, info->id);
    if ((err = put_case(st, info)) || (err = vn_kv_put(kv, VN_DB_CMCASES, k, sizeof k, "", 0)))
        return err; /* the failed put aborted the transaction */
    return vn_kv_commit(kv);
}

vn_err vn_cases_get(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_info *info)
{
    uint8_t *rec = NULL;
    size_t n;
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_CASES, id, VN_ACCOUNT_LEN, (void **)&rec, &n);
    if (err) return err;
    if (n != CASE_REC_LEN) {
        free(rec);
        return VN_ESTORE;
    }
    memcpy(info->id, id, VN_ACCOUNT_LEN);
    info->state = (vn_case_state)rec[0];
    memcpy(info->casemanager, rec + 1, VN_ACCOUNT_LEN);
    info->created_ms = vn_get_be64(rec + 17);
    info->closed_ms = vn_get_be64(rec + 25);
    free(rec);
    return VN_OK;
}

vn_err vn_cases_add_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                           const uint8_t account[VN_ACCOUNT_LEN], vn_role role, uint64_t now)
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t k[2 * VN_ACCOUNT_LEN], rec[MEMBER_REC_LEN];
    vn_case_info ci;
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    if (ci.state == VN_CASE_CLOSED) return VN_EDENIED;
    if ((err = vn_kv_begin(kv))) return err;
    pair_key(k, id, account);
    rec[0] = (uint8_t)role;
    vn_put_be64(rec + 1, now);
    if ((err = vn_kv_put(kv, VN_DB_MEMBERS, k, sizeof k, rec, sizeof rec)) ||
        (err = vn_kv_put(kv, VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN, id, VN_ACCOUNT_LEN)))
        return err;
    return vn_kv_commit(kv);
}

vn_err vn_cases_remove_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                              const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t k[2 * VN_ACCOUNT_LEN];
    pair_key(k, id, account);
    if (!vn_kv_has(kv, VN_DB_MEMBERS, k, sizeof k)) return VN_ENOTFOUND;
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    if ((err = vn_kv_del(kv, VN_DB_MEMBERS, k, sizeof k)) ||
        ((err = vn_kv_del(kv, VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN)) && err != VN_ENOTFOUND)) {
        vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}

vn_err vn_cases_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint8_t id[VN_ACCOUNT_LEN])
{
    void *v = NULL;
    size_t n;
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_MEMBEROF, account, VN_ACCOUNT_LEN, &v, &n);
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
    if (kl != 2 * VN_ACCOUNT_LEN || vl != MEMBER_REC_LEN) return VN_ESTORE;
    if (c->n == c->max) return VN_ETOOBIG;
    vn_member *m = &c->out[c->n++];
    memcpy(m->account, (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ACCOUNT_LEN);
    m->role = (vn_role)((const uint8_t *)v)[0];
    m->added_ms = vn_get_be64((const uint8_t *)v + 1);
    return VN_OK;
}

vn_err vn_cases_members(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_member *out, size_t max,
                        size_t *n)
{
    struct members_ctx c = {out, max, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_MEMBERS, id, VN_ACCOUNT_LEN, members_cb, &c);
    *n = c.n;
    return err;
}

vn_err vn_cases_reassign(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t new_cm[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    vn_case_info ci;
    uint8_t oldk[2 * VN_ACCOUNT_LEN], newk[2 * VN_ACCOUNT_LEN];
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    if ((err = vn_kv_begin(kv))) return err;
    pair_key(oldk, ci.casemanager, id);
    pair_key(newk, new_cm, id);
    memcpy(ci.casemanager, new_cm, VN_ACCOUNT_LEN);
    if (((err = vn_kv_del(kv, VN_DB_CMCASES, oldk, sizeof oldk)) && err != VN_ENOTFOUND) ||
        (err = vn_kv_put(kv, VN_DB_CMCASES, newk, sizeof newk, "", 0)) ||
        (err = put_case(st, &ci))) {
        vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}

vn_err vn_cases_set_state(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_state state,
                          uint64_t now)
{
    vn_case_info ci;
    vn_err err = vn_cases_get(st, id, &ci);
    if (err) return err;
    ci.state = state;
    ci.closed_ms = state == VN_CASE_CLOSED ? now : 0;
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
    if (kl != 2 * VN_ACCOUNT_LEN) return VN_ESTORE;
    vn_err err = vn_cases_get(c->st, (const uint8_t *)k + VN_ACCOUNT_LEN, &ci);
    if (err) return err;
    return c->fn(c->ud, &ci);
}

vn_err vn_cases_each_managed(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], vn_cases_fn fn,
                             void *ud)
{
    struct managed_ctx c = {st, fn, ud};
    return vn_kv_each(vn_sstore_kv(st), VN_DB_CMCASES, cm, VN_ACCOUNT_LEN, managed_cb, &c);
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

vn_err vn_cases_party(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], vn_party *out)
{
    vn_case_info ci;
    memset(out, 0, sizeof *out);
    memcpy(out->account, account, VN_ACCOUNT_LEN);
    vn_err err = vn_sstore_account_role(st, account, &out->role);
    if (err == VN_ENOTFOUND) return VN_ENOACCOUNT;
    if (err) return err;
    err = vn_cases_of(st, account, out->case_id);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    if ((err = vn_cases_get(st, out->case_id, &ci))) return err;
    out->in_case = true;
    out->case_open = ci.state != VN_CASE_CLOSED;
    memcpy(out->case_cm, ci.casemanager, VN_ACCOUNT_LEN);
    return VN_OK;
}

vn_err vn_audit_record(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN],
                       const uint8_t reader[VN_ACCOUNT_LEN], vn_audit_what what, uint64_t now)
{
    uint8_t k[AUDIT_KEY_LEN];
    /* Per minute: repeated reads in one minute are one entry. */
    memcpy(k, participant, VN_ACCOUNT_LEN);
    vn_put_be64(k + VN_ACCOUNT_LEN, now / 60000 * 60000);
    memcpy(k + VN_ACCOUNT_LEN + 8, reader, VN_ACCOUNT_LEN);
    k[AUDIT_KEY_LEN - 1] = (uint8_t)what;
    return vn_kv_put(vn_sstore_kv(st), VN_DB_AUDIT, k, sizeof k, "", 0);
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
    return c->fn(c->ud, vn_get_be64(p + VN_ACCOUNT_LEN), p + VN_ACCOUNT_LEN + 8,
                 (vn_audit_what)p[AUDIT_KEY_LEN - 1]);
}

vn_err vn_audit_each(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_fn fn,
                     void *ud)
{
    struct audit_ctx c = {fn, ud};
    return vn_kv_each(vn_sstore_kv(st), VN_DB_AUDIT, participant, VN_ACCOUNT_LEN, audit_cb, &c);
}

/* Audit entries where account is the reader (inside other participants'
 * logs) are found by a scan; deleting an account is rare. */
struct reader_ctx {
    const uint8_t *reader; /* the account being deleted */
    size_t n, cap;
    uint8_t (*keys)[AUDIT_KEY_LEN];
};

static vn_err reader_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct reader_ctx *c = ud;
    if (kl != AUDIT_KEY_LEN ||
        memcmp((const uint8_t *)k + VN_ACCOUNT_LEN + 8, c->reader, VN_ACCOUNT_LEN) != 0)
        return VN_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        void *nk = realloc(c->keys, cap * sizeof *c->keys);
        if (!nk) return VN_ENOMEM;
        c->keys = nk;
        c->cap = cap;
    }
    memcpy(c->keys[c->n++], k, AUDIT_KEY_LEN);
    return VN_OK;
}

static vn_err forget_reader(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    struct reader_ctx c = {account, 0, 0, NULL};
    vn_err err = vn_kv_each(kv, VN_DB_AUDIT, NULL, 0, reader_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++)
        err = vn_kv_del(kv, VN_DB_AUDIT, c.keys[i], AUDIT_KEY_LEN);
    free(c.keys);
    return err;
}

/* Everything of one account: its membership, audit traces, then the
 * account itself (sstore). Runs inside the caller's transaction. */
static vn_err delete_everything(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t case_id[VN_ACCOUNT_LEN];
    vn_err err = vn_cases_of(st, account, case_id);
    if (err == VN_OK) err = vn_cases_remove_member(st, case_id, account);
    if (err && err != VN_ENOTFOUND) return err;
    if ((err = vn_kv_del_prefix(kv, VN_DB_AUDIT, account, VN_ACCOUNT_LEN, NULL)) ||
        (err = forget_reader(st, account)) || (err = vn_alerts_forget_account(st, account)) ||
        (err = vn_kv_del_prefix(kv, VN_DB_DEFERRED, account, VN_ACCOUNT_LEN, NULL)))
        return err;
    if ((err = vn_kv_del(kv, VN_DB_QUIET, account, VN_ACCOUNT_LEN)) && err != VN_ENOTFOUND)
        return err;
    return vn_sstore_account_delete(st, account);
}

vn_err vn_cases_delete_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    vn_role role;
    size_t open = 0;
    vn_err err = vn_sstore_account_role(st, account, &role);
    if (err) return err == VN_ENOTFOUND ? VN_ENOACCOUNT : err;
    if (role == VN_ROLE_CASEMANAGER) {
        if ((err = vn_cases_count_open(st, account, &open))) return err;
        if (open > 0) return VN_EDENIED; /* nobody would be left to run those cases */
    }
    if ((err = vn_kv_begin(kv))) return err;
    /* A casemanager's closed cases keep their record until purged; the
     * link to the deleted account goes now. */
    if (role == VN_ROLE_CASEMANAGER &&
        (err = vn_kv_del_prefix(kv, VN_DB_CMCASES, account, VN_ACCOUNT_LEN, NULL)))
        goto fail;
    if ((err = delete_everything(st, account))) goto fail;
    return vn_kv_commit(kv);
fail:
    if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
    return err;
}

struct purge_ctx {
    uint64_t cutoff; /* cases closed before this go */
    size_t n;
    uint8_t ids[PURGE_BATCH][VN_ACCOUNT_LEN];
    uint8_t cms[PURGE_BATCH][VN_ACCOUNT_LEN];
};

static vn_err purge_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct purge_ctx *c = ud;
    const uint8_t *r = v;
    if (kl != VN_ACCOUNT_LEN || vl != CASE_REC_LEN || r[0] != VN_CASE_CLOSED) return VN_OK;
    if (vn_get_be64(r + 25) >= c->cutoff) return VN_OK;
    memcpy(c->ids[c->n], k, VN_ACCOUNT_LEN);
    memcpy(c->cms[c->n], r + 1, VN_ACCOUNT_LEN);
    *stop = ++c->n == PURGE_BATCH;
    return VN_OK;
}

static vn_err purge_case(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t cm[VN_ACCOUNT_LEN])
{
    vn_kv *kv = vn_sstore_kv(st);
    vn_member *m = calloc(MEMBERS_MAX, sizeof *m);
    size_t n = 0;
    uint8_t k[2 * VN_ACCOUNT_LEN];
    if (!m) return VN_ENOMEM;
    vn_err err = vn_cases_members(st, id, m, MEMBERS_MAX, &n);
    /* The case's people had their accounts for this case only. */
    for (size_t i = 0; !err && i < n; i++)
        err = delete_everything(st, m[i].account);
    free(m);
    if (err) return err;
    if ((err = vn_contract_purge_case(st, id)) || (err = vn_alerts_purge_case(st, id)) ||
        (err = vn_sstore_invites_purge_case(st, id)))
        return err;
    pair_key(k, cm, id);
    if (((err = vn_kv_del(kv, VN_DB_CMCASES, k, sizeof k)) && err != VN_ENOTFOUND) ||
        (err = vn_kv_del(kv, VN_DB_CASES, id, VN_ACCOUNT_LEN)))
        return err;
    return VN_OK;
}

vn_err vn_cases_purge(vn_sstore *st, uint64_t now, uint64_t retention_ms, size_t *purged)
{
    vn_kv *kv = vn_sstore_kv(st);
    struct purge_ctx *c = calloc(1, sizeof *c);
    size_t done = 0;
    if (!c) return VN_ENOMEM;
    c->cutoff = now > retention_ms ? now - retention_ms : 0;
    vn_err err = vn_kv_each(kv, VN_DB_CASES, NULL, 0, purge_cb, c);
    if (!err && c->n > 0 && !(err = vn_kv_begin(kv))) {
        /* Each case in a sub-transaction of its own: one that fails is
         * left for the next sweep and does not hold back the others. */
        for (size_t i = 0; !err && i < c->n; i++) {
            if ((err = vn_kv_sub_begin(kv))) break;
            vn_err one = purge_case(st, c->ids[i], c->cms[i]);
            if (!one)
                one = vn_kv_sub_end(kv, true);
            else
                vn_kv_sub_end(kv, false);
            if (!one) done++;
        }
        if (err && vn_kv_in_txn(kv))
            vn_kv_abort(kv);
        else if (!err)
            err = vn_kv_commit(kv);
    }
    *purged = err ? 0 : done;
    free(c);
    return err;
}
