/* The invites table. */
#include "vn/invites.h"

#include "sstore_internal.h"
#include "vn/rand.h"
#include "vn/sha256.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define INVITE_REC_LEN 33 /* role, expires, redeemed flag, case (zeros for none) */
#define HASH_LEN       32 /* key: SHA-256 of the secret */

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

/* Which invites a sweep deletes: those into case_id, or (case_id NULL)
 * those kept long enough past their expiry. */
struct sweep {
    const uint8_t *case_id;
    uint64_t now;
};

static bool sweep_match(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    const struct sweep *c = ud;
    const uint8_t *r = v;
    (void)k;
    if (kl != HASH_LEN || vl != INVITE_REC_LEN) return false;
    return c->case_id ? memcmp(r + 17, c->case_id, VN_ACCOUNT_LEN) == 0
                      /* Kept a while past expiry, so a late redemption
                       * hears "expired" rather than "unknown". */
                      : vn_be_get64(r + 1) + VN_INVITE_KEEP_MS <= c->now;
}

static vn_err sweep(vn_sstore *st, const uint8_t *case_id, uint64_t now)
{
    struct sweep c = {.case_id = case_id, .now = now};
    return st_del_where(st, VN_DB_INVITES, sweep_match, &c);
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
    struct sweep c = {.now = now};
    return st_del_where_from(st, VN_DB_INVITES, pos, max, sweep_match, &c);
}
