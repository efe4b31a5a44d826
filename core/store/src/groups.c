/* The groups, gmembers, gmemberof and ginvites tables (vn/groups.h). */
#include "vn/groups.h"

#include "sstore_internal.h"
#include "vn/rand.h"
#include "vn/sha256.h"
#include "vn/be.h"

#include <stdlib.h>
#include <string.h>

#define GROUP_REC_LEN  (VN_ACCOUNT_LEN + 1) /* facilitator, cap */
#define PAIR_KEY_LEN   (2 * VN_ACCOUNT_LEN) /* group|account or account|group */
#define INVITE_REC_LEN (VN_ACCOUNT_LEN + 8) /* group, expiry */
#define HASH_LEN       32                   /* an invite's key: SHA-256 of its secret */
#define OF_MEMBER      0                    /* gmemberof value: a member */
#define OF_FACILITATOR 1                    /* gmemberof value: the facilitator */

static void pair_key(uint8_t k[PAIR_KEY_LEN], const uint8_t a[VN_ACCOUNT_LEN],
                     const uint8_t b[VN_ACCOUNT_LEN])
{
    memcpy(k, a, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, b, VN_ACCOUNT_LEN);
}

struct ids {
    uint8_t (*out)[VN_ACCOUNT_LEN]; /* where the ids go */
    size_t max, n;                  /* room, and how many so far */
};

/* Collects the second half of pair keys (the members of a group, or the
 * groups of an account). */
static vn_err second_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (void)v;
    (void)vl;
    (void)stop;
    struct ids *c = ud;
    if (kl != PAIR_KEY_LEN) return VN_ESTORE;
    if (c->n == c->max) return VN_ETOOBIG;
    memcpy(c->out[c->n++], (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ACCOUNT_LEN);
    return VN_OK;
}

vn_err vn_groups_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                    uint8_t (*out)[VN_ACCOUNT_LEN], size_t max, size_t *n)
{
    struct ids c = {out, max, 0};
    vn_err err = st_each(st, VN_DB_GMEMBEROF, account, VN_ACCOUNT_LEN, second_cb, &c);
    *n = c.n;
    return err;
}

vn_err vn_groups_members(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         uint8_t (*out)[VN_ACCOUNT_LEN], size_t max, size_t *n)
{
    struct ids c = {out, max, 0};
    vn_err err = st_each(st, VN_DB_GMEMBERS, id, VN_ACCOUNT_LEN, second_cb, &c);
    *n = c.n;
    return err;
}

static vn_err count_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t *n)
{
    uint8_t ids[VN_GROUPS_PER_ACCOUNT + 1][VN_ACCOUNT_LEN];
    vn_err err = vn_groups_of(st, account, ids, VN_GROUPS_PER_ACCOUNT + 1, n);
    return err == VN_ETOOBIG ? VN_OK : err;
}

vn_err vn_groups_create(vn_sstore *st, const uint8_t facilitator[VN_ACCOUNT_LEN], uint8_t cap,
                        vn_group_info *info)
{
    uint8_t rec[GROUP_REC_LEN], k[PAIR_KEY_LEN], of = OF_FACILITATOR;
    size_t n = 0;
    if (cap < 1 || cap > VN_GROUP_CAP_MAX) return VN_EINVAL;
    vn_err err = count_of(st, facilitator, &n);
    if (err) return err;
    if (n >= VN_GROUPS_PER_ACCOUNT) return VN_ETOOBIG;
    do {
        if ((err = vn_rand_bytes(info->id, VN_ACCOUNT_LEN))) return err;
    } while (st_has(st, VN_DB_GROUPS, info->id, VN_ACCOUNT_LEN));
    memcpy(info->facilitator, facilitator, VN_ACCOUNT_LEN);
    info->cap = cap;
    memcpy(rec, facilitator, VN_ACCOUNT_LEN);
    rec[VN_ACCOUNT_LEN] = cap;
    pair_key(k, facilitator, info->id);
    if ((err = st_begin(st))) return err;
    if ((err = st_put(st, VN_DB_GROUPS, info->id, VN_ACCOUNT_LEN, rec, sizeof rec)) ||
        (err = st_put(st, VN_DB_GMEMBEROF, k, sizeof k, &of, 1)))
        return err; /* the failed put aborted the transaction */
    return st_commit(st);
}

vn_err vn_groups_get(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_group_info *info)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_GROUPS, id, VN_ACCOUNT_LEN, &v, &n);
    if (!err && n != GROUP_REC_LEN) err = VN_ESTORE;
    if (!err) {
        memcpy(info->id, id, VN_ACCOUNT_LEN);
        memcpy(info->facilitator, v, VN_ACCOUNT_LEN);
        info->cap = ((const uint8_t *)v)[VN_ACCOUNT_LEN];
    }
    free(v);
    return err;
}

bool vn_groups_is_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t k[PAIR_KEY_LEN];
    pair_key(k, id, account);
    return st_has(st, VN_DB_GMEMBERS, k, sizeof k);
}

bool vn_groups_share(vn_sstore *st, const uint8_t a[VN_ACCOUNT_LEN],
                     const uint8_t b[VN_ACCOUNT_LEN])
{
    uint8_t ids[VN_GROUPS_PER_ACCOUNT][VN_ACCOUNT_LEN], k[PAIR_KEY_LEN];
    size_t n = 0;
    if (memcmp(a, b, VN_ACCOUNT_LEN) == 0) return false;
    vn_err err = vn_groups_of(st, a, ids, VN_GROUPS_PER_ACCOUNT, &n);
    if (err && err != VN_ETOOBIG) return false;
    for (size_t i = 0; i < n; i++) {
        pair_key(k, b, ids[i]);
        if (st_has(st, VN_DB_GMEMBEROF, k, sizeof k)) return true;
    }
    return false;
}

/* Which invites a sweep deletes: those into group, or (group NULL) those
 * expired before now. */
struct sweep {
    const uint8_t *group;
    uint64_t now;
};

static bool sweep_match(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    const struct sweep *c = ud;
    const uint8_t *r = v;
    (void)k;
    if (kl != HASH_LEN || vl != INVITE_REC_LEN) return false;
    return c->group ? memcmp(r, c->group, VN_ACCOUNT_LEN) == 0
                    : vn_be_get64(r + VN_ACCOUNT_LEN) <= c->now;
}

static vn_err sweep(vn_sstore *st, const uint8_t *group, uint64_t now)
{
    struct sweep c = {.group = group, .now = now};
    return st_del_where(st, VN_DB_GINVITES, sweep_match, &c);
}

vn_err vn_groups_invite(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], uint64_t now,
                        uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN])
{
    uint8_t hash[HASH_LEN], rec[INVITE_REC_LEN];
    vn_err err = sweep(st, NULL, now);
    if (err || (err = vn_rand_bytes(secret, VN_INVITE_SECRET_LEN)) ||
        (err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash)))
        return err;
    memcpy(rec, id, VN_ACCOUNT_LEN);
    vn_be_put64(rec + VN_ACCOUNT_LEN, now + ttl_ms);
    return st_put(st, VN_DB_GINVITES, hash, sizeof hash, rec, sizeof rec);
}

static vn_err add_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t k[PAIR_KEY_LEN], of = OF_MEMBER;
    pair_key(k, id, account);
    vn_err err = st_put(st, VN_DB_GMEMBERS, k, sizeof k, "", 0);
    pair_key(k, account, id);
    if (!err) err = st_put(st, VN_DB_GMEMBEROF, k, sizeof k, &of, 1);
    return err;
}

vn_err vn_groups_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                        const uint8_t account[VN_ACCOUNT_LEN], uint64_t now, vn_group_info *info)
{
    uint8_t hash[HASH_LEN], k[PAIR_KEY_LEN], members[VN_GROUP_CAP_MAX + 1][VN_ACCOUNT_LEN];
    void *v = NULL;
    size_t n = 0;
    vn_err err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (!err) err = st_get(st, VN_DB_GINVITES, hash, HASH_LEN, &v, &n);
    if (err == VN_ENOTFOUND || (!err && n != INVITE_REC_LEN)) err = VN_EINVITE_BAD;
    if (!err && vn_be_get64((const uint8_t *)v + VN_ACCOUNT_LEN) <= now) err = VN_EINVITE_EXPIRED;
    if (!err) err = vn_groups_get(st, v, info);
    free(v);
    if (err) return err;
    pair_key(k, account, info->id);
    if (st_has(st, VN_DB_GMEMBEROF, k, sizeof k)) return VN_EEXISTS;
    if ((err = vn_groups_members(st, info->id, members, VN_GROUP_CAP_MAX + 1, &n)) &&
        err != VN_ETOOBIG)
        return err;
    if (err || n >= info->cap) return VN_ETOOBIG;
    if ((err = count_of(st, account, &n))) return err;
    if (n >= VN_GROUPS_PER_ACCOUNT) return VN_ETOOBIG;
    if ((err = st_begin(st))) return err;
    if ((err = add_member(st, info->id, account)) ||
        (err = st_del(st, VN_DB_GINVITES, hash, HASH_LEN)))
        return err; /* a failed write aborted the transaction */
    return st_commit(st);
}

vn_err vn_groups_remove(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                        const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t k[PAIR_KEY_LEN], of[PAIR_KEY_LEN];
    pair_key(k, id, account);
    pair_key(of, account, id);
    if (!st_has(st, VN_DB_GMEMBERS, k, sizeof k)) return VN_ENOTFOUND;
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_del(st, VN_DB_GMEMBERS, k, sizeof k)) ||
        (err = st_drop(st, VN_DB_GMEMBEROF, of, sizeof of)))
        return err;
    return st_commit(st);
}

vn_err vn_groups_delete(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN])
{
    uint8_t members[VN_GROUP_CAP_MAX][VN_ACCOUNT_LEN], k[PAIR_KEY_LEN];
    vn_group_info info;
    size_t n = 0;
    vn_err err = vn_groups_get(st, id, &info);
    if (!err) err = vn_groups_members(st, id, members, VN_GROUP_CAP_MAX, &n);
    if (err) return err;
    if ((err = st_begin(st))) return err;
    for (size_t i = 0; !err && i < n; i++) {
        pair_key(k, members[i], id);
        err = st_drop(st, VN_DB_GMEMBEROF, k, sizeof k);
    }
    pair_key(k, info.facilitator, id);
    if (err || (err = st_drop(st, VN_DB_GMEMBEROF, k, sizeof k)) ||
        (err = st_del_prefix(st, VN_DB_GMEMBERS, id, VN_ACCOUNT_LEN)) || (err = sweep(st, id, 0)) ||
        (err = st_del(st, VN_DB_GROUPS, id, VN_ACCOUNT_LEN))) {
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    return st_commit(st);
}

vn_err vn_groups_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t ids[VN_GROUPS_PER_ACCOUNT][VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_group_info info;
    vn_err err = vn_groups_of(st, account, ids, VN_GROUPS_PER_ACCOUNT, &n);
    if (err == VN_ETOOBIG) err = VN_OK; /* never more: create and redeem refuse it */
    for (size_t i = 0; !err && i < n; i++) {
        if ((err = vn_groups_get(st, ids[i], &info))) break;
        if (memcmp(info.facilitator, account, VN_ACCOUNT_LEN) == 0)
            err = vn_groups_delete(st, ids[i]);
        else
            err = vn_groups_remove(st, ids[i], account);
    }
    return err;
}
