/* Visitors across tables (vn/intake.h): the redeem of the first-contact
 * code that makes one, and the purge that deletes idle ones with all they
 * own. The visitors' part of the orchestration of vn/lifecycle.h, kept in
 * a file of its own; like lifecycle.c it calls the table modules' typed
 * functions only. */
#include "vn/intake.h"

#include "sstore_internal.h"
#include "vn/accounts.h"
#include "vn/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000ULL

vn_err vn_intake_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                        const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                        uint8_t account[VN_ACCOUNT_LEN], uint64_t *retry_ms)
{
    vn_intake_visitor v;
    vn_err err = st_begin(st);
    if (err) return err;
    /* A device that has an account spends none of the code's allowance. */
    err = vn_accounts_has_device(st, device_key) ? VN_EEXISTS
                                                 : vn_intake_code_take(st, secret, now, retry_ms);
    if (err == VN_ENOTFOUND) err = VN_EINVITE_BAD;
    if (err) {
        if (st_in_txn(st)) st_commit(st); /* nothing written; keep the outer work */
        return err;
    }
    memset(&v, 0, sizeof v);
    v.first_day = v.last_day = (int32_t)(now / DAY_MS);
    if ((err = vn_accounts_create(st, VN_ROLE_VISITOR, device_key, now, account)) ||
        (err = vn_intake_visitor_put(st, account, &v)))
        return err; /* a failed write has aborted the transaction */
    return st_commit(st);
}

struct idle {
    vn_sstore *st;
    int32_t before;                   /* last active before this day: idle */
    uint8_t (*found)[VN_ACCOUNT_LEN]; /* collected */
    size_t n;
};

static vn_err idle_cb(void *ud, const uint8_t account[VN_ACCOUNT_LEN], const vn_intake_visitor *v,
                      bool *stop)
{
    struct idle *id = ud;
    if (v->last_day >= id->before && vn_accounts_exists(id->st, account)) return VN_OK;
    memcpy(id->found[id->n++], account, VN_ACCOUNT_LEN);
    *stop = id->n == VN_INTAKE_PURGE_BATCH;
    return VN_OK;
}

/* One visitor: its account with everything keyed to it, then its record. */
static vn_err purge_one(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_role role;
    vn_err err = vn_accounts_role(st, account, &role);
    if (err == VN_OK && role == VN_ROLE_VISITOR) err = vn_lifecycle_delete_account(st, account);
    if (err && err != VN_ENOTFOUND && err != VN_ENOACCOUNT) return err;
    return vn_intake_visitor_delete(st, account);
}

static vn_err purge_nth(vn_sstore *st, size_t i, void *ud)
{
    const uint8_t(*found)[VN_ACCOUNT_LEN] = ud;
    return purge_one(st, found[i]);
}

vn_err vn_intake_purge(vn_sstore *st, uint64_t now, uint64_t idle_ms, size_t *purged)
{
    struct idle id = {st, (int32_t)((now > idle_ms ? now - idle_ms : 0) / DAY_MS), NULL, 0};
    *purged = 0;
    if (!(id.found = malloc(VN_INTAKE_PURGE_BATCH * sizeof *id.found))) return VN_ENOMEM;
    vn_err err = vn_intake_visitors_each(st, idle_cb, &id);
    if (!err) err = st_each_apart(st, id.n, purge_nth, id.found, purged);
    free(id.found);
    return err;
}
