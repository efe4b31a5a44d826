/* The sealed form of a vn_kv record (see kv_seal.h). Keys are BLAKE2b
 * keyed hashes, values XChaCha20-Poly1305 boxes with a random 24-byte nonce
 * (random nonces are safe at any write count with the extended nonce). */
#include "kv_seal.h"
#include "kv_fnv.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEAD_LEN  6 /* u16 key length, u32 value length */
#define BOX_MAX   (64u << 20)

static void derive(const uint8_t key[32], const char *label, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)label, strlen(label), key, 32);
}

#define HCACHE_SLOTS 2048 /* direct-mapped */
#define HCACHE_KEY   64   /* longer keys are hashed every time */

typedef struct hslot {
    uint8_t used, tag, db, len;
    uint8_t key[HCACHE_KEY];
    uint8_t out[KV_HASH_LEN];
} hslot;

struct kv_hcache {
    hslot slot[HCACHE_SLOTS];
};

vn_err kv_seal_init(kv_seal *s, const uint8_t key[32])
{
    if (sodium_init() < 0) return VN_ECRYPTO;
    derive(key, "vangnet kv value key v1", s->value_key);
    derive(key, "vangnet kv key hash v1", s->hash_key);
    s->hcache = calloc(1, sizeof *s->hcache); /* none: slower, not wrong */
    return VN_OK;
}

void kv_seal_wipe(kv_seal *s)
{
    if (s->hcache) {
        sodium_memzero(s->hcache, sizeof *s->hcache);
        free(s->hcache);
    }
    sodium_memzero(s, sizeof *s);
}

/* The cache's slot for (tag, db, data): FNV-1a, spread well enough for a
 * cache; what it holds is checked whole before use. */
static hslot *hslot_of(kv_hcache *c, char tag, int db, const uint8_t *data, size_t len)
{
    return &c->slot[kv_fnv1a((uint8_t)tag ^ ((uint32_t)db << 8), data, len) % HCACHE_SLOTS];
}

/* hash(tag, db, data): the tag keeps a group hash and a key hash of the
 * same bytes apart, the db keeps tables apart. */
static void hash(const kv_seal *s, char tag, int db, const void *data, size_t len,
                 uint8_t out[KV_HASH_LEN])
{
    crypto_generichash_state st;
    uint8_t head[2] = {(uint8_t)tag, (uint8_t)db};
    hslot *slot = s->hcache && len <= HCACHE_KEY ? hslot_of(s->hcache, tag, db, data, len) : NULL;
    if (slot && slot->used && slot->tag == (uint8_t)tag && slot->db == (uint8_t)db &&
        slot->len == len && memcmp(slot->key, data, len) == 0) {
        memcpy(out, slot->out, KV_HASH_LEN);
        return;
    }
    crypto_generichash_init(&st, s->hash_key, sizeof s->hash_key, KV_HASH_LEN);
    crypto_generichash_update(&st, head, sizeof head);
    crypto_generichash_update(&st, data, len);
    crypto_generichash_final(&st, out, KV_HASH_LEN);
    if (!slot) return;
    *slot = (hslot){.used = 1, .tag = (uint8_t)tag, .db = (uint8_t)db, .len = (uint8_t)len};
    memcpy(slot->key, data, len);
    memcpy(slot->out, out, KV_HASH_LEN);
}

size_t kv_seal_key(const kv_seal *s, int db, size_t group, bool ordered, const void *key,
                   size_t klen, uint8_t out[KV_SKEY_MAX])
{
    if (ordered && group && klen >= group && klen - group <= KV_SKEY_MAX - KV_HASH_LEN) {
        hash(s, 'g', db, key, group, out);
        memcpy(out + KV_HASH_LEN, (const uint8_t *)key + group, klen - group);
        return KV_HASH_LEN + klen - group;
    }
    if (group == 0 || klen < group) {
        hash(s, 'k', db, key, klen, out);
        return KV_HASH_LEN;
    }
    hash(s, 'g', db, key, group, out);
    hash(s, 'k', db, key, klen, out + KV_HASH_LEN);
    return KV_SKEY_MAX;
}

void kv_seal_group(const kv_seal *s, int db, const void *prefix, size_t group,
                   uint8_t out[KV_HASH_LEN])
{
    hash(s, 'g', db, prefix, group, out);
}

/* Small records round up to 64 bytes and larger ones to 1 KiB, so record
 * kinds of similar size (a positive and a dilute test outcome) look alike. */
size_t kv_seal_bucket(size_t n)
{
    size_t step = n <= 4096 ? 64 : 1024;
    return n == 0 ? step : (n + step - 1) / step * step;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* Associated data: the database and the stored key, so a box moved to
 * another key or table no longer opens. */
static void aad(int db, const uint8_t *skey, size_t sklen, uint8_t out[1 + KV_SKEY_MAX])
{
    out[0] = (uint8_t)db;
    memcpy(out + 1, skey, sklen);
}

/* A fresh random nonce from the pool, refilled from the OS when empty. */
static vn_err next_nonce(kv_seal *s, uint8_t out[KV_NONCE_LEN])
{
    if (s->nonces_left == 0) {
        size_t got = 0;
        while (got < sizeof s->nonces) {
            ssize_t n = getrandom(s->nonces + got, sizeof s->nonces - got, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return VN_ECRYPTO;
            got += (size_t)n;
        }
        s->nonces_left = KV_NONCE_POOL;
    }
    s->nonces_left--;
    uint8_t *p = s->nonces + s->nonces_left * KV_NONCE_LEN;
    memcpy(out, p, KV_NONCE_LEN);
    sodium_memzero(p, KV_NONCE_LEN); /* never handed out twice */
    return VN_OK;
}

vn_err kv_seal_box(kv_seal *s, int db, const uint8_t *skey, size_t sklen, const void *key,
                   size_t klen, const void *val, size_t vlen, uint8_t **out, size_t *outlen)
{
    if (klen > KV_PLAIN_MAX || vlen > BOX_MAX) return VN_ETOOBIG;
    size_t plen = kv_seal_bucket(HEAD_LEN + klen + vlen);
    size_t total = NONCE_LEN + plen + TAG_LEN;
    uint8_t *plain = calloc(1, plen), *box = malloc(total), ad[1 + KV_SKEY_MAX];
    vn_err err = VN_ENOMEM;
    if (!plain || !box) goto out;
    _Static_assert(NONCE_LEN == KV_NONCE_LEN, "the pool's nonce size");
    put_be(plain, klen, 2);
    memcpy(plain + 2, key, klen);
    put_be(plain + 2 + klen, vlen, 4);
    if (vlen) memcpy(plain + HEAD_LEN + klen, val, vlen);
    if ((err = next_nonce(s, box))) goto out;
    aad(db, skey, sklen, ad);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, NULL, plain, plen, ad, 1 + sklen,
                                               NULL, box, s->value_key);
    *out = box;
    *outlen = total;
    box = NULL;
    err = VN_OK;
out:
    if (plain) sodium_memzero(plain, plen);
    free(plain);
    free(box);
    return err;
}

vn_err kv_seal_open(const kv_seal *s, int db, const uint8_t *skey, size_t sklen, const uint8_t *box,
                    size_t boxlen, kv_opened *out)
{
    uint8_t ad[1 + KV_SKEY_MAX];
    memset(out, 0, sizeof *out);
    if (boxlen < NONCE_LEN + TAG_LEN + HEAD_LEN || boxlen > BOX_MAX + 4096) return VN_ECRYPTO;
    size_t plen = boxlen - NONCE_LEN - TAG_LEN;
    uint8_t *plain = malloc(plen);
    if (!plain) return VN_ENOMEM;
    aad(db, skey, sklen, ad);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, box + NONCE_LEN,
                                                   boxlen - NONCE_LEN, ad, 1 + sklen, box,
                                                   s->value_key) != 0)
        goto bad;
    size_t klen = (size_t)get_be(plain, 2);
    if (2 + klen + 4 > plen) goto bad;
    size_t vlen = (size_t)get_be(plain + 2 + klen, 4);
    if (HEAD_LEN + klen + vlen > plen) goto bad;
    *out = (kv_opened){plain, plen, plain + 2, plain + HEAD_LEN + klen, klen, vlen};
    return VN_OK;
bad:
    sodium_memzero(plain, plen);
    free(plain);
    return VN_ECRYPTO;
}

void kv_seal_free(kv_opened *o)
{
    if (o->buf) sodium_memzero(o->buf, o->bufsize);
    free(o->buf);
    memset(o, 0, sizeof *o);
}
