/* The inside of a vn_kv, shared by its parts: kv.c (the environment,
 * transactions, single records), kv_scan.c (prefix scans and deletes) and
 * kv_ws.c (write-set capture and apply, for replication). */
#ifndef VN_KV_INTERNAL_H
#define VN_KV_INTERNAL_H

#include "vn/kv.h"

#include "kv_cache.h"
#include "kv_defer.h"
#include "kv_seal.h"

#include <lmdb.h>

#define KV_MAX_DBS 64
/* A sealed scan holds its matches in memory: at most this many. */
#define KV_SCAN_MAX ((size_t)1 << 24)

struct vn_kv {
    MDB_env *env;             /* the environment, one per directory */
    MDB_dbi dbi[KV_MAX_DBS];  /* handles of the named databases */
    int ndb;                  /* how many of dbi[] are open */
    MDB_txn *txn;             /* the open write transaction, or NULL */
    int depth;                /* nesting level of vn_kv_begin() calls */
    MDB_txn *parent;          /* the enclosing transaction while a sub-transaction runs */
    int sub_base;             /* depth when the sub-transaction began */
    bool sub_aborted;         /* the sub-transaction was aborted inside */
    vn_err failed;            /* a write failed or a level aborted: the innermost
                                 transaction is doomed (VN_OK while it is not) */
    unsigned long puts;       /* vn_kv_put calls so far (the test hook counts them) */
    uint64_t writes;          /* puts and deletes tried since open (vn_kv_writes) */
    uint64_t put_bytes;       /* key and value bytes put since open */
    uint64_t put_committed;   /* put_bytes at the last commit of a transaction */
    uint64_t txns;            /* outermost transactions begun since open */
    unsigned long fail_put;   /* the put that fails with MDB_MAP_FULL, or 0 */
    bool sealed;              /* keys hashed, values boxed (vn_kv_seal) */
    kv_seal seal;             /* the subkeys for that */
    size_t group[KV_MAX_DBS]; /* per database: the key bytes a prefix scan hashes */
    vn_kv_commit_fn capture;  /* the commit hook while capture is on, or NULL */
    void *capture_ud;
    bool in_hook; /* capture paused: the hook writes */
    uint8_t *ws;  /* the open transaction's write-set, encoded */
    size_t ws_len, ws_cap;
    size_t ws_mark;  /* ws_len when the sub-transaction began */
    kv_cache *cache; /* opened values of the tables in cached[] (vn_kv_cache) */
    bool cached[KV_MAX_DBS];
    uint64_t gen;      /* raised whenever a cached value may have changed (kv_cache.h) */
    bool cache_dirty;  /* the open transaction wrote a cached table */
    size_t seen_txnid; /* the last commit of the store this process knows of */
    kv_defer *defer;   /* puts held until the commit (vn_kv_defer), or NULL */
    bool deferred[KV_MAX_DBS];
};

/* The open transaction is doomed by err; ends its innermost level. */
void kv_txn_fail(vn_kv *self, vn_err err);
/* The open write transaction if there is one, else a fresh read-only one
 * that *own receives for the caller to end. An LMDB return code. */
int kv_read_txn(vn_kv *self, MDB_txn **txn, MDB_txn **own);
bool kv_db_ok(const vn_kv *self, int db);
/* A cached table (vn_kv_cache) is about to change. */
void kv_cache_touch(vn_kv *self, int db);
/* Writes the puts held back (vn_kv_defer) into the open transaction, in
 * a level of its own; a failure dooms the transaction. Before anything
 * that reads the tables other than by key (scans, counts, a copy). */
vn_err kv_settle(vn_kv *self);
/* Records one put (v) or delete (v NULL) as stored, if capturing. */
vn_err kv_ws_record(vn_kv *self, int db, const MDB_val *k, const MDB_val *v);

#endif
