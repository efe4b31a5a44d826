/* Prefix scans and deletes of a vn_kv (vn_kv_each, vn_kv_each_from,
 * vn_kv_del_prefix). Sealed tables are scanned by their group's hash and
 * the matches opened and sorted in memory, so a caller sees its own keys
 * in order either way. */
#include "kv_internal.h"

#include "vn/array.h"

#include <stdlib.h>
#include <string.h>

/* One record of a sealed scan: the opened box and where it is stored. */
typedef struct kv_match {
    kv_opened o;
    uint8_t sk[KV_SKEY_MAX];
    size_t sklen;
} kv_match;

typedef struct kv_matches {
    kv_match *items;
    size_t n, cap;
} kv_matches;

static void matches_free(kv_matches *m)
{
    for (size_t i = 0; i < m->n; i++)
        kv_seal_free(&m->items[i].o);
    free(m->items);
    memset(m, 0, sizeof *m);
}

static int match_cmp(const void *a, const void *b)
{
    const kv_opened *x = &((const kv_match *)a)->o, *y = &((const kv_match *)b)->o;
    int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
    return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* The records of db whose caller's key starts with prefix, in the order of
 * those keys. With a prefix as long as the database's group only that
 * group's stored records are opened; otherwise all of them are. */
static vn_err sealed_matches(vn_kv *self, MDB_txn *txn, int db, const void *prefix, size_t plen,
                             kv_matches *m)
{
    MDB_cursor *cur = NULL;
    uint8_t gh[KV_HASH_LEN];
    size_t group = self->group[db] & ~VN_KV_ORDERED, glen = 0;
    memset(m, 0, sizeof *m);
    if (group && plen >= group) {
        kv_seal_group(&self->seal, db, prefix, group, gh);
        glen = KV_HASH_LEN;
    }
    int rc = mdb_cursor_open(txn, self->dbi[db], &cur);
    if (rc) return vn_kv_err_from_mdb(rc);
    vn_err err = VN_OK;
    MDB_val k = {glen, gh}, v;
    for (rc = mdb_cursor_get(cur, &k, &v, glen ? MDB_SET_RANGE : MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (glen && (k.mv_size < glen || memcmp(k.mv_data, gh, glen) != 0)) break;
        if ((err = vn_array_reserve(&m->items, &m->cap, m->n + 1, sizeof *m->items, KV_SCAN_MAX)))
            goto out;
        kv_match *it = &m->items[m->n];
        if (k.mv_size > KV_SKEY_MAX) {
            err = VN_ECRYPTO; /* not a record this store wrote */
            goto out;
        }
        if ((err =
                 kv_seal_open(&self->seal, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &it->o)))
            goto out;
        if (it->o.klen < plen || (plen && memcmp(it->o.key, prefix, plen) != 0)) {
            kv_seal_free(&it->o);
            continue;
        }
        memcpy(it->sk, k.mv_data, k.mv_size);
        it->sklen = k.mv_size;
        m->n++;
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) err = vn_kv_err_from_mdb(rc);
out:
    mdb_cursor_close(cur);
    if (err)
        matches_free(m);
    else if (m->n > 1)
        qsort(m->items, m->n, sizeof *m->items, match_cmp);
    return err;
}

static vn_err each_sealed(vn_kv *self, MDB_txn *txn, int db, const void *prefix, size_t plen,
                          vn_kv_each_fn fn, void *ud)
{
    kv_matches m;
    vn_err err = sealed_matches(self, txn, db, prefix, plen, &m);
    for (size_t i = 0; !err && i < m.n; i++) {
        bool stop = false;
        const kv_opened *o = &m.items[i].o;
        err = fn(ud, o->key, o->klen, o->val, o->vlen, &stop);
        if (stop) break;
    }
    matches_free(&m);
    return err;
}

vn_err vn_kv_each(vn_kv *self, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud)
{
    MDB_txn *txn, *own;
    MDB_cursor *cur = NULL;
    if (!kv_db_ok(self, db)) return VN_EINVAL;
    vn_err err = kv_settle(self); /* a scan reads what is stored */
    if (err) return err;
    int rc = kv_read_txn(self, &txn, &own);
    if (rc) return vn_kv_err_from_mdb(rc);
    if (self->sealed) {
        err = each_sealed(self, txn, db, prefix, plen, fn, ud);
        goto out;
    }
    rc = mdb_cursor_open(txn, self->dbi[db], &cur);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
        goto out;
    }
    MDB_val k = {plen, (void *)prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
        bool stop = false;
        vn_err r = fn(ud, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &stop);
        if (r != VN_OK) {
            err = r;
            goto out;
        }
        if (stop) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) err = vn_kv_err_from_mdb(rc);
out:
    if (cur) mdb_cursor_close(cur);
    if (own) mdb_txn_abort(own);
    return err;
}

static vn_err del_prefix_sealed(vn_kv *self, int db, const void *prefix, size_t plen, size_t *n)
{
    kv_matches m;
    vn_err err = sealed_matches(self, self->txn, db, prefix, plen, &m);
    for (size_t i = 0; !err && i < m.n; i++) {
        MDB_val k = {m.items[i].sklen, m.items[i].sk};
        int rc = mdb_del(self->txn, self->dbi[db], &k, NULL);
        if (rc) err = vn_kv_err_from_mdb(rc);
        if (!err) err = kv_ws_record(self, db, &k, NULL);
    }
    *n = err ? 0 : m.n;
    matches_free(&m);
    return err;
}

vn_err vn_kv_del_prefix(vn_kv *self, int db, const void *prefix, size_t plen, size_t *count)
{
    MDB_cursor *cur = NULL;
    size_t n = 0;
    if (!kv_db_ok(self, db)) return VN_EINVAL;
    vn_err err = kv_settle(self);
    if (err || (err = vn_kv_begin(self))) return err;
    kv_cache_touch(self, db);
    self->writes++;
    if (self->sealed) {
        if ((err = del_prefix_sealed(self, db, prefix, plen, &n))) {
            kv_txn_fail(self, err);
            return err;
        }
        if (count) *count = n;
        return vn_kv_commit(self);
    }
    int rc = mdb_cursor_open(self->txn, self->dbi[db], &cur);
    if (rc) goto fail;
    MDB_val k = {plen, (void *)prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
        /* Recorded before the delete, while k still points at the key. */
        vn_err werr = kv_ws_record(self, db, &k, NULL);
        if (werr) {
            mdb_cursor_close(cur);
            kv_txn_fail(self, werr);
            return werr;
        }
        rc = mdb_cursor_del(cur, 0);
        if (rc) goto fail;
        n++;
        /* After a delete the cursor already rests on the next entry;
         * LMDB's MDB_NEXT knows not to skip it. */
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) goto fail;
    mdb_cursor_close(cur);
    if (count) *count = n;
    return vn_kv_commit(self);
fail:
    if (cur) mdb_cursor_close(cur);
    kv_txn_fail(self, vn_kv_err_from_mdb(rc));
    return vn_kv_err_from_mdb(rc);
}

void vn_kv_pos_reset(vn_kv_pos *pos)
{
    memset(pos, 0, sizeof *pos);
}

/* Puts cur on the first record after pos (or on the first of the stored
 * prefix sp) and says whether there is one under sp. Seeking again for
 * every record costs a descent of the tree's cached pages, and keeps the
 * walk right when fn wrote to the table in the same write transaction. */
static int seek_after(MDB_cursor *cur, const vn_kv_pos *pos, const void *sp, size_t splen,
                      MDB_val *k, MDB_val *v)
{
    int rc;
    if (pos->len) {
        *k = (MDB_val){pos->len, (void *)pos->key};
        rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
        if (rc == MDB_SUCCESS && k->mv_size == pos->len && !memcmp(k->mv_data, pos->key, pos->len))
            rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
    } else if (splen) {
        *k = (MDB_val){splen, (void *)sp};
        rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    } else {
        rc = mdb_cursor_get(cur, k, v, MDB_FIRST);
    }
    if (rc == MDB_SUCCESS && splen && (k->mv_size < splen || memcmp(k->mv_data, sp, splen) != 0))
        rc = MDB_NOTFOUND;
    return rc;
}

/* Hands one stored record to fn as the caller's key and value: on a
 * sealed store its box is opened, and a record outside prefix skipped. */
static vn_err walk_one(vn_kv *self, int db, MDB_val k, MDB_val v, const void *prefix, size_t plen,
                       vn_kv_each_fn fn, void *ud, bool *stop)
{
    if (!self->sealed) return fn(ud, k.mv_data, k.mv_size, v.mv_data, v.mv_size, stop);
    if (k.mv_size > KV_SKEY_MAX) return VN_ECRYPTO; /* not a record this store wrote */
    kv_opened o;
    vn_err err = kv_seal_open(&self->seal, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &o);
    if (err) return err;
    if (o.klen >= plen && (plen == 0 || memcmp(o.key, prefix, plen) == 0))
        err = fn(ud, o.key, o.klen, o.val, o.vlen, stop);
    kv_seal_free(&o);
    return err;
}

vn_err vn_kv_each_from(vn_kv *self, int db, const void *prefix, size_t plen, vn_kv_pos *pos,
                       size_t max, vn_kv_each_fn fn, void *ud)
{
    MDB_txn *txn, *own;
    MDB_cursor *cur = NULL;
    uint8_t gh[KV_HASH_LEN];
    const void *sp = prefix; /* the stored prefix of every record under prefix */
    size_t splen = plen;
    if (!kv_db_ok(self, db) || !pos || pos->len > VN_KV_POS_MAX || (plen && !prefix))
        return VN_EINVAL;
    if (pos->done || max == 0) return VN_OK;
    vn_err err = kv_settle(self);
    if (err) return err;
    if (self->sealed) {
        size_t group = self->group[db] & ~VN_KV_ORDERED;
        splen = 0;
        if (group && plen >= group) {
            kv_seal_group(&self->seal, db, prefix, group, gh);
            sp = gh;
            splen = KV_HASH_LEN;
        }
    }
    int rc = kv_read_txn(self, &txn, &own);
    if (rc) return vn_kv_err_from_mdb(rc);
    rc = mdb_cursor_open(txn, self->dbi[db], &cur);
    MDB_val k, v;
    if (rc == MDB_SUCCESS) rc = seek_after(cur, pos, sp, splen, &k, &v);
    for (size_t n = 0; rc == MDB_SUCCESS && n < max; n++) {
        bool stop = false;
        uint8_t key[VN_KV_POS_MAX];
        size_t klen = k.mv_size;
        if (klen > VN_KV_POS_MAX) {
            err = VN_ESTORE;
            goto out;
        }
        /* Copied first: a write by fn may move the record's page. */
        memcpy(key, k.mv_data, klen);
        if ((err = walk_one(self, db, k, v, prefix, plen, fn, ud, &stop))) goto out;
        memcpy(pos->key, key, klen);
        pos->len = klen;
        rc = seek_after(cur, pos, sp, splen, &k, &v);
        if (stop) break;
    }
    if (rc == MDB_NOTFOUND)
        pos->done = true;
    else if (rc != MDB_SUCCESS)
        err = vn_kv_err_from_mdb(rc);
out:
    if (cur) mdb_cursor_close(cur);
    if (own) mdb_txn_abort(own);
    return err;
}
