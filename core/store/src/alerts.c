/* The alerts table. */
#include "vn/alerts.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/rand.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

/* case, kind, severity, state, level, created, claimer, acked, level time,
 * then the buckets of its index entries (absent in records written before
 * buckets: ALERT_REC_OLD). */
#define ALERT_REC_OLD 60
#define ALERT_REC_LEN 68

const char *vn_alerts_kind_name(uint8_t kind)
{
    return kind == VN_ALERT_SOS ? "sos" : kind == VN_ALERT_SIGNAL ? "signal" : "unknown";
}

const char *vn_alerts_state_name(uint8_t state)
{
    switch (state) {
    case VN_ALERT_OPEN:
        return "open";
    case VN_ALERT_CLAIMED:
        return "claimed";
    case VN_ALERT_ACKED:
        return "acknowledged";
    }
    return "unknown";
}

static void pack(const vn_alert *a, uint8_t r[ALERT_REC_LEN])
{
    memcpy(r, a->case_id, VN_ACCOUNT_LEN);
    r[16] = a->kind;
    r[17] = a->severity;
    r[18] = a->state;
    r[19] = a->level;
    vn_be_put64(r + 20, a->created_ms);
    memcpy(r + 28, a->claimed_by, VN_ACCOUNT_LEN);
    vn_be_put64(r + 44, a->acked_ms);
    vn_be_put64(r + 52, a->level_ms);
    vn_be_put32(r + 60, a->case_bucket);
    vn_be_put32(r + 64, a->lead_bucket);
}

static void unpack(const uint8_t id[VN_ALERT_ID_LEN], const uint8_t *r, size_t n, vn_alert *a)
{
    memcpy(a->id, id, VN_ALERT_ID_LEN);
    memcpy(a->case_id, r, VN_ACCOUNT_LEN);
    a->kind = r[16];
    a->severity = r[17];
    a->state = r[18];
    a->level = r[19];
    a->created_ms = vn_be_get64(r + 20);
    memcpy(a->claimed_by, r + 28, VN_ACCOUNT_LEN);
    a->acked_ms = vn_be_get64(r + 44);
    a->level_ms = vn_be_get64(r + 52);
    a->case_bucket = n == ALERT_REC_LEN ? vn_be_get32(r + 60) : VN_ALERT_NO_BUCKET;
    a->lead_bucket = n == ALERT_REC_LEN ? vn_be_get32(r + 64) : VN_ALERT_NO_BUCKET;
}

/* The indexes. An owner's alerts (a case's, or those escalated to the
 * medical lead) lie in buckets of at most VN_ALERT_BUCKET alerts of one
 * kind and severity, filled in the order they come: each bucket is one group of its
 * table, so reading it opens its own entries only, and its record in
 * alertbuckets (count, first and last in list order) lets a page skip the
 * buckets before its cursor and count those after it without opening
 * them. alertsbycase holds the case buckets; alertslevel the escalated
 * buckets and, as one flat group, the alerts still climbing (the sweep's).
 * Every entry holds the alert's key record: what ordering and filtering
 * need, so neither reads the alert itself. */
#define KEY_REC_LEN   (VN_ACCOUNT_LEN + 4 + 8) /* case, kind, severity, level, state, created */
#define INDEX_KEY_LEN (VN_ACCOUNT_LEN + VN_ALERT_ID_LEN)
#define META_KEY_LEN  (VN_ACCOUNT_LEN + 5) /* owner, 'b' bucket number or 't' severity */
#define META_LEN      (2 + 4 + 2 * (8 + VN_ALERT_ID_LEN)) /* severity, kind, count, first, last */
#define TAIL_LEN      8 /* the bucket being filled, the next bucket number */

static const uint8_t tag_climbing[VN_ACCOUNT_LEN] = "alerts:climbing";
static const uint8_t tag_escalated[VN_ACCOUNT_LEN] = "alerts:escalate";

int vn_alerts_key_order(const vn_alert_key *a, const vn_alert_key *b)
{
    if (a->severity != b->severity) return a->severity > b->severity ? -1 : 1;
    if (a->created_ms != b->created_ms) return a->created_ms < b->created_ms ? -1 : 1;
    return memcmp(a->id, b->id, VN_ALERT_ID_LEN);
}

static void key_of(const vn_alert *a, vn_alert_key *k)
{
    memcpy(k->id, a->id, VN_ALERT_ID_LEN);
    memcpy(k->case_id, a->case_id, VN_ACCOUNT_LEN);
    k->kind = a->kind;
    k->severity = a->severity;
    k->level = a->level;
    k->state = a->state;
    k->created_ms = a->created_ms;
}

static void pack_key(const vn_alert *a, uint8_t r[KEY_REC_LEN])
{
    memcpy(r, a->case_id, VN_ACCOUNT_LEN);
    r[16] = a->kind;
    r[17] = a->severity;
    r[18] = a->level;
    r[19] = a->state;
    vn_be_put64(r + 20, a->created_ms);
}

/* The group of bucket b of owner: the owner's id with the bucket number
 * mixed into its last bytes (ids are random, so no two owners' groups
 * meet). */
static void bucket_group(const uint8_t owner[VN_ACCOUNT_LEN], uint32_t b, uint8_t g[VN_ACCOUNT_LEN])
{
    uint8_t n[4];
    memcpy(g, owner, VN_ACCOUNT_LEN);
    vn_be_put32(n, b + 1);
    for (int i = 0; i < 4; i++)
        g[VN_ACCOUNT_LEN - 4 + i] ^= n[i];
}

static void entry_key(const uint8_t owner[VN_ACCOUNT_LEN], uint32_t b,
                      const uint8_t id[VN_ALERT_ID_LEN], uint8_t k[INDEX_KEY_LEN])
{
    bucket_group(owner, b, k);
    memcpy(k + VN_ACCOUNT_LEN, id, VN_ALERT_ID_LEN);
}

static void meta_key(const uint8_t owner[VN_ACCOUNT_LEN], uint8_t what, uint32_t n,
                     uint8_t k[META_KEY_LEN])
{
    memcpy(k, owner, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = what;
    vn_be_put32(k + VN_ACCOUNT_LEN + 1, n);
}

static void pack_meta(const vn_alert_bucket *m, uint8_t r[META_LEN])
{
    r[0] = m->severity;
    r[1] = m->kind;
    vn_be_put32(r + 2, m->count);
    vn_be_put64(r + 6, m->min.created_ms);
    memcpy(r + 14, m->min.id, VN_ALERT_ID_LEN);
    vn_be_put64(r + 30, m->max.created_ms);
    memcpy(r + 38, m->max.id, VN_ALERT_ID_LEN);
}

static void unpack_meta(const uint8_t *k, const uint8_t *r, vn_alert_bucket *m)
{
    memset(m, 0, sizeof *m);
    memcpy(m->owner, k, VN_ACCOUNT_LEN);
    m->no = vn_be_get32(k + VN_ACCOUNT_LEN + 1);
    m->severity = m->min.severity = m->max.severity = r[0];
    m->kind = m->min.kind = m->max.kind = r[1];
    m->count = vn_be_get32(r + 2);
    m->min.created_ms = vn_be_get64(r + 6);
    memcpy(m->min.id, r + 14, VN_ALERT_ID_LEN);
    m->max.created_ms = vn_be_get64(r + 30);
    memcpy(m->max.id, r + 38, VN_ALERT_ID_LEN);
}

static vn_err meta_get(vn_sstore *st, const uint8_t owner[VN_ACCOUNT_LEN], uint32_t b,
                       vn_alert_bucket *m)
{
    uint8_t k[META_KEY_LEN];
    void *v = NULL;
    size_t n = 0;
    meta_key(owner, 'b', b, k);
    vn_err err = st_get(st, VN_DB_ALERTBUCKETS, k, sizeof k, &v, &n);
    if (!err && n != META_LEN) err = VN_ESTORE;
    if (!err) unpack_meta(k, v, m);
    free(v);
    return err;
}

static vn_err meta_put(vn_sstore *st, const vn_alert_bucket *m)
{
    uint8_t k[META_KEY_LEN], r[META_LEN];
    meta_key(m->owner, 'b', m->no, k);
    pack_meta(m, r);
    return st_put(st, VN_DB_ALERTBUCKETS, k, sizeof k, r, sizeof r);
}

/* The bucket of owner being filled for one line (kind << 8 | severity),
 * and the next number. */
static vn_err tail_get(vn_sstore *st, const uint8_t owner[VN_ACCOUNT_LEN], uint32_t line,
                       uint32_t *cur, uint32_t *next)
{
    uint8_t k[META_KEY_LEN];
    void *v = NULL;
    size_t n = 0;
    *cur = VN_ALERT_NO_BUCKET;
    *next = 0;
    meta_key(owner, 't', line, k);
    vn_err err = st_get(st, VN_DB_ALERTBUCKETS, k, sizeof k, &v, &n);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err && n != TAIL_LEN) err = VN_ESTORE;
    if (!err) {
        *cur = vn_be_get32(v);
        *next = vn_be_get32((uint8_t *)v + 4);
    }
    free(v);
    return err;
}

static vn_err tail_put(vn_sstore *st, const uint8_t owner[VN_ACCOUNT_LEN], uint32_t line,
                       uint32_t cur, uint32_t next)
{
    uint8_t k[META_KEY_LEN], r[TAIL_LEN];
    meta_key(owner, 't', line, k);
    vn_be_put32(r, cur);
    vn_be_put32(r + 4, next);
    return st_put(st, VN_DB_ALERTBUCKETS, k, sizeof k, r, sizeof r);
}

/* Adds a's entry to the bucket of owner being filled for its severity (a
 * new one when that is full); *b gets the bucket. */
static vn_err bucket_add(vn_sstore *st, int db, const uint8_t owner[VN_ACCOUNT_LEN],
                         const vn_alert *a, uint32_t *b)
{
    uint32_t cur, next;
    vn_alert_bucket m;
    vn_alert_key key;
    uint8_t k[INDEX_KEY_LEN], r[KEY_REC_LEN];
    key_of(a, &key);
    uint32_t line = (uint32_t)(a->kind == VN_ALERT_SOS) << 8 | a->severity;
    vn_err err = tail_get(st, owner, line, &cur, &next);
    if (err) return err;
    bool fresh = cur == VN_ALERT_NO_BUCKET;
    if (!fresh && (err = meta_get(st, owner, cur, &m)) == VN_ENOTFOUND) fresh = true, err = VN_OK;
    if (err) return err;
    if (!fresh && m.count >= VN_ALERT_BUCKET) fresh = true;
    if (fresh) {
        memset(&m, 0, sizeof m);
        memcpy(m.owner, owner, VN_ACCOUNT_LEN);
        /* Numbers are per severity; the low bits keep those of the
         * severities apart. */
        m.no = cur = (next++ << 3) | (line >> 8) << 2 | (a->severity & 3);
        m.severity = a->severity;
        m.kind = a->kind == VN_ALERT_SOS ? VN_ALERT_SOS : VN_ALERT_SIGNAL;
        m.min = m.max = key;
    }
    if (vn_alerts_key_order(&key, &m.min) < 0) m.min = key;
    if (vn_alerts_key_order(&key, &m.max) > 0) m.max = key;
    m.count++;
    entry_key(owner, cur, a->id, k);
    pack_key(a, r);
    if ((err = meta_put(st, &m)) || (err = tail_put(st, owner, line, cur, next))) return err;
    *b = cur;
    return st_put(st, db, k, sizeof k, r, sizeof r);
}

static vn_err bucket_entry_put(vn_sstore *st, int db, const uint8_t owner[VN_ACCOUNT_LEN],
                               uint32_t b, const vn_alert *a)
{
    uint8_t k[INDEX_KEY_LEN], r[KEY_REC_LEN];
    entry_key(owner, b, a->id, k);
    pack_key(a, r);
    return st_put(st, db, k, sizeof k, r, sizeof r);
}

/* Takes a's entry out of bucket b; an emptied bucket goes unless it is the
 * one being filled. */
static vn_err bucket_remove(vn_sstore *st, int db, const uint8_t owner[VN_ACCOUNT_LEN], uint32_t b,
                            const vn_alert *a)
{
    uint8_t k[INDEX_KEY_LEN], mk[META_KEY_LEN];
    uint32_t cur, next;
    vn_alert_bucket m;
    entry_key(owner, b, a->id, k);
    vn_err err = st_drop(st, db, k, sizeof k);
    if (!err) err = meta_get(st, owner, b, &m);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err)
        err =
            tail_get(st, owner, (uint32_t)(m.kind == VN_ALERT_SOS) << 8 | m.severity, &cur, &next);
    if (err) return err;
    if (m.count > 0) m.count--;
    if (m.count > 0 || b == cur) return meta_put(st, &m);
    meta_key(owner, 'b', b, mk);
    return st_drop(st, VN_DB_ALERTBUCKETS, mk, sizeof mk);
}

/* Writes a with its index entries; old is the stored record (NULL: none,
 * so every entry is new). */
static vn_err store_alert(vn_sstore *st, const vn_alert *in, const vn_alert *old)
{
    vn_alert a = *in;
    uint8_t r[ALERT_REC_LEN], k[INDEX_KEY_LEN];
    vn_err err;
    a.case_bucket = old ? old->case_bucket : VN_ALERT_NO_BUCKET;
    a.lead_bucket = old ? old->lead_bucket : VN_ALERT_NO_BUCKET;
    if (a.case_bucket == VN_ALERT_NO_BUCKET)
        err = bucket_add(st, VN_DB_ALERTSBYCASE, a.case_id, &a, &a.case_bucket);
    else
        err = bucket_entry_put(st, VN_DB_ALERTSBYCASE, a.case_id, a.case_bucket, &a);
    if (err) return err;
    memcpy(k, tag_climbing, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, a.id, VN_ALERT_ID_LEN);
    if (a.level >= VN_LEVEL_MEDICAL_LEAD) {
        if ((err = st_drop(st, VN_DB_ALERTSLEVEL, k, sizeof k))) return err;
        err = a.lead_bucket == VN_ALERT_NO_BUCKET
                  ? bucket_add(st, VN_DB_ALERTSLEVEL, tag_escalated, &a, &a.lead_bucket)
                  : bucket_entry_put(st, VN_DB_ALERTSLEVEL, tag_escalated, a.lead_bucket, &a);
    } else {
        if (a.lead_bucket != VN_ALERT_NO_BUCKET &&
            (err = bucket_remove(st, VN_DB_ALERTSLEVEL, tag_escalated, a.lead_bucket, &a)))
            return err;
        a.lead_bucket = VN_ALERT_NO_BUCKET;
        uint8_t kr[KEY_REC_LEN];
        pack_key(&a, kr);
        err = st_put(st, VN_DB_ALERTSLEVEL, k, sizeof k, kr, sizeof kr);
    }
    if (err) return err;
    pack(&a, r);
    return st_put(st, VN_DB_ALERTS, a.id, VN_ALERT_ID_LEN, r, sizeof r);
}

static vn_err unindex(vn_sstore *st, const vn_alert *a)
{
    uint8_t k[INDEX_KEY_LEN];
    vn_err err = VN_OK;
    if (a->case_bucket != VN_ALERT_NO_BUCKET)
        err = bucket_remove(st, VN_DB_ALERTSBYCASE, a->case_id, a->case_bucket, a);
    memcpy(k, tag_climbing, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, a->id, VN_ALERT_ID_LEN);
    if (!err) err = st_drop(st, VN_DB_ALERTSLEVEL, k, sizeof k);
    if (!err && a->lead_bucket != VN_ALERT_NO_BUCKET)
        err = bucket_remove(st, VN_DB_ALERTSLEVEL, tag_escalated, a->lead_bucket, a);
    return err;
}

vn_err vn_alerts_delete(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN])
{
    vn_alert a;
    vn_err err = vn_alerts_get(st, id, &a);
    if (!err) err = unindex(st, &a);
    return err ? err : st_del(st, VN_DB_ALERTS, id, VN_ALERT_ID_LEN);
}

vn_err vn_alerts_put(vn_sstore *st, const vn_alert *a)
{
    vn_alert old;
    vn_err err = vn_alerts_get(st, a->id, &old);
    if (err == VN_ENOTFOUND) return store_alert(st, a, NULL);
    return err ? err : store_alert(st, a, &old);
}

vn_err vn_alerts_create(vn_sstore *st, vn_alert *a)
{
    vn_err err;
    do {
        if ((err = vn_rand_bytes(a->id, VN_ALERT_ID_LEN))) return err;
    } while (st_has(st, VN_DB_ALERTS, a->id, VN_ALERT_ID_LEN));
    return store_alert(st, a, NULL);
}

vn_err vn_alerts_get(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN], vn_alert *a)
{
    void *v = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_ALERTS, id, VN_ALERT_ID_LEN, &v, &n);
    if (err) return err;
    if (n == ALERT_REC_LEN || n == ALERT_REC_OLD)
        unpack(id, v, n, a);
    else
        err = VN_ESTORE;
    free(v);
    return err;
}

struct all_ctx {
    vn_alert *a; /* collected alerts */
    size_t n, cap;
};

static vn_err collect_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct all_ctx *c = ud;
    (void)stop;
    if (kl != VN_ALERT_ID_LEN || (vl != ALERT_REC_LEN && vl != ALERT_REC_OLD)) return VN_ESTORE;
    vn_err err = vn_array_reserve(&c->a, &c->cap, c->n + 1, sizeof *c->a, VN_ALERTS_MAX);
    if (err) return err;
    unpack(k, v, vl, &c->a[c->n++]);
    return VN_OK;
}

/* Collects first, then calls back, so callbacks may write. */
vn_err vn_alerts_each(vn_sstore *st, vn_alerts_fn fn, void *ud)
{
    struct all_ctx c = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ALERTS, NULL, 0, collect_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++)
        err = fn(ud, &c.a[i]);
    free(c.a);
    return err;
}

struct keys_ctx {
    vn_alert_keys_fn fn; /* the caller's */
    void *ud;
};

static vn_err keys_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct keys_ctx *c = ud;
    const uint8_t *r = v;
    vn_alert_key key;
    (void)stop;
    if (kl != INDEX_KEY_LEN || vl != KEY_REC_LEN) return VN_ESTORE;
    memcpy(key.id, (const uint8_t *)k + VN_ACCOUNT_LEN, VN_ALERT_ID_LEN);
    memcpy(key.case_id, r, VN_ACCOUNT_LEN);
    key.kind = r[16];
    key.severity = r[17];
    key.level = r[18];
    key.state = r[19];
    key.created_ms = vn_be_get64(r + 20);
    return c->fn(c->ud, &key);
}

/* The buckets of one owner. */
struct buckets_ctx {
    vn_alert_bucket *b;
    size_t n, cap;
};

static vn_err bucket_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct buckets_ctx *c = ud;
    (void)stop;
    if (kl != META_KEY_LEN) return VN_ESTORE;
    if (((const uint8_t *)k)[VN_ACCOUNT_LEN] != 'b') return VN_OK; /* a tail */
    if (vl != META_LEN) return VN_ESTORE;
    vn_err err = vn_array_reserve(&c->b, &c->cap, c->n + 1, sizeof *c->b, VN_ALERTS_MAX);
    if (!err) unpack_meta(k, v, &c->b[c->n++]);
    return err;
}

static vn_err owner_buckets(vn_sstore *st, const uint8_t owner[VN_ACCOUNT_LEN],
                            struct buckets_ctx *c)
{
    return st_each(st, VN_DB_ALERTBUCKETS, owner, VN_ACCOUNT_LEN, bucket_cb, c);
}

static vn_err bucket_keys(vn_sstore *st, const vn_alert_bucket *b, bool escalated,
                          vn_alert_keys_fn fn, void *ud)
{
    uint8_t g[VN_ACCOUNT_LEN];
    struct keys_ctx c = {fn, ud};
    bucket_group(b->owner, b->no, g);
    return st_each(st, escalated ? VN_DB_ALERTSLEVEL : VN_DB_ALERTSBYCASE, g, VN_ACCOUNT_LEN,
                   keys_cb, &c);
}

/* Every key of owner's buckets of severity sev (0: any) whose bucket
 * holds alerts raised at or after since. */
static vn_err owner_keys(vn_sstore *st, const uint8_t owner[VN_ACCOUNT_LEN], bool escalated,
                         uint8_t sev, uint64_t since, vn_alert_keys_fn fn, void *ud)
{
    struct buckets_ctx c = {NULL, 0, 0};
    vn_err err = owner_buckets(st, owner, &c);
    for (size_t i = 0; !err && i < c.n; i++) {
        if ((sev && c.b[i].severity != sev) || c.b[i].max.created_ms < since) continue;
        err = bucket_keys(st, &c.b[i], escalated, fn, ud);
    }
    free(c.b);
    return err;
}

vn_err vn_alerts_keys_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           vn_alert_keys_fn fn, void *ud)
{
    return owner_keys(st, case_id, false, 0, 0, fn, ud);
}

vn_err vn_alerts_keys_recent(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t severity,
                             uint64_t since, vn_alert_keys_fn fn, void *ud)
{
    return owner_keys(st, case_id, false, severity, since, fn, ud);
}

vn_err vn_alerts_keys_escalated(vn_sstore *st, vn_alert_keys_fn fn, void *ud)
{
    return owner_keys(st, tag_escalated, true, 0, 0, fn, ud);
}

vn_err vn_alerts_keys_climbing(vn_sstore *st, vn_alert_keys_fn fn, void *ud)
{
    struct keys_ctx c = {fn, ud};
    return st_each(st, VN_DB_ALERTSLEVEL, tag_climbing, VN_ACCOUNT_LEN, keys_cb, &c);
}

vn_err vn_alerts_keys_climbing_from(vn_sstore *st, vn_kv_pos *pos, size_t max, vn_alert_keys_fn fn,
                                    void *ud)
{
    struct keys_ctx c = {fn, ud};
    return st_each_from(st, VN_DB_ALERTSLEVEL, tag_climbing, VN_ACCOUNT_LEN, pos, max, keys_cb, &c);
}

/* ---- one page of a list ---- */

struct pick_bucket {
    vn_alert_bucket b;
    bool escalated;
};

static vn_err pick_add(vn_sstore *st, vn_alert_pick *p, const uint8_t owner[VN_ACCOUNT_LEN],
                       bool escalated)
{
    struct buckets_ctx c = {NULL, 0, 0};
    vn_err err = owner_buckets(st, owner, &c);
    for (size_t i = 0; !err && i < c.n; i++) {
        err = vn_array_reserve(&p->buckets, &p->cap, p->nb + 1, sizeof *p->buckets, VN_ALERTS_MAX);
        if (!err) {
            p->buckets[p->nb].b = c.b[i];
            p->buckets[p->nb++].escalated = escalated;
        }
    }
    free(c.b);
    return err;
}

vn_err vn_alerts_pick_case(vn_sstore *st, vn_alert_pick *p, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return pick_add(st, p, case_id, false);
}

vn_err vn_alerts_pick_escalated(vn_sstore *st, vn_alert_pick *p)
{
    return pick_add(st, p, tag_escalated, true);
}

static void heap_swap(vn_alert_key *h, size_t i, size_t j)
{
    vn_alert_key t = h[i];
    h[i] = h[j];
    h[j] = t;
}

/* A max-heap in list order: its top is the last alert kept so far. */
static void heap_down(vn_alert_key *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < n && vn_alerts_key_order(&h[l], &h[top]) > 0) top = l;
        if (r < n && vn_alerts_key_order(&h[r], &h[top]) > 0) top = r;
        if (top == i) return;
        heap_swap(h, i, top);
        i = top;
    }
}

static vn_err pick_cb(void *ud, const vn_alert_key *k)
{
    vn_alert_pick *p = ud;
    if (k->state == VN_ALERT_ACKED || (p->sos_only && k->kind != VN_ALERT_SOS) ||
        (p->escalated_only && k->level < VN_LEVEL_MEDICAL_LEAD))
        return VN_OK;
    if (p->after && vn_alerts_key_order(k, p->after) <= 0) return VN_OK;
    p->following++;
    if (p->n < p->limit) {
        size_t i = p->n++;
        p->keys[i] = *k;
        while (i > 0 && vn_alerts_key_order(&p->keys[i], &p->keys[(i - 1) / 2]) > 0) {
            heap_swap(p->keys, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    } else if (p->limit && vn_alerts_key_order(k, &p->keys[0]) < 0) {
        p->keys[0] = *k;
        heap_down(p->keys, p->n, 0);
    }
    return VN_OK;
}

static int bucket_cmp(const void *x, const void *y)
{
    return vn_alerts_key_order(&((const struct pick_bucket *)x)->b.min,
                               &((const struct pick_bucket *)y)->b.min);
}

static int key_cmp(const void *x, const void *y)
{
    return vn_alerts_key_order(x, y);
}

/* Buckets in the order of their first alert: one whose last alert is not
 * after the cursor is skipped; once the page is full, one whose first
 * alert comes after the page's last is only counted, and so are all
 * after it. A filter on the kind makes counts of unread buckets unknown,
 * so then every bucket is read. */
vn_err vn_alerts_pick_run(vn_sstore *st, vn_alert_pick *p)
{
    vn_err err = VN_OK;
    bool filtered = p->escalated_only;
    p->n = p->following = 0;
    if (p->nb > 1) qsort(p->buckets, p->nb, sizeof *p->buckets, bucket_cmp);
    for (size_t i = 0; !err && i < p->nb; i++) {
        const struct pick_bucket *b = &p->buckets[i];
        if (p->after && vn_alerts_key_order(&b->b.max, p->after) <= 0) continue;
        if (p->sos_only && b->b.kind != VN_ALERT_SOS) continue;
        if (!filtered && p->n == p->limit &&
            (p->limit == 0 || vn_alerts_key_order(&b->b.min, &p->keys[0]) > 0)) {
            p->following += b->b.count;
            continue;
        }
        err = bucket_keys(st, &b->b, b->escalated, pick_cb, p);
    }
    if (err) return err;
    p->following -= p->n;
    if (p->n > 1) qsort(p->keys, p->n, sizeof *p->keys, key_cmp);
    return VN_OK;
}

void vn_alerts_pick_free(vn_alert_pick *p)
{
    free(p->buckets);
    p->buckets = NULL;
    p->nb = p->cap = 0;
}

/* ---- walks that write ---- */

struct ids_ctx {
    uint8_t (*ids)[VN_ALERT_ID_LEN]; /* alert ids of the case */
    size_t n, cap;
};

static vn_err ids_cb(void *ud, const vn_alert_key *k)
{
    struct ids_ctx *c = ud;
    vn_err err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, VN_ALERTS_MAX);
    if (!err) memcpy(c->ids[c->n++], k->id, VN_ALERT_ID_LEN);
    return err;
}

vn_err vn_alerts_each_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_alerts_fn fn,
                           void *ud)
{
    struct ids_ctx c = {NULL, 0, 0};
    vn_err err = vn_alerts_keys_case(st, case_id, ids_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++) {
        vn_alert a;
        err = vn_alerts_get(st, c.ids[i], &a);
        /* Ids are read first, so fn may have deleted a later one. */
        if (err == VN_ENOTFOUND) {
            err = VN_OK;
            continue;
        }
        if (!err) err = fn(ud, &a);
    }
    free(c.ids);
    return err;
}

static vn_err delete_cb(void *ud, const vn_alert *a)
{
    return vn_alerts_delete(ud, a->id);
}

/* Through the case's buckets: a purge reads the case's alerts only. */
vn_err vn_alerts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    vn_err err = vn_alerts_each_case(st, case_id, delete_cb, st);
    return err ? err : st_del_prefix(st, VN_DB_ALERTBUCKETS, case_id, VN_ACCOUNT_LEN);
}

struct forget_ctx {
    vn_sstore *st;
    const uint8_t *account; /* the claimer to forget */
};

static vn_err forget_cb(void *ud, const vn_alert *a)
{
    struct forget_ctx *c = ud;
    if (memcmp(a->claimed_by, c->account, VN_ACCOUNT_LEN) != 0) return VN_OK;
    vn_alert copy = *a;
    memset(copy.claimed_by, 0, VN_ACCOUNT_LEN);
    return vn_alerts_put(c->st, &copy);
}

/* Reads every alert: no index names claimers, and an account is deleted
 * rarely (the server reopens its claims through its case first). */
vn_err vn_alerts_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    struct forget_ctx c = {st, account};
    return vn_alerts_each(st, forget_cb, &c);
}

/* By case, then in list order, so each bucket fills with neighbours. */
static int case_order(const void *x, const void *y)
{
    const vn_alert *a = x, *b = y;
    int c = memcmp(a->case_id, b->case_id, VN_ACCOUNT_LEN);
    vn_alert_key ka, kb;
    if (c) return c;
    key_of(a, &ka);
    key_of(b, &kb);
    return vn_alerts_key_order(&ka, &kb);
}

static vn_err reindex_all(vn_sstore *st, size_t *indexed)
{
    struct all_ctx c = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ALERTS, NULL, 0, collect_cb, &c);
    if (!err) err = st_del_prefix(st, VN_DB_ALERTSBYCASE, NULL, 0);
    if (!err) err = st_del_prefix(st, VN_DB_ALERTSLEVEL, NULL, 0);
    if (!err) err = st_del_prefix(st, VN_DB_ALERTBUCKETS, NULL, 0);
    if (!err && c.n > 1) qsort(c.a, c.n, sizeof *c.a, case_order);
    for (size_t i = 0; !err && i < c.n; i++)
        err = store_alert(st, &c.a[i], NULL);
    if (!err) *indexed = c.n;
    free(c.a);
    return err;
}

vn_err vn_alerts_reindex(vn_sstore *st, size_t *indexed)
{
    size_t alerts = 0, bycase = 0, level = 0, buckets = 0;
    *indexed = 0;
    vn_err err = vn_kv_count(st->kv, VN_DB_ALERTS, &alerts);
    if (!err) err = vn_kv_count(st->kv, VN_DB_ALERTSBYCASE, &bycase);
    if (!err) err = vn_kv_count(st->kv, VN_DB_ALERTSLEVEL, &level);
    if (!err) err = vn_kv_count(st->kv, VN_DB_ALERTBUCKETS, &buckets);
    if (err || (bycase == alerts && level == alerts && (alerts == 0 || buckets > 0))) return err;
    if ((err = st_begin(st))) return err;
    /* Whatever the old entries were (none, or an older shape), all go. */
    if ((err = reindex_all(st, indexed))) {
        *indexed = 0;
        if (st_in_txn(st)) st_abort(st);
        return err;
    }
    return st_commit(st);
}
