/* kv_defer: the puts of a few small, often rewritten records (a
 * mailbox's counts, a sender's daily counts) held back until their
 * transaction commits, so that a batch that changes one count a hundred
 * times seals and writes it once (vn_kv_defer).
 *
 * Only what vn_kv hands it: it knows nothing of transactions. vn_kv holds
 * a put here only in the outermost level of a write transaction, writes
 * everything held (kv_defer_flush) before the commit, before a
 * sub-transaction begins and before any scan, and forgets it all
 * (kv_defer_clear) when the transaction is discarded. A get of a held
 * record is answered from here. */
#ifndef VN_KV_DEFER_H
#define VN_KV_DEFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define KV_DEFER_MAX 1024 /* records held at once */
#define KV_DEFER_KEY 64   /* longest key held */
#define KV_DEFER_VAL 128  /* longest value held */

typedef struct kv_defer kv_defer;

/* NULL when out of memory. */
kv_defer *kv_defer_new(void);
/* Wipes and frees. Safe on NULL. */
void kv_defer_free(kv_defer *d);

/* Holds (db, key) -> val, replacing what was held for it. False when it
 * cannot (the key or value too long, or KV_DEFER_MAX held): the caller
 * writes it at once. */
bool kv_defer_put(kv_defer *d, int db, const void *key, size_t klen, const void *val, size_t vlen);
/* The value held for (db, key): 1 with a malloc'd copy in *val (a 1-byte
 * allocation for an empty one; val may be NULL) and its length, 0 if it
 * holds none, -1 if it holds one but is out of memory for the copy. */
int kv_defer_get(const kv_defer *d, int db, const void *key, size_t klen, void **val, size_t *vlen);
/* Forgets (db, key); true if it held it. */
bool kv_defer_drop(kv_defer *d, int db, const void *key, size_t klen);
/* How many records are held. */
size_t kv_defer_count(const kv_defer *d);

typedef vn_err (*kv_defer_fn)(void *ud, int db, const uint8_t *key, size_t klen, const uint8_t *val,
                              size_t vlen);
/* Hands every held record to fn, in the order each was first held, then
 * holds none. Stops at fn's first error and returns it (the rest is
 * forgotten too: the caller's transaction is doomed). */
vn_err kv_defer_flush(kv_defer *d, kv_defer_fn fn, void *ud);
/* Forgets everything held. */
void kv_defer_clear(kv_defer *d);

#endif
