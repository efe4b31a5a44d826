/* Contracts, records, absences and scheduler bookkeeping in the store. */
#include "vn/contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CASE_LEN 16

static void version_key(uint8_t k[CASE_LEN + 4], const uint8_t case_id[CASE_LEN], uint32_t v)
{
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, v);
}

vn_err vn_contract_put(vn_sstore *st, const uint8_t case_id[16], const uint8_t *canonical,
                       size_t len, uint64_t now, uint32_t version)
{
    uint8_t k[CASE_LEN + 4];
    Vn__StoredContract sc = VN__STORED_CONTRACT__INIT;
    sc.canonical = (ProtobufCBinaryData){len, (uint8_t *)canonical};
    sc.set_ms = now;
    size_t n = vn__stored_contract__get_packed_size(&sc);
    uint8_t *buf = malloc(n);
    if (!buf) return VN_ENOMEM;
    vn__stored_contract__pack(&sc, buf);
    version_key(k, case_id, version);
    vn_err err = vn_kv_put(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    return err;
}

struct versions {
    uint32_t newest, newest_signed; /* version numbers, 0 if none */
};

static vn_err versions_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct versions *c = ud;
    if (kl != CASE_LEN + 4) return VN_ESTORE;
    uint32_t ver = vn_get_be32((const uint8_t *)k + CASE_LEN);
    Vn__StoredContract *sc = vn__stored_contract__unpack(NULL, vl, v);
    if (!sc) return VN_ESTORE;
    if (ver > c->newest) c->newest = ver;
    if (sc->signature.len > 0 && ver > c->newest_signed) c->newest_signed = ver;
    vn__stored_contract__free_unpacked(sc, NULL);
    return VN_OK;
}

static vn_err load_version(vn_sstore *st, const uint8_t case_id[16], uint32_t version,
                           Vn__StoredContract **out)
{
    uint8_t k[CASE_LEN + 4], *v = NULL;
    size_t n;
    version_key(k, case_id, version);
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, (void **)&v, &n);
    if (err) return err;
    *out = vn__stored_contract__unpack(NULL, n, v);
    free(v);
    return *out ? VN_OK : VN_ESTORE;
}

vn_err vn_contract_latest(vn_sstore *st, const uint8_t case_id[16], Vn__StoredContract **out)
{
    struct versions c = {0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_CONTRACTS, case_id, CASE_LEN, versions_cb, &c);
    if (err) return err;
    if (c.newest == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, c.newest, out))) return err;
    (*out)->signed_version = c.newest_signed;
    return VN_OK;
}

vn_err vn_contract_in_force(vn_sstore *st, const uint8_t case_id[16], vn_terms *t)
{
    struct versions c = {0, 0};
    Vn__StoredContract *sc = NULL;
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_CONTRACTS, case_id, CASE_LEN, versions_cb, &c);
    if (err) return err;
    if (c.newest_signed == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, c.newest_signed, &sc))) return err;
    Vn__Contract *ct = vn__contract__unpack(NULL, sc->canonical.len, sc->canonical.data);
    err = ct ? vn_terms_from_pb(ct, t) : VN_ESTORE;
    if (ct) vn__contract__free_unpacked(ct, NULL);
    vn__stored_contract__free_unpacked(sc, NULL);
    return err;
}

vn_err vn_contract_sign(vn_sstore *st, const uint8_t case_id[16], uint32_t version,
                        const uint8_t *sig, size_t siglen, uint64_t now)
{
    Vn__StoredContract *sc = NULL;
    uint8_t k[CASE_LEN + 4];
    vn_err err = load_version(st, case_id, version, &sc);
    if (err) return err;
    /* Swap in the caller's signature just for packing; the unpacked
     * message owns only what it allocated itself. */
    ProtobufCBinaryData own = sc->signature;
    sc->signature = (ProtobufCBinaryData){siglen, (uint8_t *)sig};
    sc->signed_ms = now;
    sc->signed_version = 0;
    size_t n = vn__stored_contract__get_packed_size(sc);
    uint8_t *buf = malloc(n);
    if (buf) vn__stored_contract__pack(sc, buf);
    sc->signature = own;
    vn__stored_contract__free_unpacked(sc, NULL);
    if (!buf) return VN_ENOMEM;
    version_key(k, case_id, version);
    err = vn_kv_put(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    return err;
}

static void event_key(uint8_t k[CASE_LEN + 5], const uint8_t case_id[16], int32_t day, uint8_t kind)
{
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, (uint32_t)day);
    k[CASE_LEN + 4] = kind;
}

vn_err vn_events_add(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind)
{
    uint8_t k[CASE_LEN + 5], cnt[4];
    void *v = NULL;
    size_t n;
    uint32_t count = 0;
    event_key(k, case_id, day, (uint8_t)kind);
    if (vn_kv_get(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k, &v, &n) == VN_OK && n == 4)
        count = vn_get_be32(v);
    free(v);
    vn_put_be32(cnt, count + 1);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k, cnt, sizeof cnt);
}

bool vn_events_has(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind)
{
    uint8_t k[CASE_LEN + 5];
    event_key(k, case_id, day, (uint8_t)kind);
    return vn_kv_has(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k);
}

struct ev_ctx {
    int32_t from; /* first day wanted */
    vn_event *ev; /* growing array */
    size_t n, cap;
};

static vn_err events_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct ev_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != CASE_LEN + 5 || vl != 4) return VN_ESTORE;
    int32_t day = (int32_t)vn_get_be32(p + CASE_LEN);
    if (day < c->from) return VN_OK;
    for (uint32_t i = vn_get_be32(v); i > 0; i--) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 256;
            vn_event *ne = realloc(c->ev, cap * sizeof *ne);
            if (!ne) return VN_ENOMEM;
            c->ev = ne;
            c->cap = cap;
        }
        c->ev[c->n].day = day;
        c->ev[c->n++].kind = p[CASE_LEN + 4];
    }
    return VN_OK;
}

vn_err vn_events_load(vn_sstore *st, const uint8_t case_id[16], int32_t from, vn_event **out,
                      size_t *n)
{
    struct ev_ctx c = {from, NULL, 0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_EVENTS, case_id, CASE_LEN, events_cb, &c);
    if (err) {
        free(c.ev);
        return err;
    }
    *out = c.ev;
    *n = c.n;
    return VN_OK;
}

vn_err vn_absence_add(vn_sstore *st, const uint8_t case_id[16], int32_t from, int32_t to,
                      vn_absence_kind kind)
{
    uint8_t k[CASE_LEN + 5], v[4];
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, (uint32_t)from);
    k[CASE_LEN + 4] = (uint8_t)kind;
    vn_put_be32(v, (uint32_t)to);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_ABSENCES, k, sizeof k, v, sizeof v);
}

struct abs_ctx {
    uint8_t kind;  /* wanted kind */
    vn_absence *a; /* growing array */
    size_t n, cap;
};

static vn_err absences_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct abs_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != CASE_LEN + 5 || vl != 4) return VN_ESTORE;
    if (p[CASE_LEN + 4] != c->kind) return VN_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        vn_absence *na = realloc(c->a, cap * sizeof *na);
        if (!na) return VN_ENOMEM;
        c->a = na;
        c->cap = cap;
    }
    c->a[c->n].from_day = (int32_t)vn_get_be32(p + CASE_LEN);
    c->a[c->n++].to_day = (int32_t)vn_get_be32(v);
    return VN_OK;
}

vn_err vn_absence_load(vn_sstore *st, const uint8_t case_id[16], vn_absence_kind kind,
                       vn_absence **out, size_t *n)
{
    struct abs_ctx c = {(uint8_t)kind, NULL, 0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_ABSENCES, case_id, CASE_LEN, absences_cb, &c);
    if (err) {
        free(c.a);
        return err;
    }
    *out = c.a;
    *n = c.n;
    return VN_OK;
}

vn_err vn_sched_last(vn_sstore *st, const uint8_t case_id[16], int32_t *day)
{
    void *v = NULL;
    size_t n;
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_SCHED, case_id, CASE_LEN, &v, &n);
    if (!err) {
        if (n == 4)
            *day = (int32_t)vn_get_be32(v);
        else
            err = VN_ESTORE;
    }
    free(v);
    return err;
}

vn_err vn_sched_set_last(vn_sstore *st, const uint8_t case_id[16], int32_t day)
{
    uint8_t v[4];
    vn_put_be32(v, (uint32_t)day);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_SCHED, case_id, CASE_LEN, v, sizeof v);
}

vn_err vn_notice_once(vn_sstore *st, const uint8_t case_id[16], uint8_t kind, uint8_t item,
                      int32_t day, bool *already)
{
    uint8_t k[CASE_LEN + 6];
    memcpy(k, case_id, CASE_LEN);
    k[CASE_LEN] = kind;
    k[CASE_LEN + 1] = item;
    vn_put_be32(k + CASE_LEN + 2, (uint32_t)day);
    *already = vn_kv_has(vn_sstore_kv(st), VN_DB_NOTICES, k, sizeof k);
    if (*already) return VN_OK;
    return vn_kv_put(vn_sstore_kv(st), VN_DB_NOTICES, k, sizeof k, "", 0);
}

vn_err vn_contract_purge_case(vn_sstore *st, const uint8_t case_id[16])
{
    vn_kv *kv = vn_sstore_kv(st);
    static const int dbs[] = {VN_DB_CONTRACTS, VN_DB_EVENTS, VN_DB_ABSENCES, VN_DB_NOTICES};
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < sizeof dbs / sizeof dbs[0]; i++)
        err = vn_kv_del_prefix(kv, dbs[i], case_id, CASE_LEN, NULL);
    if (!err) {
        err = vn_kv_del(kv, VN_DB_SCHED, case_id, CASE_LEN);
        if (err == VN_ENOTFOUND) err = VN_OK;
    }
    return err;
}
