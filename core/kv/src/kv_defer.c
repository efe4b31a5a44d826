/* Held puts (kv_defer.h): an array in the order records were first held,
 * and an open-addressed index over it, twice its size so probes stay
 * short. A dropped record leaves a hole in the array (skipped by the
 * flush) and a tombstone in the index. */
#include "kv_defer.h"
#include "kv_fnv.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_SLOTS (2 * KV_DEFER_MAX) /* a power of two */
#define EMPTY       0
#define TOMB        UINT16_MAX

typedef struct entry {
    bool live;
    uint8_t db, klen, vlen;
    uint8_t key[KV_DEFER_KEY];
    uint8_t val[KV_DEFER_VAL];
} entry;

struct kv_defer {
    size_t n;                    /* entries used, holes included */
    size_t live;                 /* entries held */
    uint16_t index[INDEX_SLOTS]; /* entry number + 1, EMPTY or TOMB */
    entry entries[KV_DEFER_MAX];
};

kv_defer *kv_defer_new(void)
{
    return calloc(1, sizeof(kv_defer));
}

void kv_defer_free(kv_defer *d)
{
    if (!d) return;
    sodium_memzero(d, sizeof *d);
    free(d);
}

/* The index slot that holds (db, key), or else the first free one on its
 * probe path (*found false). */
static size_t slot_of(const kv_defer *d, int db, const uint8_t *key, size_t klen, bool *found)
{
    size_t i = kv_fnv1a((uint32_t)db, key, klen) & (INDEX_SLOTS - 1), free_slot = INDEX_SLOTS;
    for (size_t probes = 0; probes < INDEX_SLOTS; probes++, i = (i + 1) & (INDEX_SLOTS - 1)) {
        uint16_t v = d->index[i];
        if (v == EMPTY) break;
        if (v == TOMB) {
            if (free_slot == INDEX_SLOTS) free_slot = i;
            continue;
        }
        const entry *e = &d->entries[v - 1];
        if (e->db == db && e->klen == klen && memcmp(e->key, key, klen) == 0) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return free_slot != INDEX_SLOTS ? free_slot : i;
}

bool kv_defer_put(kv_defer *d, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    bool found;
    if (klen > KV_DEFER_KEY || vlen > KV_DEFER_VAL || db < 0 || db > 255) return false;
    size_t i = slot_of(d, db, key, klen, &found);
    entry *e;
    if (found)
        e = &d->entries[d->index[i] - 1];
    else {
        if (d->n == KV_DEFER_MAX) return false;
        e = &d->entries[d->n++];
        *e = (entry){.live = true, .db = (uint8_t)db, .klen = (uint8_t)klen};
        memcpy(e->key, key, klen);
        d->index[i] = (uint16_t)d->n;
        d->live++;
    }
    e->vlen = (uint8_t)vlen;
    if (vlen) memcpy(e->val, val, vlen);
    return true;
}

int kv_defer_get(const kv_defer *d, int db, const void *key, size_t klen, void **val, size_t *vlen)
{
    bool found;
    if (!d->live || klen > KV_DEFER_KEY) return 0;
    size_t i = slot_of(d, db, key, klen, &found);
    if (!found) return 0;
    const entry *e = &d->entries[d->index[i] - 1];
    if (val) {
        if (!(*val = malloc(e->vlen ? e->vlen : 1))) return -1;
        memcpy(*val, e->val, e->vlen);
    }
    if (vlen) *vlen = e->vlen;
    return 1;
}

bool kv_defer_drop(kv_defer *d, int db, const void *key, size_t klen)
{
    bool found;
    if (!d->live || klen > KV_DEFER_KEY) return false;
    size_t i = slot_of(d, db, key, klen, &found);
    if (!found) return false;
    d->entries[d->index[i] - 1].live = false;
    d->index[i] = TOMB;
    d->live--;
    return true;
}

size_t kv_defer_count(const kv_defer *d)
{
    return d ? d->live : 0;
}

vn_err kv_defer_flush(kv_defer *d, kv_defer_fn fn, void *ud)
{
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < d->n; i++) {
        const entry *e = &d->entries[i];
        if (e->live) err = fn(ud, e->db, e->key, e->klen, e->val, e->vlen);
    }
    kv_defer_clear(d);
    return err;
}

void kv_defer_clear(kv_defer *d)
{
    if (!d || !d->n) return;
    /* Only what was used: the index and the used entries. */
    memset(d->index, 0, sizeof d->index);
    sodium_memzero(d->entries, d->n * sizeof d->entries[0]);
    d->n = d->live = 0;
}
