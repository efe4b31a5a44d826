/* vn_kv: a small key-value layer over one LMDB environment with named
 * databases. Used by the server store and by the client's device store.
 *
 * Writes happen inside an explicit write transaction (vn_kv_begin ..
 * vn_kv_commit); the server groups all writes of one loop turn into one
 * such transaction (group commit). Reads outside a write transaction use a
 * short read-only transaction of their own; inside one they see its writes. */
#ifndef VN_KV_H
#define VN_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

typedef struct vn_kv vn_kv;

/* Opens (creating if needed) the environment in directory dir, which must
 * exist, with the named databases in dbs[0..ndb). mapsize 0 means 1 GiB.
 * An existing store file that is empty, shorter than its pages or without
 * valid meta pages is refused (VN_ESTORE; vn_kv_check says why).
 * On success *out owns the store; free it with vn_kv_close(). */
vn_err vn_kv_open(vn_kv **out, const char *dir, const char *const *dbs, int ndb, size_t mapsize);
/* Aborts an open write transaction. Safe on NULL and twice. */
void vn_kv_close(vn_kv **self_p);

/* Checks the store file dir/data.mdb without trusting it: it exists
 * (VN_ENOTFOUND otherwise, unless !must_exist), is not empty, holds both
 * LMDB meta pages and the roots they name, and every B-tree page reached
 * from them lies inside the file, names itself and keeps its nodes inside
 * it (VN_ESTORE otherwise). Reads with pread under a read transaction, so
 * it may run beside a process that writes the store. msg (may be NULL)
 * says what was wrong, naming the file. vn_kv_open runs the cheap part
 * (the file and its meta pages) itself; a program calls this once before
 * it opens a store, so a damaged one is refused with words instead of
 * crashing LMDB. */
vn_err vn_kv_check(const char *dir, bool must_exist, char *msg, size_t size);

/* Writes a consistent, compacted copy of the store (free pages left out)
 * to the file path, which must not exist (mode 0600, fsynced): a hot
 * backup, taken under a read transaction while writers go on. */
vn_err vn_kv_copy(vn_kv *self, const char *path);

/* Starts a write transaction. Nested calls are counted: only the outermost
 * vn_kv_commit() commits. Every level is ended once, by vn_kv_commit() or
 * vn_kv_abort(). Returns VN_ESTORE on LMDB failure, or the error of a
 * doomed transaction (below), which then gains no level.
 *
 * All or nothing: a write that fails inside a transaction (or an abort of
 * an inner level) ends that level and dooms the whole transaction: later
 * writes, vn_kv_begin() and the commits of the enclosing levels return the
 * first failure's error, and the outermost level discards everything. No
 * write after a failure ever lands on its own. */
vn_err vn_kv_begin(vn_kv *self);
/* Commits (durably: LMDB fsyncs) when the outermost level ends. A failed
 * commit (VN_EFULL, VN_ESTORE) discards the whole transaction; in a doomed
 * one every level's commit returns its error. */
vn_err vn_kv_commit(vn_kv *self);
/* Ends the innermost level and discards the whole write transaction: at
 * the outermost level at once, else the transaction is doomed (VN_ESTORE)
 * and discarded when its outermost level ends. Safe outside one. */
void vn_kv_abort(vn_kv *self);
/* With durable false, commits skip the fsync: what they wrote survives
 * the process ending, killed or not, but not a crash of the machine, and
 * the next durable commit makes it durable too. For a write that may be
 * lost at that rare price and whose wait for the disk would cost more. */
void vn_kv_set_durable(vn_kv *self, bool durable);
/* True while a level is open (doomed or not). */
bool vn_kv_in_txn(const vn_kv *self);
/* How many puts and deletes (of a key, a prefix or a write-set's record)
 * were tried since open, whatever came of them: a caller that notes it
 * before a step knows afterwards whether the step may have written. */
uint64_t vn_kv_writes(const vn_kv *self);
/* How many outermost transactions have begun since open: while one is
 * open, its number. What a caller noted during a transaction with another
 * number has been committed or discarded since. */
uint64_t vn_kv_txn_serial(const vn_kv *self);
/* Test hook: the n-th vn_kv_put from now (counting from 1) fails as if
 * the map were full (VN_EFULL); 0 turns it off. Only tests call it (the
 * client does under VANGNET_TEST_FAIL_WRITE). */
void vn_kv_test_fail_put(vn_kv *self, unsigned long n);

/* A sub-transaction inside the open write transaction (LMDB nested
 * transaction): the server runs each request of a batch in one, so a
 * request that fails after writing leaves no trace while the others' writes
 * stand. While it runs, vn_kv_begin/commit nest inside it, and a failed
 * write or vn_kv_abort dooms only it (vn_kv_sub_end(keep) then returns the
 * error). vn_kv_sub_end merges it (keep) or discards it; a merge
 * can fail (VN_EFULL), which discards it and keeps the enclosing one. */
vn_err vn_kv_sub_begin(vn_kv *self);
vn_err vn_kv_sub_end(vn_kv *self, bool keep);

/* db is an index into the dbs array given to vn_kv_open().
 * put/del outside a transaction run in one of their own. */
vn_err vn_kv_put(vn_kv *self, int db, const void *key, size_t klen, const void *val, size_t vlen);
/* VN_ENOTFOUND if the key is absent (not an error for callers that expect it). */
vn_err vn_kv_del(vn_kv *self, int db, const void *key, size_t klen);
/* On success *val is a malloc'd copy (caller frees) of *vlen bytes; a
 * zero-length value still gets a non-NULL 1-byte allocation. */
vn_err vn_kv_get(vn_kv *self, int db, const void *key, size_t klen, void **val, size_t *vlen);
bool vn_kv_has(vn_kv *self, int db, const void *key, size_t klen);

/* Calls fn for every entry whose key starts with prefix (all entries when
 * plen is 0), in key order. key and val are valid only during the call.
 * fn returns VN_OK to go on, or an error, which ends the walk and is
 * returned; to end it early without an error, fn sets *stop to true (it
 * starts false for every entry) and returns VN_OK. */
typedef vn_err (*vn_kv_each_fn)(void *ud, const void *key, size_t klen, const void *val,
                                size_t vlen, bool *stop);
vn_err vn_kv_each(vn_kv *self, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud);
/* Deletes every entry whose key starts with prefix; *count (may be NULL)
 * gets the number removed. */
vn_err vn_kv_del_prefix(vn_kv *self, int db, const void *prefix, size_t plen, size_t *count);

/* Where a walk of vn_kv_each_from stands: the stored key of the last
 * record it passed. Zeroed (or vn_kv_pos_reset), it stands before the
 * first record. The caller holds it between calls and reads only done. */
#define VN_KV_POS_MAX 511 /* LMDB's longest key */
typedef struct vn_kv_pos {
    bool done;                  /* the walk has passed the last record */
    size_t len;                 /* bytes of key; 0: before the first record */
    uint8_t key[VN_KV_POS_MAX]; /* the stored key of the last record passed */
} vn_kv_pos;
void vn_kv_pos_reset(vn_kv_pos *pos);

/* A walk in bounded steps, for work that must not hold the caller for a
 * whole table: reads at most max records (prefix as in vn_kv_each) after
 * *pos and calls fn for each, in the order they are stored, which is the
 * order of the caller's keys on an unsealed store and of their keyed
 * hashes on a sealed one; so a sealed walk holds nothing in memory and
 * sorts nothing (vn_kv_each reads a whole table, or group, to sort it).
 * *pos moves past every record read; at the end of the records pos->done
 * is set. fn's *stop ends the call after that record; an error from fn
 * ends it before it (the record is read again by the next call).
 *
 * Between calls the table may change: a record present for the whole
 * walk is passed exactly once; one added or deleted meanwhile, at most
 * once. A prefix shorter than the table's group reads (and counts) the
 * records of other groups too, and so does one longer than it. */
vn_err vn_kv_each_from(vn_kv *self, int db, const void *prefix, size_t plen, vn_kv_pos *pos,
                       size_t max, vn_kv_each_fn fn, void *ud);
/* Number of entries in db. */
vn_err vn_kv_count(vn_kv *self, int db, size_t *count);

/* Pages in use (high-water mark less free pages, when count_free; else
 * the high-water mark alone, which is cheap) and the map's size in pages.
 * Counting free pages walks LMDB's free list: do it now and then. */
vn_err vn_kv_usage(vn_kv *self, bool count_free, size_t *used_pages, size_t *map_pages);
/* Key and value bytes put since the store was opened: all of them, and
 * those of transactions committed so far. A usage reading knows committed
 * transactions only, and the free-page walk is done now and then: the bytes
 * put since a reading say how much the store may have grown after it. */
void vn_kv_put_bytes(const vn_kv *self, uint64_t *all, uint64_t *committed);

/* Seals the store: from now on nothing a caller writes reaches the disk in
 * the clear, neither values nor keys. Each key is stored as keyed hashes
 * (BLAKE2b under a key derived from key): 16 bytes for its first group[db]
 * bytes, then 16 for the whole key; group NULL or group[db] 0 means the one
 * hash of the whole key. Each value is stored as XChaCha20-Poly1305 over the
 * caller's key, the value and padding to a size bucket (64-byte steps up
 * to 4 KiB, then 1 KiB), bound to
 * its database and stored key, so nothing can be moved unnoticed.
 *
 * Reads, writes and deletes take and give the caller's keys as before.
 * vn_kv_each and vn_kv_del_prefix with a prefix of at least group[db] bytes
 * scan only that group; a shorter prefix scans the whole database. Either
 * way the matches are handed over in the order of the caller's keys, as
 * before; the scan holds them in memory to sort them.
 *
 * A record that does not decrypt (tampering, a record moved) reads as
 * VN_ECRYPTO; under a wrong key a lookup finds nothing (VN_ENOTFOUND: the
 * hashes differ) and a scan fails with VN_ECRYPTO, so a store that wants
 * to name a wrong key keeps a known record to check it against.
 *
 * Call it once, right after vn_kv_open(), before any access; group
 * (copied) has one entry per database. */
vn_err vn_kv_seal(vn_kv *self, const uint8_t key[32], const size_t *group);
/* Keeps opened values of table db in memory, for a table read for nearly
 * every request (who a device is, an account's role and case, a mailbox's
 * counts): a lookup then costs a copy instead of a search, a keyed hash
 * and a decryption. Never stale: a put or delete is written through; a
 * prefix delete, an applied write-set, a transaction that wrote the table
 * ending without a commit, or another process's commit makes everything
 * cached unusable (src/kv_cache.h). The plaintext stays in this process's
 * memory, beside the key that opens it anyway. */
vn_err vn_kv_cache(vn_kv *self, int db);
/* Holds back puts of table db until their transaction commits, for a
 * table of small records rewritten again and again within one (a
 * mailbox's counts): a batch that changes a count a hundred times then
 * seals and writes it once. A put is held only at the outermost level of
 * an open transaction (never in a sub-transaction, whose abort must take
 * it back), at most 1,024 records of keys up to 64 and values up to 128
 * bytes (any other is written at once). Gets of this process see what is
 * held; everything held is written before the commit, before a
 * sub-transaction, a scan, a count or an applied write-set, and is gone
 * with a discarded transaction. A failure to write it then fails the
 * commit. */
vn_err vn_kv_defer(vn_kv *self, int db);
/* Lookups of cached tables answered from memory, and those that were not. */
void vn_kv_cache_stats(const vn_kv *self, uint64_t *hits, uint64_t *misses);

/* OR'ed into a group length: the key bytes after the group are stored in
 * the clear after the group's hash, instead of hashed. For a table whose
 * key tail is a plain sequence number (a mailbox), so that a group's
 * records lie in order on disk and deleting the oldest ones rewrites a
 * few pages instead of all of them; never for a tail that names anything.
 * The tail may be at most 16 bytes. */
#define VN_KV_ORDERED ((size_t)1 << 30)

/* Maps an LMDB return code to a vn_err. */
vn_err vn_kv_err_from_mdb(int rc);

/* Write-set capture, for replication (server/cluster.c). While a commit
 * hook is set, every put and delete that reaches LMDB inside a write
 * transaction is recorded as stored: the hashed key and the sealed box
 * when the store is sealed, so a write-set reveals no more than the disk.
 * A sub-transaction that is discarded drops its records; a discarded
 * transaction drops them all. When the outermost level commits, fn gets
 * the transaction's write-set (if it holds any record) before LMDB
 * commits: an error from fn discards the whole transaction and is what
 * vn_kv_commit returns. Inside fn, capture is paused: fn may write (say,
 * the log position the write-set got) into the same transaction without
 * that write being recorded. fn NULL turns capture off.
 *
 * The encoding (also the wire format of the replicated log) is a sequence
 * of records: op (1 byte: 1 put, 2 delete), db (1 byte), key length
 * (2 bytes, little-endian, 1..511), key, and for a put the value length
 * (4 bytes, little-endian, at most VN_KV_WS_VAL_MAX) and the value. */
#define VN_KV_WS_PUT     1
#define VN_KV_WS_DEL     2
#define VN_KV_WS_KEY_MAX 511                /* LMDB's longest key */
#define VN_KV_WS_VAL_MAX ((size_t)16 << 20) /* longest value in a write-set */
#define VN_KV_WS_MAX     ((size_t)64 << 20) /* longest write-set (VN_ETOOBIG) */
typedef vn_err (*vn_kv_commit_fn)(void *ud, const uint8_t *ws, size_t len);
void vn_kv_capture(vn_kv *self, vn_kv_commit_fn fn, void *ud);

/* One record of a write-set: op VN_KV_WS_PUT (val, vlen) or VN_KV_WS_DEL
 * (val NULL). Pointers are into the write-set, valid during the call. */
typedef vn_err (*vn_kv_ws_fn)(void *ud, int op, int db, const uint8_t *key, size_t klen,
                              const uint8_t *val, size_t vlen);
/* Walks an encoded write-set without trusting it: a truncated record, an
 * unknown op, a db at or beyond ndb, a key or value length out of bounds,
 * or more than VN_KV_WS_MAX bytes is VN_EPROTO (before fn sees anything:
 * the whole write-set is checked first). An empty write-set is valid. */
vn_err vn_kv_ws_each(const uint8_t *ws, size_t len, int ndb, vn_kv_ws_fn fn, void *ud);
/* Writes a write-set's records as they are (no sealing again: they were
 * sealed where they were captured) into the open write transaction; a
 * delete of an absent key is no error. Nothing is captured. VN_EINVAL
 * outside a transaction, VN_EPROTO for a malformed write-set (nothing
 * written); a failed write dooms the transaction, as any write does. */
vn_err vn_kv_ws_apply(vn_kv *self, const uint8_t *ws, size_t len);

#endif
