/* Orchestration across the store's table modules. Each step below is a
 * typed call into the module that owns the table; the transactions here
 * make the steps one change. */
#include "vn/lifecycle.h"

#include "sstore_internal.h"
#include "vn/absences.h"
#include "vn/accounts.h"
#include "vn/alerts.h"
#include "vn/audit.h"
#include "vn/cases.h"
#include "vn/contracts.h"
#include "vn/disclosures.h"
#include "vn/events.h"
#include "vn/expired.h"
#include "vn/groups.h"
#include "vn/invites.h"
#include "vn/keys.h"
#include "vn/mailbox.h"
#include "vn/quiet.h"
#include "vn/sched.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define PURGE_BATCH 256 /* most cases one purge pass removes */

/* The checks of a redemption, before anything is written. */
static vn_err may_redeem(vn_sstore *st, const vn_invite_info *inv,
                         const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now)
{
    vn_case_info ci;
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t nm = 0;
    if (inv->redeemed) return VN_EINVITE_USED;
    if (now >= inv->expires_ms) return VN_EINVITE_EXPIRED;
    if (vn_accounts_has_device(st, device_key)) return VN_EEXISTS;
    if (!inv->in_case) return VN_OK;
    /* A closed case takes no one in. */
    if (vn_cases_get(st, inv->case_id, &ci) != VN_OK || ci.state == VN_CASE_CLOSED)
        return VN_EDENIED;
    /* One participant per case, and a bounded team, whatever invites were
     * handed out. */
    vn_err err = vn_cases_members(st, inv->case_id, m, VN_CASE_MEMBERS_MAX, &nm);
    if (err == VN_ETOOBIG || (!err && nm >= VN_CASE_MEMBERS_MAX)) return VN_ETOOBIG;
    if (err) return err;
    for (size_t i = 0; i < nm; i++)
        if (m[i].role == VN_ROLE_PARTICIPANT && inv->role == VN_ROLE_PARTICIPANT) return VN_EEXISTS;
    return VN_OK;
}

vn_err vn_lifecycle_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                           const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                           uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    vn_invite_info inv;
    vn_err err = st_begin(st);
    if (err) return err;
    err = vn_invites_get(st, secret, &inv);
    if (err == VN_ENOTFOUND || err == VN_ESTORE) err = VN_EINVITE_BAD;
    if (!err) err = may_redeem(st, &inv, device_key, now);
    if (err) {
        /* Nothing was written: end our nesting level without discarding
         * an outer transaction's work. */
        st_commit(st);
        return err;
    }
    /* The spent invite is kept until it expires, so a replay is told it
     * was used rather than that it never existed. */
    if ((err = vn_invites_mark_redeemed(st, secret)) ||
        (err = vn_accounts_create(st, inv.role, device_key, now, account)) ||
        (inv.in_case && (err = vn_cases_add_member(st, inv.case_id, account, inv.role, now))))
        goto fail;
    *role = inv.role;
    return st_commit(st);
fail:
    /* A failed write has aborted the transaction; the caller discards its
     * own on any error, so nothing of this redemption stands. */
    return err;
}

/* Everything of one account: its membership, audit traces, quiet hours,
 * claims, keys, mail, then the account itself. Runs inside the caller's
 * transaction. */
static vn_err delete_everything(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t case_id[VN_ACCOUNT_LEN];
    vn_err err = vn_cases_of(st, account, case_id);
    if (err == VN_OK) err = vn_cases_remove_member(st, case_id, account);
    if (err && err != VN_ENOTFOUND) return err;
    if ((err = vn_audit_forget_account(st, account)) ||
        (err = vn_alerts_forget_account(st, account)) ||
        (err = vn_groups_forget_account(st, account)) ||
        (err = vn_quiet_forget_account(st, account)) || (err = vn_keys_delete(st, account)) ||
        (err = vn_mailbox_forget_account(st, account)))
        return err;
    return vn_accounts_delete(st, account);
}

vn_err vn_lifecycle_delete_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_role role;
    size_t open = 0;
    vn_err err = vn_accounts_role(st, account, &role);
    if (err) return err == VN_ENOTFOUND ? VN_ENOACCOUNT : err;
    if (role == VN_ROLE_CASEMANAGER) {
        if ((err = vn_cases_count_open(st, account, &open))) return err;
        if (open > 0) return VN_EDENIED; /* nobody would be left to run those cases */
    }
    if ((err = st_begin(st))) return err;
    /* A casemanager's closed cases keep their record until purged; the
     * link to the deleted account goes now. */
    if (role == VN_ROLE_CASEMANAGER && (err = vn_cases_forget_casemanager(st, account))) goto fail;
    if ((err = delete_everything(st, account))) goto fail;
    return st_commit(st);
fail:
    if (st_in_txn(st)) st_abort(st);
    return err;
}

static vn_err purge_case(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN])
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    vn_err err = vn_cases_members(st, id, m, VN_CASE_MEMBERS_MAX, &n);
    /* The case's people had their accounts for this case only. */
    for (size_t i = 0; !err && i < n; i++)
        err = delete_everything(st, m[i].account);
    if (err) return err;
    if ((err = vn_contracts_purge_case(st, id)) || (err = vn_events_purge_case(st, id)) ||
        (err = vn_absences_purge_case(st, id)) || (err = vn_sched_purge_case(st, id)) ||
        (err = vn_alerts_purge_case(st, id)) || (err = vn_disclosures_purge_case(st, id)) ||
        (err = vn_invites_purge_case(st, id)))
        return err;
    return vn_cases_delete(st, id);
}

vn_err vn_lifecycle_purge_case(vn_sstore *st, const vn_case_info *ci, uint64_t now,
                               uint64_t retention_ms, bool *purged)
{
    uint64_t cutoff = now > retention_ms ? now - retention_ms : 0;
    bool ended = ci->state == VN_CASE_CLOSED || ci->state == VN_CASE_COMPLETED;
    *purged = false;
    if (!ended || ci->closed_ms >= cutoff) return VN_OK;
    vn_err err = st_sub_begin(st);
    if (err) return err;
    if ((err = purge_case(st, ci->id))) {
        st_sub_end(st, false);
        return err;
    }
    if ((err = st_sub_end(st, true))) return err;
    *purged = true;
    return VN_OK;
}

static vn_err purge_nth(vn_sstore *st, size_t i, void *ud)
{
    const vn_case_info *c = ud;
    return purge_case(st, c[i].id);
}

vn_err vn_lifecycle_purge(vn_sstore *st, uint64_t now, uint64_t retention_ms, size_t *purged)
{
    vn_case_info *c = calloc(PURGE_BATCH, sizeof *c);
    size_t n = 0;
    *purged = 0;
    if (!c) return VN_ENOMEM;
    uint64_t cutoff = now > retention_ms ? now - retention_ms : 0;
    vn_err err = vn_cases_closed_before(st, cutoff, c, PURGE_BATCH, &n);
    if (!err) err = st_each_apart(st, n, purge_nth, c, purged);
    free(c);
    return err;
}

struct expiring {
    vn_sstore *st; /* where receipts go */
    uint64_t now;  /* the sweep's time */
};

static vn_err keep_receipt(void *ud, const uint8_t id[VN_MSGID_LEN])
{
    struct expiring *e = ud;
    return vn_expired_add(e->st, id, e->now);
}

vn_err vn_lifecycle_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired)
{
    size_t n = 0, swept = 0;
    struct expiring e = {st, now};
    vn_err err = st_begin(st);
    if (err) return err;
    /* The envelope and its receipt go in one transaction: a sender can
     * always learn that its message expired (vn/expired.h). */
    if ((err = vn_mailbox_expire_each(st, now, ttl_ms, keep_receipt, &e, &n)) ||
        (err = vn_expired_sweep(st, now, &swept)) || (err = vn_invites_expire(st, now))) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    *expired = n;
    return st_commit(st);
}

void vn_lifecycle_expiry_reset(vn_lifecycle_expiry *w)
{
    memset(w, 0, sizeof *w);
}

/* Reads at most max records of the walk's table; *n gets the envelopes
 * expired. */
static vn_err expire_some(vn_sstore *st, vn_lifecycle_expiry *w, size_t max, uint64_t now,
                          uint64_t ttl_ms, size_t *n)
{
    struct expiring e = {st, now};
    size_t swept = 0;
    *n = 0;
    switch (w->table) {
    case 0:
        return vn_mailbox_expire_from(st, &w->pos, max, now, ttl_ms, keep_receipt, &e, n);
    case 1:
        return vn_mailbox_drop_stale_from(st, &w->pos, max, now);
    case 2:
        return vn_expired_sweep_from(st, &w->pos, max, now, &swept);
    default:
        return vn_invites_expire_from(st, &w->pos, max, now);
    }
}

vn_err vn_lifecycle_expire_step(vn_sstore *st, vn_lifecycle_expiry *w, size_t max, uint64_t now,
                                uint64_t ttl_ms, bool *done)
{
    vn_lifecycle_expiry was = *w;
    vn_err err = st_begin(st);
    if (err) return err;
    /* One table a step: one that ends early leaves the rest of the step
     * unused, which costs a step per table and a walk. */
    size_t n = 0;
    err = expire_some(st, w, max, now, ttl_ms, &n);
    if (!err) {
        w->expired += n;
        if (w->pos.done) {
            w->table++;
            vn_kv_pos_reset(&w->pos);
        }
    }
    if (err) {
        if (st_in_txn(st)) st_abort(st);
        *w = was;
        return err;
    }
    if ((err = st_commit(st))) {
        *w = was;
        return err;
    }
    *done = w->table >= 4;
    return VN_OK;
}

vn_err vn_lifecycle_party(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], vn_party *out)
{
    vn_case_info ci;
    memset(out, 0, sizeof *out);
    memcpy(out->account, account, VN_ACCOUNT_LEN);
    vn_err err = vn_accounts_role(st, account, &out->role);
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
