/* The intakecodes and visitors tables (vn/intake.h). */
#include "vn/intake.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include "vn/rand.h"
#include "vn/sha256.h"

#include <stdlib.h>
#include <string.h>

#define HASH_LEN     32 /* key of a code: SHA-256 of its secret */
#define CODE_LEN     12 /* per hour, the hour counted, redeems in it */
#define VISITOR_LEN  (16 + 1 + VN_INTAKE_PEERS_MAX * VN_ACCOUNT_LEN)
#define HOUR_MS      3600000ULL
#define PER_HOUR_MAX 100000

vn_err vn_intake_code_create(vn_sstore *st, uint32_t per_hour, uint64_t now,
                             uint8_t secret[VN_INVITE_SECRET_LEN])
{
    uint8_t hash[HASH_LEN], rec[CODE_LEN];
    if (per_hour < 1 || per_hour > PER_HOUR_MAX) return VN_EINVAL;
    vn_err err = vn_rand_bytes(secret, VN_INVITE_SECRET_LEN);
    if (!err) err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    vn_be_put32(rec, per_hour);
    vn_be_put32(rec + 4, (uint32_t)(now / HOUR_MS));
    vn_be_put32(rec + 8, 0);
    /* One code at a time: the programme publishes one. */
    if ((err = st_begin(st))) return err;
    if ((err = st_del_prefix(st, VN_DB_INTAKECODES, NULL, 0)) ||
        (err = st_put(st, VN_DB_INTAKECODES, hash, sizeof hash, rec, sizeof rec)))
        return err; /* a failed write has aborted the transaction */
    return st_commit(st);
}

vn_err vn_intake_code_count(vn_sstore *st, size_t *n)
{
    return vn_kv_count(st->kv, VN_DB_INTAKECODES, n);
}

vn_err vn_intake_code_take(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN], uint64_t now,
                           uint64_t *retry_ms)
{
    uint8_t hash[HASH_LEN], rec[CODE_LEN];
    void *v = NULL;
    size_t n = 0;
    vn_err err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    if ((err = st_get(st, VN_DB_INTAKECODES, hash, sizeof hash, &v, &n))) return err;
    if (n != CODE_LEN) {
        free(v);
        return VN_ESTORE;
    }
    memcpy(rec, v, CODE_LEN);
    free(v);
    uint32_t per_hour = vn_be_get32(rec), hour = (uint32_t)(now / HOUR_MS);
    uint32_t count = vn_be_get32(rec + 4) == hour ? vn_be_get32(rec + 8) : 0;
    if (count >= per_hour) {
        *retry_ms = ((uint64_t)hour + 1) * HOUR_MS - now;
        return VN_ERATE;
    }
    vn_be_put32(rec + 4, hour);
    vn_be_put32(rec + 8, count + 1);
    return st_put(st, VN_DB_INTAKECODES, hash, sizeof hash, rec, sizeof rec);
}

static void unpack(const uint8_t *rec, vn_intake_visitor *v)
{
    v->first_day = (int32_t)vn_be_get32(rec);
    v->last_day = (int32_t)vn_be_get32(rec + 4);
    v->sent_day = (int32_t)vn_be_get32(rec + 8);
    v->sent_count = vn_be_get32(rec + 12);
    v->npeers = rec[16] > VN_INTAKE_PEERS_MAX ? VN_INTAKE_PEERS_MAX : rec[16];
    memcpy(v->peers, rec + 17, sizeof v->peers);
}

vn_err vn_intake_visitor_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                             vn_intake_visitor *out)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_VISITORS, account, VN_ACCOUNT_LEN, &v, &n);
    if (!err && n != VISITOR_LEN) err = VN_ESTORE;
    if (!err) unpack(v, out);
    free(v);
    return err;
}

vn_err vn_intake_visitor_put(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                             const vn_intake_visitor *v)
{
    uint8_t rec[VISITOR_LEN] = {0};
    if (v->npeers > VN_INTAKE_PEERS_MAX) return VN_EINVAL;
    vn_be_put32(rec, (uint32_t)v->first_day);
    vn_be_put32(rec + 4, (uint32_t)v->last_day);
    vn_be_put32(rec + 8, (uint32_t)v->sent_day);
    vn_be_put32(rec + 12, v->sent_count);
    rec[16] = v->npeers;
    memcpy(rec + 17, v->peers, (size_t)v->npeers * VN_ACCOUNT_LEN);
    return st_put(st, VN_DB_VISITORS, account, VN_ACCOUNT_LEN, rec, sizeof rec);
}

vn_err vn_intake_visitor_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    return st_drop(st, VN_DB_VISITORS, account, VN_ACCOUNT_LEN);
}

bool vn_intake_visitor_has_peer(const vn_intake_visitor *v, const uint8_t peer[VN_ACCOUNT_LEN])
{
    for (size_t i = 0; i < v->npeers; i++)
        if (memcmp(v->peers[i], peer, VN_ACCOUNT_LEN) == 0) return true;
    return false;
}

struct walk {
    vn_intake_visitor_fn fn;
    void *ud;
};

static vn_err walk_cb(void *ud, const void *k, size_t kl, const void *val, size_t vl, bool *stop)
{
    struct walk *w = ud;
    vn_intake_visitor v;
    if (kl != VN_ACCOUNT_LEN || vl != VISITOR_LEN) return VN_OK;
    unpack(val, &v);
    return w->fn(w->ud, k, &v, stop);
}

vn_err vn_intake_visitors_each(vn_sstore *st, vn_intake_visitor_fn fn, void *ud)
{
    struct walk w = {fn, ud};
    return st_each(st, VN_DB_VISITORS, NULL, 0, walk_cb, &w);
}
