/* A direct-mapped cache of opened values (see kv_cache.h). Direct-mapped
 * because the tables it serves hold a few records per person and a slot
 * lost to a collision costs one ordinary read. */
#include "kv_cache.h"
#include "kv_fnv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* 16,384 slots of ~80 bytes (1.3 MiB): a few records for each of some
 * thousands of people, and the index records of the messages in flight,
 * without one pushing the other out all the time. Under bench_relay with
 * a hundred clients, 1,024 slots missed 36 % of the lookups, 16,384 20 %
 * (nearly all of those the check that a new message's id is not stored
 * yet, which finds nothing to keep). Keys here are ids of 16 or 32 bytes. */
#define SLOTS   16384
#define KEY_MAX 48
#define VAL_MAX 512

typedef struct slot {
    uint64_t gen; /* the generation it was filled under */
    int db;       /* -1: empty */
    uint8_t klen;
    uint8_t key[KEY_MAX];
    uint16_t vlen;
    uint8_t *val; /* vlen bytes (owned), or NULL when vlen is 0 */
} slot;

struct kv_cache {
    slot s[SLOTS];
    uint64_t hits, misses;
};

kv_cache *kv_cache_new(void)
{
    kv_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    for (size_t i = 0; i < SLOTS; i++)
        c->s[i].db = -1;
    return c;
}

static void slot_clear(slot *s)
{
    if (s->val) {
        sodium_memzero(s->val, s->vlen);
        free(s->val);
    }
    sodium_memzero(s, sizeof *s);
    s->db = -1;
}

void kv_cache_free(kv_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < SLOTS; i++)
        slot_clear(&c->s[i]);
    free(c);
}

/* FNV-1a over the table and the key; what the slot holds is compared
 * whole before use. */
static slot *slot_of(kv_cache *c, int db, const uint8_t *key, size_t klen)
{
    return &c->s[kv_fnv1a((uint32_t)db, key, klen) % SLOTS];
}

bool kv_cache_get(kv_cache *c, int db, const void *key, size_t klen, uint64_t gen, void **val,
                  size_t *vlen)
{
    if (!c || klen > KEY_MAX) return false;
    slot *s = slot_of(c, db, key, klen);
    if (s->db != db || s->gen != gen || s->klen != klen || memcmp(s->key, key, klen) != 0) {
        c->misses++;
        return false;
    }
    if (val) {
        *val = malloc(s->vlen ? s->vlen : 1);
        if (!*val) return false;
        if (s->vlen) memcpy(*val, s->val, s->vlen);
    }
    if (vlen) *vlen = s->vlen;
    c->hits++;
    return true;
}

void kv_cache_put(kv_cache *c, int db, const void *key, size_t klen, uint64_t gen, const void *val,
                  size_t vlen)
{
    if (!c || klen > KEY_MAX) return;
    slot *s = slot_of(c, db, key, klen);
    uint8_t *copy = NULL;
    slot_clear(s); /* an older value of this key must not outlive this one */
    if (vlen > VAL_MAX || (vlen && !(copy = malloc(vlen)))) return;
    if (vlen) memcpy(copy, val, vlen);
    s->gen = gen;
    s->db = db;
    s->klen = (uint8_t)klen;
    memcpy(s->key, key, klen);
    s->vlen = (uint16_t)vlen;
    s->val = copy;
}

void kv_cache_drop(kv_cache *c, int db, const void *key, size_t klen)
{
    if (!c || klen > KEY_MAX) return;
    slot *s = slot_of(c, db, key, klen);
    if (s->db == db && s->klen == klen && memcmp(s->key, key, klen) == 0) slot_clear(s);
}

void kv_cache_stats(const kv_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}
