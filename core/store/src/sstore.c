/* The store core: opening the environment, and the one path by which the
 * store's modules read and write vn_kv (see sstore_internal.h). */
#include "vn/sstore.h"

#include "sstore_internal.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Order matches the VN_DB_* enum in sstore_internal.h. */
static const char *const db_names[] = {
    "meta",         "invites",   "accounts",    "devices",     "keys",         "prekeys",
    "mailbox",      "msgindex",  "cases",       "members",     "memberof",     "cmcases",
    "audit",        "contracts", "events",      "absences",    "sched",        "notices",
    "alerts",       "attest",    "disclosures", "quiet",       "deferred",     "mailtail",
    "alertsbycase", "sendquota", "expired",     "alertslevel", "alertbuckets", "intakecodes",
    "visitors",     "groups",    "gmembers",    "gmemberof",   "ginvites",     "opnonces",
};
/* A name missing here would open LMDB's main database in its place. */
_Static_assert(sizeof db_names / sizeof db_names[0] == VN_DB_COUNT, "one name per VN_DB_*");

/* How many leading key bytes vn_kv hashes on their own (vn_kv_seal), so a
 * scan of one account's or case's records stays a scan of that group. Every
 * prefix scan of the store is by one account or case id (VN_ACCOUNT_LEN
 * bytes) or by nothing. Tables whose keys begin with no id (meta's names,
 * invites' secret hashes, devices' CURVE keys, alert ids) are never scanned
 * by a prefix and get one hash of the whole key. The mailbox keeps its
 * sequence numbers in the clear after the recipient's hash (VN_KV_ORDERED):
 * a recipient's envelopes then lie in order, so acknowledging the oldest
 * rewrites a few pages, which a nearly full store must still afford; a
 * sequence says no more than the count of the group's records already does. */
static const size_t db_groups[VN_DB_COUNT] = {
    [VN_DB_PREKEYS] = VN_ACCOUNT_LEN,      [VN_DB_ACCOUNTS] = VN_ACCOUNT_LEN,
    [VN_DB_KEYS] = VN_ACCOUNT_LEN,         [VN_DB_MAILBOX] = VN_ACCOUNT_LEN | VN_KV_ORDERED,
    [VN_DB_MSGINDEX] = VN_ACCOUNT_LEN,     [VN_DB_CASES] = VN_ACCOUNT_LEN,
    [VN_DB_MEMBERS] = VN_ACCOUNT_LEN,      [VN_DB_MEMBEROF] = VN_ACCOUNT_LEN,
    [VN_DB_CMCASES] = VN_ACCOUNT_LEN,      [VN_DB_AUDIT] = VN_ACCOUNT_LEN,
    [VN_DB_CONTRACTS] = VN_ACCOUNT_LEN,    [VN_DB_EVENTS] = VN_ACCOUNT_LEN,
    [VN_DB_ABSENCES] = VN_ACCOUNT_LEN,     [VN_DB_SCHED] = VN_ACCOUNT_LEN,
    [VN_DB_NOTICES] = VN_ACCOUNT_LEN,      [VN_DB_ATTEST] = VN_ACCOUNT_LEN,
    [VN_DB_DISCLOSURES] = VN_ACCOUNT_LEN,  [VN_DB_QUIET] = VN_ACCOUNT_LEN,
    [VN_DB_DEFERRED] = VN_ACCOUNT_LEN,     [VN_DB_MAILTAIL] = VN_ACCOUNT_LEN,
    [VN_DB_ALERTSBYCASE] = VN_ACCOUNT_LEN, [VN_DB_SENDQUOTA] = VN_ACCOUNT_LEN,
    [VN_DB_ALERTSLEVEL] = VN_ACCOUNT_LEN,  [VN_DB_ALERTBUCKETS] = VN_ACCOUNT_LEN,
    [VN_DB_VISITORS] = VN_ACCOUNT_LEN,     [VN_DB_GROUPS] = VN_ACCOUNT_LEN,
    [VN_DB_GMEMBERS] = VN_ACCOUNT_LEN,     [VN_DB_GMEMBEROF] = VN_ACCOUNT_LEN,
};

/* Tables read for nearly every request: who a device is, an account's
 * role, its case and the case itself (the routing policy reads both
 * parties of every message), a sender's daily counts, a mailbox's counts
 * and the index an ack finds its envelope by. vn_kv keeps their opened
 * values in memory (vn_kv_cache); the counts are written through, and
 * written to the store once a batch (vn_kv_defer), however many messages
 * of the batch changed them. */
static const int cached[] = {VN_DB_DEVICES,   VN_DB_ACCOUNTS, VN_DB_MEMBEROF, VN_DB_CASES,
                             VN_DB_SENDQUOTA, VN_DB_MAILTAIL, VN_DB_MSGINDEX};

/* The key check: a record written when the store is created. It is sealed
 * like every other, so only the right key reads it back; a store without it
 * predates sealing. */
#define SEAL_CHECK_KEY   "seal-check"
#define SEAL_CHECK_VALUE "vangnet sealed store v1"

static vn_err records_total(vn_kv *kv, size_t *total)
{
    *total = 0;
    for (int db = 0; db < VN_DB_COUNT; db++) {
        size_t n = 0;
        vn_err err = vn_kv_count(kv, db, &n);
        if (err) return err;
        *total += n;
    }
    return VN_OK;
}

static vn_err old_name_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                          bool *stop)
{
    (void)val;
    (void)vlen;
    const uint8_t *k = key;
    bool name = klen > 0;
    for (size_t i = 0; i < klen && name; i++)
        name = (k[i] >= 'a' && k[i] <= 'z') || k[i] == '_';
    *(bool *)ud = *(bool *)ud && name;
    *stop = !name;
    return VN_OK;
}

/* Whether the store in dir predates sealing: there, meta's keys are the
 * bare names of meta.c (lower case and '_'), or meta is empty; a sealed
 * store's meta holds at least the key check, under a keyed hash (16 bytes
 * that are all such letters by chance once in about 2^52). Looked at with
 * a second, unsealed handle, so it sees the keys as they lie on disk. */
static vn_err is_old_format(const char *dir, size_t mapsize, bool *old)
{
    vn_kv *raw = NULL;
    *old = true;
    vn_err err = vn_kv_open(&raw, dir, db_names, VN_DB_COUNT, mapsize);
    if (!err) err = vn_kv_each(raw, VN_DB_META, NULL, 0, old_name_cb, old);
    vn_kv_close(&raw);
    return err;
}

/* A store with no record at all is new (or was never used): it gets the
 * key check. Otherwise the key check must read back. */
static vn_err check_key(vn_kv *kv, bool *probe_format)
{
    size_t total = 0, n = 0;
    void *val = NULL;
    *probe_format = false;
    /* Counted inside a write transaction, so of two first opens (say
     * with two different keys) only one finds the store empty. */
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    err = records_total(kv, &total);
    if (!err && total == 0)
        err = vn_kv_put(kv, VN_DB_META, SEAL_CHECK_KEY, sizeof SEAL_CHECK_KEY - 1, SEAL_CHECK_VALUE,
                        sizeof SEAL_CHECK_VALUE - 1);
    if (err) {
        if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
        return err;
    }
    if ((err = vn_kv_commit(kv)) || total == 0) return err;
    err = vn_kv_get(kv, VN_DB_META, SEAL_CHECK_KEY, sizeof SEAL_CHECK_KEY - 1, &val, &n);
    /* With hashed keys a wrong key misses the record instead of failing to
     * open it; which of the two it is, the caller finds out. */
    if (err == VN_ENOTFOUND) *probe_format = true;
    if (!err && (n != sizeof SEAL_CHECK_VALUE - 1 || memcmp(val, SEAL_CHECK_VALUE, n) != 0))
        err = VN_ECRYPTO;
    free(val);
    return err;
}

vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize, const uint8_t key[32])
{
    bool probe = false, old = false;
    vn_sstore *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    vn_err err = vn_kv_open(&s->kv, dir, db_names, VN_DB_COUNT, mapsize);
    if (err) goto err_free_s;
    if ((err = vn_kv_seal(s->kv, key, db_groups))) goto err_close_kv;
    if ((err = check_key(s->kv, &probe))) goto err_close_kv;
    for (size_t i = 0; i < sizeof cached / sizeof cached[0]; i++)
        if ((err = vn_kv_cache(s->kv, cached[i]))) goto err_close_kv;
    if ((err = vn_kv_defer(s->kv, VN_DB_SENDQUOTA)) || (err = vn_kv_defer(s->kv, VN_DB_MAILTAIL)))
        goto err_close_kv;
    *out = s;
    return VN_OK;

err_close_kv:
    vn_kv_close(&s->kv);
    /* Only once the sealed handle is closed: one environment, one handle. */
    if (probe && is_old_format(dir, mapsize, &old) == VN_OK)
        err = old ? VN_EVERSION : VN_ECRYPTO;
    else if (probe)
        err = VN_ECRYPTO;
err_free_s:
    free(s);
    return err;
}

void vn_sstore_close(vn_sstore **self_p)
{
    if (!self_p || !*self_p) return;
    vn_kv_close(&(*self_p)->kv);
    free(*self_p);
    *self_p = NULL;
}

vn_kv *vn_sstore_kv(vn_sstore *self)
{
    return self->kv;
}

vn_err st_get(vn_sstore *st, int db, const void *key, size_t klen, void **val, size_t *vlen)
{
    return vn_kv_get(st->kv, db, key, klen, val, vlen);
}

bool st_has(vn_sstore *st, int db, const void *key, size_t klen)
{
    return vn_kv_has(st->kv, db, key, klen);
}

/* A prefix shorter than the table's group (or any prefix of a table
 * without one) still works, but opens every record of the table: a scan
 * meant for one account or case must give its whole id. */
static inline bool scan_by_group(int db, size_t plen)
{
    size_t group = db_groups[db] & ~VN_KV_ORDERED;
    return plen == 0 || (group > 0 && plen >= group);
}

vn_err st_each(vn_sstore *st, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud)
{
    assert(scan_by_group(db, plen));
    return vn_kv_each(st->kv, db, prefix, plen, fn, ud);
}

vn_err st_each_from(vn_sstore *st, int db, const void *prefix, size_t plen, vn_kv_pos *pos,
                    size_t max, vn_kv_each_fn fn, void *ud)
{
    assert(scan_by_group(db, plen));
    return vn_kv_each_from(st->kv, db, prefix, plen, pos, max, fn, ud);
}

/* The write path: every put and delete of every table passes here. */
vn_err st_put(vn_sstore *st, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    return vn_kv_put(st->kv, db, key, klen, val, vlen);
}

vn_err st_del(vn_sstore *st, int db, const void *key, size_t klen)
{
    return vn_kv_del(st->kv, db, key, klen);
}

vn_err st_drop(vn_sstore *st, int db, const void *key, size_t klen)
{
    vn_err err = st_del(st, db, key, klen);
    return err == VN_ENOTFOUND ? VN_OK : err;
}

vn_err st_del_prefix(vn_sstore *st, int db, const void *prefix, size_t plen)
{
    assert(scan_by_group(db, plen));
    return vn_kv_del_prefix(st->kv, db, prefix, plen, NULL);
}

#define WHERE_BATCH 256 /* keys one walk of st_del_where collects */

typedef struct where {
    st_match_fn match;
    void *ud;
    size_t n;                                    /* keys collected */
    uint8_t keys[WHERE_BATCH][ST_WHERE_KEY_MAX]; /* them */
    uint8_t lens[WHERE_BATCH];                   /* and their lengths */
} where;

static vn_err where_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    where *w = ud;
    if (kl > ST_WHERE_KEY_MAX || !w->match(w->ud, k, kl, v, vl)) return VN_OK;
    memcpy(w->keys[w->n], k, kl);
    w->lens[w->n++] = (uint8_t)kl;
    *stop = w->n == WHERE_BATCH;
    return VN_OK;
}

static vn_err where_del(vn_sstore *st, int db, const where *w)
{
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < w->n; i++)
        err = st_del(st, db, w->keys[i], w->lens[i]);
    return err;
}

vn_err st_del_where(vn_sstore *st, int db, st_match_fn match, void *ud)
{
    where *w = calloc(1, sizeof *w);
    if (!w) return VN_ENOMEM;
    *w = (where){.match = match, .ud = ud};
    vn_err err;
    do {
        w->n = 0;
        err = st_each(st, db, NULL, 0, where_cb, w);
        if (!err) err = where_del(st, db, w);
    } while (!err && w->n == WHERE_BATCH);
    free(w);
    return err;
}

vn_err st_del_where_from(vn_sstore *st, int db, vn_kv_pos *pos, size_t max, st_match_fn match,
                         void *ud)
{
    where *w = calloc(1, sizeof *w);
    if (!w) return VN_ENOMEM;
    *w = (where){.match = match, .ud = ud};
    vn_err err =
        st_each_from(st, db, NULL, 0, pos, max < WHERE_BATCH ? max : WHERE_BATCH, where_cb, w);
    if (!err) err = where_del(st, db, w);
    free(w);
    return err;
}

vn_err st_begin(vn_sstore *st)
{
    return vn_kv_begin(st->kv);
}

vn_err st_commit(vn_sstore *st)
{
    return vn_kv_commit(st->kv);
}

void st_abort(vn_sstore *st)
{
    vn_kv_abort(st->kv);
}

bool st_in_txn(vn_sstore *st)
{
    return vn_kv_in_txn(st->kv);
}

vn_err st_sub_begin(vn_sstore *st)
{
    return vn_kv_sub_begin(st->kv);
}

vn_err st_sub_end(vn_sstore *st, bool keep)
{
    return vn_kv_sub_end(st->kv, keep);
}

int vn_sstore_table_count(void)
{
    return VN_DB_COUNT;
}

const char *vn_sstore_table_name(int t)
{
    return t >= 0 && t < VN_DB_COUNT ? db_names[t] : NULL;
}

vn_err vn_sstore_walk(vn_sstore *self, int t, vn_kv_each_fn fn, void *ud)
{
    if (t < 0 || t >= VN_DB_COUNT) return VN_EINVAL;
    return st_each(self, t, NULL, 0, fn, ud);
}

typedef struct copy_ctx {
    vn_sstore *to; /* the store written */
    int db;        /* the table being copied */
} copy_ctx;

static vn_err copy_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                      bool *stop)
{
    (void)stop;
    copy_ctx *c = ud;
    return st_put(c->to, c->db, key, klen, val, vlen);
}

vn_err vn_sstore_copy(vn_sstore *from, vn_sstore *to)
{
    copy_ctx c = {.to = to};
    vn_err err = st_begin(to);
    if (err) return err;
    for (c.db = 0; c.db < VN_DB_COUNT && !err; c.db++)
        err = st_each(from, c.db, NULL, 0, copy_cb, &c);
    /* A failed put has aborted the transaction already (vn_kv does). */
    if (err) {
        if (st_in_txn(to)) st_abort(to);
        return err;
    }
    return st_commit(to);
}

vn_err st_each_apart(vn_sstore *st, size_t n, st_one_fn one, void *ud, size_t *done)
{
    size_t kept = 0;
    *done = 0;
    if (n == 0) return VN_OK;
    vn_err err = st_begin(st);
    for (size_t i = 0; !err && i < n; i++) {
        if ((err = st_sub_begin(st))) break;
        vn_err e = one(st, i, ud);
        if (!e)
            e = st_sub_end(st, true);
        else
            st_sub_end(st, false);
        if (!e) kept++;
    }
    if (err && st_in_txn(st))
        st_abort(st);
    else if (!err)
        err = st_commit(st);
    *done = err ? 0 : kept;
    return err;
}
