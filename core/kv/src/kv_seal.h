/* Private to vn_kv: the sealed form of a record. The disk holds keyed hashes
 * in place of keys and AEAD boxes in place of values; the caller's key rides
 * inside the box, so a scan can hand keys back and sort them. */
#ifndef VN_KV_SEAL_H
#define VN_KV_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define KV_HASH_LEN  16                /* one keyed hash in a stored key */
#define KV_SKEY_MAX  (2 * KV_HASH_LEN) /* a stored key: group hash, then key hash */
#define KV_PLAIN_MAX 65535             /* the longest caller key */

#define KV_NONCE_LEN  24  /* XChaCha20-Poly1305's nonce */
#define KV_NONCE_POOL 170 /* nonces fetched from the OS at a time */

/* Keyed hashes of recent keys (kv_seal.c): the same accounts, cases and
 * counters are looked up many times a second, and each hash is two BLAKE2b
 * compressions (a third of the server's loop under load, perf). A pure
 * function's results, so never stale; held in the memory that holds the
 * key anyway. Used by the one thread that uses the vn_kv. */
typedef struct kv_hcache kv_hcache;

typedef struct kv_seal {
    uint8_t value_key[32]; /* XChaCha20-Poly1305 for values */
    uint8_t hash_key[32];  /* BLAKE2b key for keys */
    /* Random nonces, fetched in bulk: one getrandom per KV_NONCE_POOL
     * boxes instead of one per box (a system call per stored record was a
     * few percent of the server's loop). They are public (stored beside
     * each box), so holding future ones in memory gives nothing away; they
     * are used once each. A forked copy would repeat them, but LMDB refuses
     * a store used across fork (MDB_PANIC), so no box of a child lands. */
    uint8_t nonces[KV_NONCE_POOL * KV_NONCE_LEN];
    size_t nonces_left;
    kv_hcache *hcache; /* NULL: no cache (out of memory at init) */
} kv_seal;

/* Derives both subkeys from the caller's key (which stays the caller's). */
vn_err kv_seal_init(kv_seal *s, const uint8_t key[32]);
void kv_seal_wipe(kv_seal *s);

/* The stored key of (db, key): hash(first group bytes) || hash(key) when
 * group > 0 and klen >= group, else hash(key); with ordered, the group's
 * hash and then the rest of the key in the clear (at most 16 bytes).
 * Returns its length. */
size_t kv_seal_key(const kv_seal *s, int db, size_t group, bool ordered, const void *key,
                   size_t klen, uint8_t out[KV_SKEY_MAX]);
/* The stored prefix that holds every key starting with prefix[0..group). */
void kv_seal_group(const kv_seal *s, int db, const void *prefix, size_t group,
                   uint8_t out[KV_HASH_LEN]);

/* Boxes (key, value) for the stored key skey of db: *out is malloc'd. */
vn_err kv_seal_box(kv_seal *s, int db, const uint8_t *skey, size_t sklen, const void *key,
                   size_t klen, const void *val, size_t vlen, uint8_t **out, size_t *outlen);
/* Opens a box: *plain is malloc'd and holds the caller's key at
 * plain[*koff..*koff+*klen) and the value at [*voff..*voff+*vlen).
 * VN_ECRYPTO for a wrong key, a tampered or moved box. */
typedef struct kv_opened {
    uint8_t *buf; /* free with kv_seal_free */
    size_t bufsize;
    const uint8_t *key, *val;
    size_t klen, vlen;
} kv_opened;
vn_err kv_seal_open(const kv_seal *s, int db, const uint8_t *skey, size_t sklen, const uint8_t *box,
                    size_t boxlen, kv_opened *out);
void kv_seal_free(kv_opened *o);

/* The padded size of a box's plaintext of n bytes (the size bucket). */
size_t kv_seal_bucket(size_t n);

#endif
