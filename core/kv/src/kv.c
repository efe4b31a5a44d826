#include "kv_internal.h"

#include "kv_check.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A cached table is about to change in ways its keys do not tell (a
 * prefix delete, an applied write-set): nothing read of it holds. */
void kv_cache_touch(vn_kv *self, int db)
{
    if (!self->cached[db]) return;
    self->gen++;
    self->cache_dirty = true;
}

/* One record of a cached table is written (val) or deleted (val NULL):
 * the cache holds what the transaction now reads, written through, so a
 * counter written for every message is still read from memory. Should
 * the transaction end without a commit, cache_undo forgets it all. */
static void cache_write(vn_kv *self, int db, const void *key, size_t klen, const void *val,
                        size_t vlen)
{
    if (!self->cached[db]) return;
    self->cache_dirty = true;
    if (val)
        kv_cache_put(self->cache, db, key, klen, self->gen, val, vlen);
    else
        kv_cache_drop(self->cache, db, key, klen);
}

/* A transaction that wrote a cached table ends without its writes. */
static void cache_undo(vn_kv *self)
{
    if (self->cache_dirty) self->gen++;
}

/* Someone else committed since the last commit this process knows of
 * (an operator's command on the same store): nothing cached holds. */
static void cache_seen(vn_kv *self, size_t last_committed)
{
    if (last_committed != self->seen_txnid) self->gen++;
    self->seen_txnid = last_committed;
}

vn_err vn_kv_seal(vn_kv *self, const uint8_t key[32], const size_t *group)
{
    vn_err err = kv_seal_init(&self->seal, key);
    if (err) return err;
    for (int i = 0; i < KV_MAX_DBS; i++)
        self->group[i] = group && i < self->ndb ? group[i] : 0;
    self->sealed = true;
    return VN_OK;
}

vn_err vn_kv_err_from_mdb(int rc)
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
    /* Before LMDB maps it: a short file would fault, an empty one would
     * pass for a new store. */
    bool exists;
    if ((err = kv_check_file(dir, false, &exists, NULL, 0))) return err;
    vn_kv *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    rc = mdb_env_create(&s->env);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
        goto err_free_s;
    }
    mdb_env_set_maxdbs(s->env, KV_MAX_DBS);
    rc = mdb_env_set_mapsize(s->env, mapsize ? mapsize : (size_t)1 << 30);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
        goto err_close_env;
    }
    /* MDB_NOTLS: read transactions are not tied to threads, so a reader
     * never blocks on a stale slot of the same thread. */
    rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
        goto err_close_env;
    }
    rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
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
            err = vn_kv_err_from_mdb(rc);
            goto err_abort;
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
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
    kv_seal_wipe(&s->seal);
    kv_cache_free(s->cache);
    kv_defer_free(s->defer);
    free(s->ws);
    free(s);
    *self_p = NULL;
}

vn_err vn_kv_begin(vn_kv *self)
{
    if (self->depth > 0) {
        /* A doomed transaction takes no new level: its caller's writes
         * would be lost anyway, and it ends the level it did not get. */
        if (self->failed) return self->failed;
        self->depth++;
        return VN_OK;
    }
    int rc = mdb_txn_begin(self->env, NULL, 0, &self->txn);
    if (rc) {
        self->txn = NULL;
        return vn_kv_err_from_mdb(rc);
    }
    cache_seen(self, mdb_txn_id(self->txn) - 1);
    self->depth = 1;
    self->failed = VN_OK;
    self->txns++;
    return VN_OK;
}

/* Ends the outermost level: discards the LMDB transaction. */
static void txn_discard(vn_kv *self)
{
    cache_undo(self);
    self->cache_dirty = false;
    if (self->txn) mdb_txn_abort(self->txn);
    self->txn = NULL;
    self->depth = 0;
    self->failed = VN_OK;
    self->ws_len = self->ws_mark = 0;
    kv_defer_clear(self->defer);
}

vn_err vn_kv_commit(vn_kv *self)
{
    if (self->depth <= 0) return VN_EINVAL;
    /* Inside a sub-transaction only vn_kv_sub_end() may end it. */
    if (self->parent && self->depth - 1 <= self->sub_base) return VN_EINVAL;
    if (self->failed) {
        /* A level inside a doomed transaction ends with its error; the
         * outermost one discards it. */
        vn_err err = self->failed;
        if (--self->depth == 0) txn_discard(self);
        return err;
    }
    /* What was held back goes in before the hook sees the write-set. */
    if (self->depth == 1 && kv_settle(self)) {
        vn_err err = self->failed;
        txn_discard(self);
        return err;
    }
    if (self->depth == 1 && self->capture && self->ws_len > 0) {
        /* The hook runs at the outermost level, before LMDB commits: it
         * may still write (nested, not captured) or refuse. */
        self->in_hook = true;
        vn_err err = self->capture(self->capture_ud, self->ws, self->ws_len);
        self->in_hook = false;
        if (!err && self->failed) err = self->failed;
        if (err) {
            txn_discard(self);
            return err;
        }
    }
    if (--self->depth > 0) return VN_OK;
    size_t id = mdb_txn_id(self->txn);
    int rc = mdb_txn_commit(self->txn);
    self->txn = NULL;
    self->ws_len = self->ws_mark = 0;
    if (rc == MDB_SUCCESS) {
        self->put_committed = self->put_bytes;
        self->seen_txnid = id;
    } else
        cache_undo(self); /* LMDB discarded it */
    self->cache_dirty = false;
    return vn_kv_err_from_mdb(rc);
}

/* Ends the innermost level after a failure (err) or an abort: the
 * transaction (or the sub-transaction running) is doomed, so that the
 * levels around it can neither write on as if nothing happened nor
 * commit; the outermost level discards it. */
void kv_txn_fail(vn_kv *self, vn_err err)
{
    if (self->depth <= 0) return;
    if (!self->failed) self->failed = err ? err : VN_ESTORE;
    if (self->parent) {
        if (--self->depth > self->sub_base) return;
        /* The sub-transaction's own level: only it is lost; the
         * enclosing one goes on. */
        mdb_txn_abort(self->txn);
        cache_undo(self);
        self->txn = self->parent;
        self->parent = NULL;
        self->depth = self->sub_base;
        self->failed = VN_OK;
        self->sub_aborted = true;
        self->ws_len = self->ws_mark; /* its records go with it */
        return;
    }
    if (--self->depth == 0) txn_discard(self);
}

void vn_kv_abort(vn_kv *self)
{
    kv_txn_fail(self, VN_ESTORE);
}

vn_err vn_kv_sub_begin(vn_kv *self)
{
    MDB_txn *child;
    if (!self->txn || self->parent) return VN_EINVAL;
    if (self->failed) return self->failed;
    /* Nothing is held inside a sub-transaction: an abort of it cannot
     * take back a held put. */
    vn_err err = kv_settle(self);
    if (err) return err;
    int rc = mdb_txn_begin(self->env, self->txn, 0, &child);
    if (rc) return vn_kv_err_from_mdb(rc);
    self->parent = self->txn;
    self->txn = child;
    self->sub_base = self->depth;
    self->depth++;
    self->sub_aborted = false;
    self->ws_mark = self->ws_len;
    return VN_OK;
}

vn_err vn_kv_sub_end(vn_kv *self, bool keep)
{
    if (self->sub_aborted) {
        self->sub_aborted = false;
        return keep ? VN_ESTORE : VN_OK; /* an inner failure already discarded it */
    }
    if (!self->parent) return VN_EINVAL;
    vn_err failed = self->failed;
    /* A failed child commit frees the child; the parent is untouched. */
    int rc = keep && !failed ? mdb_txn_commit(self->txn) : (mdb_txn_abort(self->txn), MDB_SUCCESS);
    self->txn = self->parent;
    self->parent = NULL;
    self->depth = self->sub_base;
    self->failed = VN_OK;
    if (!keep || failed || rc != MDB_SUCCESS) {
        self->ws_len = self->ws_mark;
        cache_undo(self);
    }
    if (keep && failed) return failed;
    return vn_kv_err_from_mdb(rc);
}

void vn_kv_set_durable(vn_kv *self, bool durable)
{
    mdb_env_set_flags(self->env, MDB_NOSYNC, durable ? 0 : 1);
}

void vn_kv_test_fail_put(vn_kv *self, unsigned long n)
{
    self->puts = 0;
    self->fail_put = n;
}

bool vn_kv_in_txn(const vn_kv *self)
{
    return self->depth > 0;
}

uint64_t vn_kv_writes(const vn_kv *self)
{
    return self->writes;
}

uint64_t vn_kv_txn_serial(const vn_kv *self)
{
    return self->txns;
}

/* Runs a read against the open write transaction if there is one, else in
 * a fresh read-only transaction that *own receives for the caller to end. */
int kv_read_txn(vn_kv *self, MDB_txn **txn, MDB_txn **own)
{
    *own = NULL;
    if (self->txn) {
        *txn = self->txn;
        return MDB_SUCCESS;
    }
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, own);
    *txn = *own;
    if (rc == MDB_SUCCESS) cache_seen(self, mdb_txn_id(*own));
    return rc;
}

bool kv_db_ok(const vn_kv *self, int db)
{
    return db >= 0 && db < self->ndb;
}

vn_err vn_kv_cache(vn_kv *self, int db)
{
    if (!kv_db_ok(self, db)) return VN_EINVAL;
    if (!self->cache && !(self->cache = kv_cache_new())) return VN_ENOMEM;
    self->cached[db] = true;
    self->gen++;
    return VN_OK;
}

void vn_kv_cache_stats(const vn_kv *self, uint64_t *hits, uint64_t *misses)
{
    kv_cache_stats(self->cache, hits, misses);
}

vn_err vn_kv_defer(vn_kv *self, int db)
{
    if (!kv_db_ok(self, db)) return VN_EINVAL;
    if (!self->defer && !(self->defer = kv_defer_new())) return VN_ENOMEM;
    self->deferred[db] = true;
    return VN_OK;
}

/* Whether a put of db may be held back now: only at the outermost level
 * of a healthy transaction, never in a sub-transaction (an abort of it
 * must take its puts back) or the commit hook (it writes after the
 * settling), and not the put the test hook is to fail. */
static bool may_hold(const vn_kv *self, int db)
{
    return self->deferred[db] && self->defer && self->depth > 0 && !self->parent &&
           !self->in_hook && !self->failed && !(self->fail_put && self->puts + 1 == self->fail_put);
}

/* The key as stored: the caller's own, or its keyed hashes when sealed. */
static MDB_val stored_key(const vn_kv *self, int db, const void *key, size_t klen,
                          uint8_t buf[KV_SKEY_MAX])
{
    if (!self->sealed) return (MDB_val){klen, (void *)key};
    size_t group = self->group[db] & ~VN_KV_ORDERED;
    bool ordered = (self->group[db] & VN_KV_ORDERED) != 0;
    return (MDB_val){kv_seal_key(&self->seal, db, group, ordered, key, klen, buf), buf};
}

/* A value as stored: sealed into *box (freed by the caller) or as is. */
static vn_err stored_value(vn_kv *self, int db, const MDB_val *k, const void *key, size_t klen,
                           const void *val, size_t vlen, uint8_t **box, MDB_val *v)
{
    size_t boxlen = 0;
    *box = NULL;
    *v = (MDB_val){vlen, (void *)val};
    if (!self->sealed) return VN_OK;
    vn_err err =
        kv_seal_box(&self->seal, db, k->mv_data, k->mv_size, key, klen, val, vlen, box, &boxlen);
    if (!err) *v = (MDB_val){boxlen, *box};
    return err;
}

/* Stores (k, v) in a level of the open transaction the caller began, and
 * records it; a failure ends that level and dooms the transaction. With
 * hook, the test hook may fail it (vn_kv_test_fail_put). */
static vn_err store(vn_kv *self, int db, MDB_val *k, MDB_val *v, bool hook)
{
    int rc = hook && self->fail_put && self->puts == self->fail_put
                 ? MDB_MAP_FULL
                 : mdb_put(self->txn, self->dbi[db], k, v, 0);
    vn_err err = rc ? vn_kv_err_from_mdb(rc) : kv_ws_record(self, db, k, v);
    if (err)
        kv_txn_fail(self, err);
    else
        self->put_bytes += k->mv_size + v->mv_size;
    return err;
}

vn_err vn_kv_put(vn_kv *self, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    uint8_t *box = NULL, sk[KV_SKEY_MAX];
    MDB_val k, v;
    if (!kv_db_ok(self, db) || klen == 0) return VN_EINVAL;
    if (may_hold(self, db) && kv_defer_put(self->defer, db, key, klen, val, vlen)) {
        self->puts++;
        self->writes++;
        cache_write(self, db, key, klen, val ? val : "", vlen);
        return VN_OK;
    }
    k = stored_key(self, db, key, klen, sk);
    vn_err err = stored_value(self, db, &k, key, klen, val, vlen, &box, &v);
    if (err) return err;
    if ((err = vn_kv_begin(self))) goto out;
    if (self->cached[db]) self->cache_dirty = true; /* before anything can fail */
    self->puts++;
    self->writes++;
    /* Written now: an older value held for the key must not follow it. */
    if (self->deferred[db] && self->defer) kv_defer_drop(self->defer, db, key, klen);
    if ((err = store(self, db, &k, &v, true))) goto out;
    cache_write(self, db, key, klen, val ? val : "", vlen);
    err = vn_kv_commit(self);
out:
    free(box);
    return err;
}

/* Writes one held put into the level kv_settle began. */
static vn_err write_held(void *ud, int db, const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen)
{
    vn_kv *self = ud;
    uint8_t *box, sk[KV_SKEY_MAX];
    MDB_val k = stored_key(self, db, key, klen, sk), v;
    vn_err err = stored_value(self, db, &k, key, klen, val, vlen, &box, &v);
    if (err)
        kv_txn_fail(self, err);
    else
        err = store(self, db, &k, &v, false);
    free(box);
    return err;
}

vn_err kv_settle(vn_kv *self)
{
    if (!kv_defer_count(self->defer)) return VN_OK;
    vn_err err = vn_kv_begin(self);
    if (err) return err;
    /* write_held ends this level itself if it fails. */
    if ((err = kv_defer_flush(self->defer, write_held, self))) return err;
    return vn_kv_commit(self);
}

vn_err vn_kv_del(vn_kv *self, int db, const void *key, size_t klen)
{
    uint8_t sk[KV_SKEY_MAX];
    if (!kv_db_ok(self, db) || klen == 0) return VN_EINVAL;
    vn_err err = vn_kv_begin(self);
    if (err) return err;
    cache_write(self, db, key, klen, NULL, 0);
    self->writes++;
    bool held = self->defer && self->deferred[db] && kv_defer_drop(self->defer, db, key, klen);
    MDB_val k = stored_key(self, db, key, klen, sk);
    int rc = mdb_del(self->txn, self->dbi[db], &k, NULL);
    if (rc == MDB_NOTFOUND) {
        vn_kv_commit(self);
        return held ? VN_OK : VN_ENOTFOUND; /* held only: it was there */
    }
    if (rc) {
        kv_txn_fail(self, vn_kv_err_from_mdb(rc));
        return vn_kv_err_from_mdb(rc);
    }
    if ((err = kv_ws_record(self, db, &k, NULL))) {
        kv_txn_fail(self, err);
        return err;
    }
    return vn_kv_commit(self);
}

/* Hands out a copy of a value (a 1-byte allocation for an empty one). */
static vn_err copy_out(const void *data, size_t n, void **val, size_t *vlen)
{
    if (val) {
        *val = malloc(n ? n : 1);
        if (!*val) return VN_ENOMEM;
        if (n) memcpy(*val, data, n);
    }
    if (vlen) *vlen = n;
    return VN_OK;
}

vn_err vn_kv_get(vn_kv *self, int db, const void *key, size_t klen, void **val, size_t *vlen)
{
    MDB_txn *txn, *own;
    uint8_t sk[KV_SKEY_MAX];
    if (!kv_db_ok(self, db) || klen == 0) return VN_EINVAL;
    /* A put held back is what this transaction reads (the store has an
     * older value, or none). */
    int held = self->deferred[db] && kv_defer_count(self->defer)
                   ? kv_defer_get(self->defer, db, key, klen, val, vlen)
                   : 0;
    if (held) return held > 0 ? VN_OK : VN_ENOMEM;
    int rc = kv_read_txn(self, &txn, &own);
    if (rc) return vn_kv_err_from_mdb(rc);
    vn_err err = VN_OK;
    /* After read_txn: a fresh snapshot has told whether another process
     * committed meanwhile. */
    if (self->cached[db] && kv_cache_get(self->cache, db, key, klen, self->gen, val, vlen))
        goto out;
    MDB_val k = stored_key(self, db, key, klen, sk), v;
    rc = mdb_get(txn, self->dbi[db], &k, &v);
    if (rc) {
        err = vn_kv_err_from_mdb(rc);
        goto out;
    }
    if (!self->sealed) {
        if (self->cached[db])
            kv_cache_put(self->cache, db, key, klen, self->gen, v.mv_data, v.mv_size);
        err = copy_out(v.mv_data, v.mv_size, val, vlen);
        goto out;
    }
    if (!val && !vlen) goto out; /* vn_kv_has: presence is enough */
    kv_opened o;
    if ((err = kv_seal_open(&self->seal, db, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &o)))
        goto out;
    /* The box names its key: a hash collision or a swapped box shows here. */
    if (o.klen != klen || memcmp(o.key, key, klen) != 0)
        err = VN_ECRYPTO;
    else {
        if (self->cached[db]) kv_cache_put(self->cache, db, key, klen, self->gen, o.val, o.vlen);
        err = copy_out(o.val, o.vlen, val, vlen);
    }
    kv_seal_free(&o);
out:
    if (own) mdb_txn_abort(own);
    return err;
}

bool vn_kv_has(vn_kv *self, int db, const void *key, size_t klen)
{
    return vn_kv_get(self, db, key, klen, NULL, NULL) == VN_OK;
}

vn_err vn_kv_count(vn_kv *self, int db, size_t *count)
{
    MDB_txn *txn, *own;
    MDB_stat st;
    if (!kv_db_ok(self, db)) return VN_EINVAL;
    vn_err err = kv_settle(self);
    if (err) return err;
    int rc = kv_read_txn(self, &txn, &own);
    if (rc) return vn_kv_err_from_mdb(rc);
    rc = mdb_stat(txn, self->dbi[db], &st);
    if (own) mdb_txn_abort(own);
    if (rc) return vn_kv_err_from_mdb(rc);
    *count = st.ms_entries;
    return VN_OK;
}

void vn_kv_put_bytes(const vn_kv *self, uint64_t *all, uint64_t *committed)
{
    *all = self->put_bytes;
    *committed = self->put_committed;
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
    if (rc) return vn_kv_err_from_mdb(rc);
    *map_pages = info.me_mapsize / st.ms_psize;
    *used_pages = info.me_last_pgno + 1;
    if (!count_free) return VN_OK;
    rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc) return vn_kv_err_from_mdb(rc);
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

vn_err vn_kv_check(const char *dir, bool must_exist, char *msg, size_t size)
{
    return kv_check_store(dir, must_exist, msg, size);
}

vn_err vn_kv_copy(vn_kv *self, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? VN_EEXISTS : VN_EIO;
    /* Compacted: only the pages the snapshot reaches, renumbered, so
     * deleted records left on free pages do not travel with the copy. */
    int rc = mdb_env_copyfd2(self->env, fd, MDB_CP_COMPACT);
    vn_err err = rc ? VN_ESTORE : VN_OK;
    if (!err && fsync(fd) != 0) err = VN_EIO;
    if (close(fd) != 0 && !err) err = VN_EIO;
    if (err) unlink(path);
    return err;
}
