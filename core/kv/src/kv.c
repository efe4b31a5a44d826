#include "vn/kv.h"

#include "vn/util.h"

#include <errno.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define KV_MAX_DBS 32

struct vn_kv {
    MDB_env *env;            /* the environment, one per directory */
    MDB_dbi dbi[KV_MAX_DBS]; /* handles of the named databases */
    int ndb;                 /* how many of dbi[] are open */
    MDB_txn *txn;            /* the open write transaction, or NULL */
    int depth;               /* nesting level of vn_kv_begin() calls */
    MDB_txn *parent;         /* the enclosing transaction while a sub-transaction runs */
    int sub_base;            /* depth when the sub-transaction began */
    bool sub_aborted;        /* the sub-transaction was aborted inside */
    bool sealed;             /* values are encrypted with seal_key */
    uint8_t seal_key[32];    /* AES-256-GCM key for values (client stores) */
};

#define SEAL_NONCE     12
#define SEAL_TAG       16
#define SEAL_VALUE_MAX (64u << 20)

/* AES-256-GCM over a value, bound to its database and key (AAD), so a
 * value cannot be moved to another key unnoticed. in == NULL seals an
 * empty value. */
static vn_err seal_op(const vn_kv *self, bool enc, int db, const void *key, size_t klen,
                      const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
    uint8_t dbb = (uint8_t)db, tag[SEAL_TAG];
    int len = 0, fin = 0;
    vn_err err = VN_ECRYPTO;
    if (!enc && inlen < SEAL_NONCE + SEAL_TAG) return VN_ECRYPTO;
    if (inlen > SEAL_VALUE_MAX) return VN_ETOOBIG;
    size_t plen = enc ? inlen : inlen - SEAL_NONCE - SEAL_TAG;
    size_t total = enc ? SEAL_NONCE + inlen + SEAL_TAG : plen;
    uint8_t *buf = malloc(total ? total : 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!buf || !ctx) {
        err = VN_ENOMEM;
        goto out;
    }
    const uint8_t *nonce = enc ? buf : in;
    if (enc && vn_random(buf, SEAL_NONCE) != VN_OK) goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, self->seal_key, nonce, enc) != 1 ||
        EVP_CipherUpdate(ctx, NULL, &len, &dbb, 1) != 1 ||
        (klen && EVP_CipherUpdate(ctx, NULL, &len, key, (int)klen) != 1))
        goto out;
    const uint8_t *src = enc ? in : in + SEAL_NONCE;
    uint8_t *dst = enc ? buf + SEAL_NONCE : buf;
    len = 0;
    if (plen && EVP_CipherUpdate(ctx, dst, &len, src, (int)plen) != 1) goto out;
    if (!enc) {
        memcpy(tag, in + inlen - SEAL_TAG, SEAL_TAG);
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, tag) != 1) goto out;
    }
    if (EVP_CipherFinal_ex(ctx, dst + len, &fin) != 1) goto out; /* wrong key or tampered */
    if (enc &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, buf + SEAL_NONCE + plen) != 1)
        goto out;
    *out = buf;
    *outlen = total;
    buf = NULL;
    err = VN_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (buf) {
        explicit_bzero(buf, total);
        free(buf);
    }
    return err;
}

vn_err vn_kv_seal(vn_kv *self, const uint8_t key[32], const size_t *group)
{
    memcpy(self->seal_key, key, 32);
    self->sealed = true;
    return VN_OK;
}

vn_err vn_err_from_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return VN_OK;
    case MDB_NOTFOUND:
        return VN_ENOTFOUND;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case ENOSPC:
        return VN_EFULL;
    case ENOMEM:
        return VN_ENOMEM;
    case EACCES:
    case ENOENT:
    case EIO:
        return VN_EIO;
    default:
        return VN_ESTORE;
    }
}

vn_err vn_kv_open(vn_kv **out, const char *dir, const char *const *dbs, int ndb, size_t mapsize)
{
    vn_err err;
    MDB_txn *txn = NULL;
    int rc;

    if (!out || !dir || ndb < 0 || ndb > KV_MAX_DBS) return VN_EINVAL;
    vn_kv *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    rc = mdb_env_create(&s->env);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto err_free_s;
    }
    mdb_env_set_maxdbs(s->env, KV_MAX_DBS);
    rc = mdb_env_set_mapsize(s->env, mapsize ? mapsize : (size_t)1 << 30);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto err_close_env;
    }
    /* MDB_NOTLS: read transactions are not tied to threads, so a reader
     * never blocks on a stale slot of the same thread. */
    rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto err_close_env;
    }
    rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto err_close_env;
    }
    for (int i = 0; i < ndb; i++) {
        /* NULL would be LMDB's main database, which holds the names. */
        if (!dbs[i]) {
            err = VN_EINVAL;
            goto err_abort;
        }
        rc = mdb_dbi_open(txn, dbs[i], MDB_CREATE, &s->dbi[i]);
        if (rc) {
            err = vn_err_from_mdb(rc);
            goto err_abort;
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto err_close_env;
    }
    s->ndb = ndb;
    *out = s;
    return VN_OK;

err_abort:
    mdb_txn_abort(txn);
err_close_env:
    mdb_env_close(s->env);
err_free_s:
    free(s);
    return err;
}

void vn_kv_close(vn_kv **self_p)
{
    if (!self_p || !*self_p) return;
    vn_kv *s = *self_p;
    if (s->txn) mdb_txn_abort(s->txn);
    mdb_env_close(s->env);
    explicit_bzero(s->seal_key, sizeof s->seal_key);
    free(s);
    *self_p = NULL;
}

vn_err vn_kv_begin(vn_kv *self)
{
    if (self->depth > 0) {
        self->depth++;
        return VN_OK;
    }
    int rc = mdb_txn_begin(self->env, NULL, 0, &self->txn);
    if (rc) {
        self->txn = NULL;
        return vn_err_from_mdb(rc);
    }
    self->depth = 1;
    return VN_OK;
}

vn_err vn_kv_commit(vn_kv *self)
{
    if (self->depth <= 0) return VN_EINVAL;
    /* Inside a sub-transaction only vn_kv_sub_end() may end it. */
    if (self->parent && self->depth - 1 <= self->sub_base) return VN_EINVAL;
    if (--self->depth > 0) return VN_OK;
    int rc = mdb_txn_commit(self->txn);
    self->txn = NULL;
    return vn_err_from_mdb(rc);
}

void vn_kv_abort(vn_kv *self)
{
    if (self->parent) {
        /* Only the sub-transaction is lost; the enclosing one goes on. */
        mdb_txn_abort(self->txn);
        self->txn = self->parent;
        self->parent = NULL;
        self->depth = self->sub_base;
        self->sub_aborted = true;
        return;
    }
    if (self->txn) mdb_txn_abort(self->txn);
    self->txn = NULL;
    self->depth = 0;
}

vn_err vn_kv_sub_begin(vn_kv *self)
{
    MDB_txn *child;
    if (!self->txn || self->parent) return VN_EINVAL;
    int rc = mdb_txn_begin(self->env, self->txn, 0, &child);
    if (rc) return vn_err_from_mdb(rc);
    self->parent = self->txn;
    self->txn = child;
    self->sub_base = self->depth;
    self->depth++;
    self->sub_aborted = false;
    return VN_OK;
}

vn_err vn_kv_sub_end(vn_kv *self, bool keep)
{
    if (self->sub_aborted) {
        self->sub_aborted = false;
        return keep ? VN_ESTORE : VN_OK; /* an inner failure already discarded it */
    }
    if (!self->parent) return VN_EINVAL;
    /* A failed child commit frees the child; the parent is untouched. */
    int rc = keep ? mdb_txn_commit(self->txn) : (mdb_txn_abort(self->txn), MDB_SUCCESS);
    self->txn = self->parent;
    self->parent = NULL;
    self->depth = self->sub_base;
    return vn_err_from_mdb(rc);
}

bool vn_kv_in_txn(const vn_kv *self)
{
    return self->depth > 0;
}

/* Runs a read against the open write transaction if there is one, else in
 * a fresh read-only transaction that *own receives for the caller to end. */
static int read_txn(vn_kv *self, MDB_txn **txn, MDB_txn **own)
{
    *own = NULL;
    if (self->txn) {
        *txn = self->txn;
        return MDB_SUCCESS;
    }
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, own);
    *txn = *own;
    return rc;
}

static bool db_ok(const vn_kv *self, int db)
{
    return db >= 0 && db < self->ndb;
}

vn_err vn_kv_put(vn_kv *self, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    uint8_t *sealed = NULL;
    size_t slen = 0;
    if (!db_ok(self, db) || klen == 0) return VN_EINVAL;
    if (self->sealed) {
        vn_err e = seal_op(self, true, db, key, klen, val, vlen, &sealed, &slen);
        if (e) return e;
        val = sealed;
        vlen = slen;
    }
    vn_err err = vn_kv_begin(self);
    if (err) goto out;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_put(self->txn, self->dbi[db], &k, &v, 0);
    if (rc) {
        vn_kv_abort(self);
        err = vn_err_from_mdb(rc);
        goto out;
    }
    err = vn_kv_commit(self);
out:
    free(sealed);
    return err;
}

vn_err vn_kv_del(vn_kv *self, int db, const void *key, size_t klen)
{
    if (!db_ok(self, db) || klen == 0) return VN_EINVAL;
    vn_err err = vn_kv_begin(self);
    if (err) return err;
    MDB_val k = {klen, (void *)key};
    int rc = mdb_del(self->txn, self->dbi[db], &k, NULL);
    if (rc == MDB_NOTFOUND) {
        vn_kv_commit(self);
        return VN_ENOTFOUND;
    }
    if (rc) {
        vn_kv_abort(self);
        return vn_err_from_mdb(rc);
    }
    return vn_kv_commit(self);
}

vn_err vn_kv_get(vn_kv *self, int db, const void *key, size_t klen, void **val, size_t *vlen)
{
    MDB_txn *txn, *own;
    if (!db_ok(self, db) || klen == 0) return VN_EINVAL;
    int rc = read_txn(self, &txn, &own);
    if (rc) return vn_err_from_mdb(rc);
    MDB_val k = {klen, (void *)key}, v;
    vn_err err = VN_OK;
    rc = mdb_get(txn, self->dbi[db], &k, &v);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto out;
    }
    if (self->sealed && (val || vlen)) {
        uint8_t *plain = NULL;
        size_t n = 0;
        if ((err = seal_op(self, false, db, key, klen, v.mv_data, v.mv_size, &plain, &n))) goto out;
        if (val)
            *val = plain;
        else {
            explicit_bzero(plain, n);
            free(plain);
        }
        if (vlen) *vlen = n;
        goto out;
    }
    if (val) {
        *val = malloc(v.mv_size ? v.mv_size : 1);
        if (!*val) {
            err = VN_ENOMEM;
            goto out;
        }
        memcpy(*val, v.mv_data, v.mv_size);
    }
    if (vlen) *vlen = v.mv_size;
out:
    if (own) mdb_txn_abort(own);
    return err;
}

bool vn_kv_has(vn_kv *self, int db, const void *key, size_t klen)
{
    return vn_kv_get(self, db, key, klen, NULL, NULL) == VN_OK;
}

vn_err vn_kv_each(vn_kv *self, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud)
{
    MDB_txn *txn, *own;
    MDB_cursor *cur = NULL;
    if (!db_ok(self, db)) return VN_EINVAL;
    int rc = read_txn(self, &txn, &own);
    if (rc) return vn_err_from_mdb(rc);
    vn_err err = VN_OK;
    rc = mdb_cursor_open(txn, self->dbi[db], &cur);
    if (rc) {
        err = vn_err_from_mdb(rc);
        goto out;
    }
    MDB_val k = {plen, (void *)prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
        vn_err r;
        bool stop = false;
        if (self->sealed) {
            uint8_t *plain = NULL;
            size_t n = 0;
            if ((err = seal_op(self, false, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &plain,
                               &n)))
                goto out;
            r = fn(ud, k.mv_data, k.mv_size, plain, n, &stop);
            explicit_bzero(plain, n);
            free(plain);
        } else {
            r = fn(ud, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &stop);
        }
        if (r != VN_OK) {
            err = r;
            goto out;
        }
        if (stop) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) err = vn_err_from_mdb(rc);
out:
    if (cur) mdb_cursor_close(cur);
    if (own) mdb_txn_abort(own);
    return err;
}

vn_err vn_kv_del_prefix(vn_kv *self, int db, const void *prefix, size_t plen, size_t *count)
{
    MDB_cursor *cur = NULL;
    size_t n = 0;
    if (!db_ok(self, db)) return VN_EINVAL;
    vn_err err = vn_kv_begin(self);
    if (err) return err;
    int rc = mdb_cursor_open(self->txn, self->dbi[db], &cur);
    if (rc) goto fail;
    MDB_val k = {plen, (void *)prefix}, v;
    rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
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
    vn_kv_abort(self);
    return vn_err_from_mdb(rc);
}

vn_err vn_kv_count(vn_kv *self, int db, size_t *count)
{
    MDB_txn *txn, *own;
    MDB_stat st;
    if (!db_ok(self, db)) return VN_EINVAL;
    int rc = read_txn(self, &txn, &own);
    if (rc) return vn_err_from_mdb(rc);
    rc = mdb_stat(txn, self->dbi[db], &st);
    if (own) mdb_txn_abort(own);
    if (rc) return vn_err_from_mdb(rc);
    *count = st.ms_entries;
    return VN_OK;
}

vn_err vn_kv_usage(vn_kv *self, bool count_free, size_t *used_pages, size_t *map_pages)
{
    MDB_envinfo info;
    MDB_stat st;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t free_pages = 0;
    int rc = mdb_env_info(self->env, &info);
    if (!rc) rc = mdb_env_stat(self->env, &st);
    if (rc) return vn_err_from_mdb(rc);
    *map_pages = info.me_mapsize / st.ms_psize;
    *used_pages = info.me_last_pgno + 1;
    if (!count_free) return VN_OK;
    rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc) return vn_err_from_mdb(rc);
    /* Database 0 is LMDB's free list: each record holds a count of free
     * page numbers followed by the numbers. */
    rc = mdb_cursor_open(txn, 0, &cur);
    if (!rc) {
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
            if (v.mv_size >= sizeof(size_t)) free_pages += *(const size_t *)v.mv_data;
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    *used_pages = *used_pages > free_pages ? *used_pages - free_pages : 0;
    return VN_OK;
}
