/* kv_cache: opened values of a few small tables read for nearly every
 * request (vn_kv_cache), so that a lookup (who is this device, what is
 * this account's role and case, how full is this mailbox) is a copy
 * instead of a B-tree search, a keyed hash and an authenticated
 * decryption.
 *
 * vn_kv writes single puts and deletes through to it. Everything else
 * rests on one number, the generation, that vn_kv raises whenever what
 * was cached may no longer hold: a write it cannot map to keys (a prefix
 * delete, an applied write-set), the end of a transaction that wrote a
 * cached table without committing it, or a commit by another process. An
 * entry is used only under the generation it was filled under, so a stale
 * one is never handed out. The cache holds plaintext only in the memory
 * of the process that holds the key. */
#ifndef VN_KV_CACHE_H
#define VN_KV_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

typedef struct kv_cache kv_cache;

/* NULL when out of memory (then nothing is cached: slower, not wrong). */
kv_cache *kv_cache_new(void);
/* Wipes and frees what it holds. Safe on NULL. */
void kv_cache_free(kv_cache *c);

/* A copy of (db, key)'s value filled under generation gen: true with
 * *val (malloc'd, a 1-byte allocation for an empty value; may be NULL not
 * to copy) and *vlen, false when it holds none (or out of memory). */
bool kv_cache_get(kv_cache *c, int db, const void *key, size_t klen, uint64_t gen, void **val,
                  size_t *vlen);
/* Keeps a copy of (db, key) -> val read or written under generation gen,
 * replacing whatever shared its slot. Keys over 48 bytes or values over
 * 512 are not kept (nor is an older value of that key). */
void kv_cache_put(kv_cache *c, int db, const void *key, size_t klen, uint64_t gen, const void *val,
                  size_t vlen);
/* Forgets (db, key), deleted. */
void kv_cache_drop(kv_cache *c, int db, const void *key, size_t klen);
/* Lookups answered from the cache, and those that were not, since new. */
void kv_cache_stats(const kv_cache *c, uint64_t *hits, uint64_t *misses);

#endif
