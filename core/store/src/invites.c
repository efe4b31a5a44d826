/* The invites table. */
#include "vn/invites.h"

#include "sstore_internal.h"
#include "vn/rand.h"
#include "vn/sha256.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define INVITE_REC_LEN 33  /* role, expires, redeemed flag, case (zeros for none) */
#define HASH_LEN       32  /* key: SHA-256 of the secret */
#define SWEEP_BATCH    256 /* most invites one pass of a sweep collects */

vn_err vn_invites_create(vn_sstore *st, vn_role role, const uint8_t *case_id, uint64_t now,
                         uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN])
{
    uint8_t hash[HASH_LEN], rec[INVITE_REC_LEN] = {0};
    vn_err err = vn_rand_bytes(secret, VN_INVITE_SECRET_LEN);
    if (err) return err;
    err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    rec[0] = (uint8_t)role;
    vn_be_put64(rec + 1, now + ttl_ms);
    if (case_id) memcpy(rec + 17, case_id, VN_ACCOUNT_LEN);
    return st_put(st, VN_DB_INVITES, hash, sizeof hash, rec, sizeof rec);
}

static void unpack(const uint8_t rec[INVITE_REC_LEN], vn_invite_info *info)
{
    static const uint8_t no_case[VN_ACCOUNT_LEN] = {0};
    info->role = (vn_role)rec[0];
    info->expires_ms = vn_be_get64(rec + 1);
    info->redeemed = vn_be_get64(rec + 9) != 0;
    memcpy(info->case_id, rec + 17, VN_ACCOUNT_LEN);
    info->in_case = memcmp(info->case_id, no_case, VN_ACCOUNT_LEN) != 0;
}

/* Reads the raw record of secret into rec; hash gets its key. */
static vn_err get_rec(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                      uint8_t hash[HASH_LEN], uint8_t rec[INVITE_REC_LEN])
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    err = st_get(st, VN_DB_INVITES, hash, HASH_LEN, &v, &n);
    if (!err && n != INVITE_REC_LEN) err = VN_ESTORE;
    if (!err) memcpy(rec, v, INVITE_REC_LEN);
    free(v);
    return err;
}

vn_err vn_invites_get(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                      vn_invite_info *info)
{
    uint8_t hash[HASH_LEN], rec[INVITE_REC_LEN];
    vn_err err = get_rec(st, secret, hash, rec);
    if (!err) unpack(rec, info);
    return err;
}

vn_err vn_invites_mark_redeemed(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN])
{
    uint8_t hash[HASH_LEN], rec[INVITE_REC_LEN], used[INVITE_REC_LEN] = {0};
    vn_err err = get_rec(st, secret, hash, rec);
    if (err) return err;
    /* Redeemed, the invite keeps only what answers a second try ("used")
     * until the sweep deletes it: not its role, its case or when it was
     * used, which would link the new account to its case. */
    memcpy(used + 1, rec + 1, 8);
    vn_be_put64(used + 9, 1);
    return st_put(st, VN_DB_INVITES, hash, sizeof hash, used, sizeof used);
}

/* A sweep collects a batch of keys (the walk cannot delete), deletes them,
 * and goes again while batches come back full. */
struct sweep {
    const uint8_t *case_id;              /* match invites into this case, or */
    uint64_t now;                        /* (case_id NULL) those kept long enough */
    size_t n;                            /* keys collected */
    uint8_t keys[SWEEP_BATCH][HASH_LEN]; /* their hashes */
};

static vn_err sweep_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct sweep *c = ud;
    const uint8_t *r = v;
    if (kl != HASH_LEN || vl != INVITE_REC_LEN) return VN_OK;
    if (c->case_id ? memcmp(r + 17, c->case_id, VN_ACCOUNT_LEN) != 0
                   /* Kept a while past expiry, so a late redemption hears
                    * "expired" rather than "unknown". */
                   : vn_be_get64(r + 1) + VN_INVITE_KEEP_MS > c->now)
        return VN_OK;
    memcpy(c->keys[c->n++], k, HASH_LEN);
    *stop = c->n == SWEEP_BATCH;
    return VN_OK;
}

static vn_err sweep(vn_sstore *st, const uint8_t *case_id, uint64_t now)
{
    struct sweep *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->case_id = case_id;
    c->now = now;
    vn_err err;
    do {
        c->n = 0;
        err = st_each(st, VN_DB_INVITES, NULL, 0, sweep_cb, c);
        for (size_t i = 0; !err && i < c->n; i++)
            err = st_del(st, VN_DB_INVITES, c->keys[i], HASH_LEN);
    } while (!err && c->n == SWEEP_BATCH);
    free(c);
    return err;
}

vn_err vn_invites_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return sweep(st, case_id, 0);
}

vn_err vn_invites_expire(vn_sstore *st, uint64_t now)
{
    return sweep(st, NULL, now);
}

vn_err vn_invites_expire_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now)
{
    struct sweep *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->now = now;
    vn_err err = st_each_from(st, VN_DB_INVITES, NULL, 0, pos,
                              max < SWEEP_BATCH ? max : SWEEP_BATCH, sweep_cb, c);
    for (size_t i = 0; !err && i < c->n; i++)
        err = st_del(st, VN_DB_INVITES, c->keys[i], HASH_LEN);
    free(c);
    return err;
}
