#include "ratelimit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 40   /* a pair of account ids and a byte that says what is limited */
#define NSLOTS  4096 /* hash chains; buckets are few (only active senders) */

typedef struct bucket {
    struct bucket *next;  /* chain */
    uint8_t key[KEY_MAX]; /* what it limits */
    size_t klen;
    double tokens; /* tokens left at `at` */
    uint64_t at;   /* when tokens was computed (ms) */
} bucket;

struct vn_ratelimit {
    double burst, per_sec; /* the shape of every bucket */
    bucket *slots[NSLOTS]; /* hash table */
};

vn_err vn_ratelimit_open(vn_ratelimit **out, double burst, double per_sec)
{
    if (burst < 1 || per_sec <= 0) return VN_EINVAL;
    vn_ratelimit *r = calloc(1, sizeof *r);
    if (!r) return VN_ENOMEM;
    r->burst = burst;
    r->per_sec = per_sec;
    *out = r;
    return VN_OK;
}

void vn_ratelimit_close(vn_ratelimit **self_p)
{
    if (!self_p || !*self_p) return;
    for (size_t i = 0; i < NSLOTS; i++) {
        for (bucket *b = (*self_p)->slots[i], *n; b; b = n) {
            n = b->next;
            free(b);
        }
    }
    free(*self_p);
    *self_p = NULL;
}

static size_t hash(const uint8_t *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    return (size_t)(h % NSLOTS);
}

static double refill(const vn_ratelimit *r, const bucket *b, uint64_t now)
{
    double t = b->tokens + (double)(now > b->at ? now - b->at : 0) * r->per_sec / 1000.0;
    return t > r->burst ? r->burst : t;
}

static vn_err take(vn_ratelimit *r, const void *key, size_t klen, double cost, uint64_t now,
                   uint64_t *retry_ms, bool commit)
{
    if (klen > KEY_MAX) return VN_EINVAL;
    /* A cost above the burst could never be paid (the bucket holds at most
     * the burst), so it costs the whole burst: it passes when the bucket is
     * full and the retry time it is given is then true. */
    if (cost > r->burst) cost = r->burst;
    size_t h = hash(key, klen);
    bucket *b = r->slots[h];
    while (b && (b->klen != klen || memcmp(b->key, key, klen) != 0))
        b = b->next;
    double tokens = b ? refill(r, b, now) : r->burst;
    if (tokens < cost) {
        *retry_ms = (uint64_t)((cost - tokens) * 1000.0 / r->per_sec) + 1;
        return VN_ERATE;
    }
    if (!commit) return VN_OK;
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b) return VN_ENOMEM;
        memcpy(b->key, key, klen);
        b->klen = klen;
        b->next = r->slots[h];
        r->slots[h] = b;
    }
    b->tokens = tokens - cost;
    b->at = now;
    return VN_OK;
}

vn_err vn_ratelimit_take(vn_ratelimit *self, const void *key, size_t klen, double cost,
                         uint64_t now_ms, uint64_t *retry_ms)
{
    return take(self, key, klen, cost, now_ms, retry_ms, true);
}

vn_err vn_ratelimit_check(vn_ratelimit *self, const void *key, size_t klen, double cost,
                          uint64_t now_ms, uint64_t *retry_ms)
{
    return take(self, key, klen, cost, now_ms, retry_ms, false);
}

void vn_ratelimit_sweep(vn_ratelimit *self, uint64_t now_ms)
{
    for (size_t i = 0; i < NSLOTS; i++) {
        bucket **pp = &self->slots[i];
        while (*pp) {
            bucket *b = *pp;
            if (refill(self, b, now_ms) >= self->burst) {
                *pp = b->next;
                free(b);
            } else {
                pp = &b->next;
            }
        }
    }
}
