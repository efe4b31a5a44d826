/* The accounts and devices tables. */
#include "vn/accounts.h"

#include "sstore_internal.h"
#include "vn/day.h"
#include "vn/array.h"
#include "vn/rand.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define ACCOUNT_REC_LEN 41 /* role, created, device key */

/* The raw record of account into rec. */
static vn_err get_rec(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      uint8_t rec[ACCOUNT_REC_LEN])
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN, &v, &n);
    if (!err && n != ACCOUNT_REC_LEN) err = VN_ESTORE;
    if (!err) memcpy(rec, v, ACCOUNT_REC_LEN);
    free(v);
    return err;
}

/* Every write to the accounts and devices tables goes through here first,
 * so that a cache of what they say (the server's peer cache) sees it. */
static void written(vn_sstore *st)
{
    st->accounts_gen++;
    st->accounts_txn = vn_kv_txn_serial(st->kv);
}

void vn_accounts_written_raw(vn_sstore *st)
{
    written(st);
}

uint64_t vn_accounts_generation(const vn_sstore *st)
{
    return st->accounts_gen;
}

bool vn_accounts_settled(const vn_sstore *st)
{
    return !vn_kv_in_txn(st->kv) || st->accounts_txn != vn_kv_txn_serial(st->kv);
}

vn_err vn_accounts_create(vn_sstore *st, vn_role role, const uint8_t device_key[VN_CURVE_KEY_LEN],
                          uint64_t now, uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t rec[ACCOUNT_REC_LEN];
    vn_err err = st_begin(st);
    if (err) return err;
    if (st_has(st, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN)) {
        st_commit(st);
        return VN_EEXISTS;
    }
    /* Account ids are random, so they say nothing about who or when. */
    do {
        if ((err = vn_rand_bytes(account, VN_ACCOUNT_LEN))) {
            st_commit(st);
            return err;
        }
    } while (st_has(st, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN));
    rec[0] = (uint8_t)role;
    vn_be_put64(rec + 1, vn_day_floor_ms(now)); /* a day, not the moment of joining */
    memcpy(rec + 9, device_key, VN_CURVE_KEY_LEN);
    written(st);
    if ((err = st_put(st, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN, rec, sizeof rec)) ||
        (err = st_put(st, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN, account, VN_ACCOUNT_LEN)))
        return err; /* the failed put aborted the transaction */
    return st_commit(st);
}

vn_err vn_accounts_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t rec[ACCOUNT_REC_LEN];
    vn_err err = get_rec(st, account, rec);
    if (err) return err;
    if ((err = st_begin(st))) return err;
    written(st);
    if ((err = st_drop(st, VN_DB_DEVICES, rec + 9, VN_CURVE_KEY_LEN)) ||
        (err = st_del(st, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}

bool vn_accounts_exists(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    return st_has(st, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN);
}

bool vn_accounts_has_device(vn_sstore *st, const uint8_t device_key[VN_CURVE_KEY_LEN])
{
    return st_has(st, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN);
}

vn_err vn_accounts_role(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint8_t rec[ACCOUNT_REC_LEN];
    vn_err err = get_rec(st, account, rec);
    if (!err) *role = (vn_role)rec[0];
    return err;
}

vn_err vn_accounts_by_device(vn_sstore *st, const uint8_t device_key[VN_CURVE_KEY_LEN],
                             uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint8_t rec[ACCOUNT_REC_LEN];
    void *acc = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN, &acc, &n);
    if (err) return err;
    if (n != VN_ACCOUNT_LEN) err = VN_ESTORE;
    if (!err) err = get_rec(st, acc, rec);
    if (!err) {
        memcpy(account, acc, VN_ACCOUNT_LEN);
        *role = (vn_role)rec[0];
    }
    free(acc);
    return err;
}

struct role_list {
    vn_role role;                   /* wanted role */
    uint8_t (*ids)[VN_ACCOUNT_LEN]; /* found so far */
    size_t n, cap;
};

static vn_err role_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct role_list *c = ud;
    if (kl != VN_ACCOUNT_LEN || vl != ACCOUNT_REC_LEN || ((const uint8_t *)v)[0] != c->role)
        return VN_OK;
    vn_err err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, VN_ACCOUNTS_LIST_MAX);
    if (err) return err;
    memcpy(c->ids[c->n++], k, VN_ACCOUNT_LEN);
    return VN_OK;
}

vn_err vn_accounts_with_role(vn_sstore *st, vn_role role, uint8_t (**out)[VN_ACCOUNT_LEN],
                             size_t *n)
{
    struct role_list c = {role, NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ACCOUNTS, NULL, 0, role_cb, &c);
    if (err) {
        free(c.ids);
        return err;
    }
    *out = c.ids;
    *n = c.n;
    return VN_OK;
}
