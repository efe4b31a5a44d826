/* The contracts table. */
#include "vn/contracts.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/day.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

static void version_key(uint8_t k[VN_ACCOUNT_LEN + 4], const uint8_t case_id[VN_ACCOUNT_LEN],
                        uint32_t v)
{
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    vn_be_put32(k + VN_ACCOUNT_LEN, v);
}

static vn_err prune(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

vn_err vn_contracts_put(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                        const uint8_t *canonical, size_t len, uint64_t now, uint32_t version)
{
    uint8_t k[VN_ACCOUNT_LEN + 4];
    Vn__StoredContract sc = VN__STORED_CONTRACT__INIT;
    sc.canonical = (ProtobufCBinaryData){len, (uint8_t *)canonical};
    sc.set_ms = vn_day_floor_ms(now); /* a day is all anyone reads of it */
    size_t n = vn__stored_contract__get_packed_size(&sc);
    uint8_t *buf = malloc(n);
    if (!buf) return VN_ENOMEM;
    vn__stored_contract__pack(&sc, buf);
    version_key(k, case_id, version);
    vn_err err = st_put(st, VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    if (err) return err;
    /* A new version replaces the one still waiting for a signature. */
    return prune(st, case_id);
}

struct versions {
    uint32_t newest, newest_signed; /* version numbers, 0 if none */
    bool collect;                   /* whether to list every version in all */
    uint32_t *all;
    size_t n, cap;
};

static vn_err versions_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct versions *c = ud;
    if (kl != VN_ACCOUNT_LEN + 4) return VN_ESTORE;
    uint32_t ver = vn_be_get32((const uint8_t *)k + VN_ACCOUNT_LEN);
    Vn__StoredContract *sc = vn__stored_contract__unpack(NULL, vl, v);
    if (!sc) return VN_ESTORE;
    if (ver > c->newest) c->newest = ver;
    if (sc->signature.len > 0 && ver > c->newest_signed) c->newest_signed = ver;
    vn__stored_contract__free_unpacked(sc, NULL);
    if (c->collect) {
        vn_err err = vn_array_reserve(&c->all, &c->cap, c->n + 1, sizeof *c->all, 1u << 16);
        if (err) return err;
        c->all[c->n++] = ver;
    }
    return VN_OK;
}

vn_err vn_contracts_versions(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint32_t *newest,
                             uint32_t *in_force)
{
    struct versions c = {0, 0, false, NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_CONTRACTS, case_id, VN_ACCOUNT_LEN, versions_cb, &c);
    if (err) return err;
    if (newest) *newest = c.newest;
    if (in_force) *in_force = c.newest_signed;
    return VN_OK;
}

/* Keeps the version in force (the newest signed) and, if newer, the one
 * waiting for its signature; every other goes. The server needs no more,
 * and an old version tells a story (a raised test rate after a positive
 * test). One walk finds both and every version to drop. */
static vn_err prune(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    struct versions c = {0, 0, true, NULL, 0, 0};
    uint8_t k[VN_ACCOUNT_LEN + 4];
    vn_err err = st_each(st, VN_DB_CONTRACTS, case_id, VN_ACCOUNT_LEN, versions_cb, &c);
    uint32_t waiting = c.newest > c.newest_signed ? c.newest : 0;
    for (size_t i = 0; !err && i < c.n; i++) {
        if (c.all[i] == c.newest_signed || c.all[i] == waiting) continue;
        version_key(k, case_id, c.all[i]);
        err = st_drop(st, VN_DB_CONTRACTS, k, sizeof k);
    }
    free(c.all);
    return err;
}

static vn_err load_version(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint32_t version,
                           Vn__StoredContract **out)
{
    uint8_t k[VN_ACCOUNT_LEN + 4], *v = NULL;
    size_t n;
    version_key(k, case_id, version);
    vn_err err = st_get(st, VN_DB_CONTRACTS, k, sizeof k, (void **)&v, &n);
    if (err) return err;
    *out = vn__stored_contract__unpack(NULL, n, v);
    free(v);
    return *out ? VN_OK : VN_ESTORE;
}

vn_err vn_contracts_latest(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           Vn__StoredContract **out)
{
    struct versions c = {0, 0, false, NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_CONTRACTS, case_id, VN_ACCOUNT_LEN, versions_cb, &c);
    if (err) return err;
    if (c.newest == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, c.newest, out))) return err;
    (*out)->signed_version = c.newest_signed;
    return VN_OK;
}

/* The terms of the newest signed version (signed) or of the newest one. */
static vn_err terms_of(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], bool signed_only,
                       vn_terms *t)
{
    struct versions c = {0, 0, false, NULL, 0, 0};
    Vn__StoredContract *sc = NULL;
    vn_err err = st_each(st, VN_DB_CONTRACTS, case_id, VN_ACCOUNT_LEN, versions_cb, &c);
    if (err) return err;
    uint32_t version = signed_only ? c.newest_signed : c.newest;
    if (version == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, version, &sc))) return err;
    Vn__Contract *ct = vn__contract__unpack(NULL, sc->canonical.len, sc->canonical.data);
    err = ct ? vn_terms_from_pb(ct, t) : VN_ESTORE;
    if (ct) vn__contract__free_unpacked(ct, NULL);
    vn__stored_contract__free_unpacked(sc, NULL);
    return err;
}

vn_err vn_contracts_in_force(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_terms *t)
{
    return terms_of(st, case_id, true, t);
}

vn_err vn_contracts_newest_terms(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_terms *t)
{
    return terms_of(st, case_id, false, t);
}

vn_err vn_contracts_sign(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint32_t version,
                         const uint8_t *sig, size_t siglen, uint64_t now)
{
    Vn__StoredContract *sc = NULL;
    uint8_t k[VN_ACCOUNT_LEN + 4];
    vn_err err = load_version(st, case_id, version, &sc);
    if (err) return err;
    /* Swap in the caller's signature just for packing; the unpacked
     * message owns only what it allocated itself. */
    ProtobufCBinaryData own = sc->signature;
    sc->signature = (ProtobufCBinaryData){siglen, (uint8_t *)sig};
    sc->signed_ms = vn_day_floor_ms(now);
    sc->signed_version = 0;
    size_t n = vn__stored_contract__get_packed_size(sc);
    uint8_t *buf = malloc(n);
    if (buf) vn__stored_contract__pack(sc, buf);
    sc->signature = own;
    vn__stored_contract__free_unpacked(sc, NULL);
    if (!buf) return VN_ENOMEM;
    version_key(k, case_id, version);
    err = st_put(st, VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    if (err) return err;
    /* Signed, this version is in force: the one before it is superseded,
     * and so is an older one still waiting. A newer one waiting stays. */
    return prune(st, case_id);
}

vn_err vn_contracts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return st_del_prefix(st, VN_DB_CONTRACTS, case_id, VN_ACCOUNT_LEN);
}
