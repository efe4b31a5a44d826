/* The mailbox and msgindex tables. */
#include "vn/mailbox.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/be.h"
#include "vn/account.h"
#include "vn/frame.h"

#include <stdlib.h>
#include <string.h>

#define MAIL_KEY_LEN  (VN_ACCOUNT_LEN + 8)            /* recipient, sequence */
#define INDEX_KEY_LEN (VN_ACCOUNT_LEN + VN_MSGID_LEN) /* recipient, message id */
#define EXPIRE_BATCH  4096                            /* most envelopes one pass removes */
/* A msgindex value: the sequence, then the record's size (for the count
 * on acknowledgement, without reading the record); 8 in stores from
 * before the counts. */
#define INDEX_LEN     12
#define INDEX_OLD_LEN 8

static void mail_key(uint8_t k[MAIL_KEY_LEN], const uint8_t to[VN_ACCOUNT_LEN], uint64_t seq)
{
    memcpy(k, to, VN_ACCOUNT_LEN);
    vn_be_put64(k + VN_ACCOUNT_LEN, seq);
}

static void index_key(uint8_t k[INDEX_KEY_LEN], const uint8_t to[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN])
{
    memcpy(k, to, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, id, VN_MSGID_LEN);
}

/* Reads the stored time of the envelope at seq (for duplicate sends). */
static vn_err mail_time(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], uint64_t seq,
                        uint64_t *time_ms)
{
    uint8_t k[MAIL_KEY_LEN], *v = NULL;
    size_t n;
    mail_key(k, to, seq);
    vn_err err = st_get(st, VN_DB_MAILBOX, k, sizeof k, (void **)&v, &n);
    if (!err) *time_ms = n >= 8 ? vn_be_get64(v) : 0;
    free(v);
    return err;
}

static vn_err max_seq_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    uint64_t *max = ud;
    if (vl != INDEX_LEN && vl != INDEX_OLD_LEN) return VN_ESTORE;
    if (vn_be_get64(v) > *max) *max = vn_be_get64(v);
    return VN_OK;
}

static vn_err usage_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    vn_mailbox_usage *u = ud;
    u->bytes += vl;
    u->envelopes++;
    return VN_OK;
}

/* The recipient's tail: the last sequence handed out and what the mailbox
 * holds, kept in a record of its own so a put costs the same however full
 * the mailbox is and a quota check is one read. It is dropped when the
 * mailbox empties, so the numbers start over: a number says how many
 * envelopes arrived since the recipient last emptied the mailbox, never
 * how many were ever sent. */
typedef struct tail {
    uint64_t seq;           /* last sequence handed out */
    vn_mailbox_usage usage; /* what waits */
    bool counted;           /* usage was found by a scan (no tail, or one from before counts) */
} tail;

#define TAIL_OLD_LEN 8  /* a tail from before the counts: the sequence only */
#define TAIL_LEN     24 /* sequence, bytes, envelopes */

/* Reads the tail. Without one (an empty mailbox, or a store from before
 * tails) the sequence is the highest still waiting and the usage is
 * counted, by scans that are cheap exactly then; a tail from before the
 * counts has its usage counted once. */
static vn_err tail_get(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], tail *t)
{
    uint8_t *v = NULL;
    size_t n = 0;
    memset(t, 0, sizeof *t);
    vn_err err = st_get(st, VN_DB_MAILTAIL, to, VN_ACCOUNT_LEN, (void **)&v, &n);
    if (!err && n != TAIL_LEN && n != TAIL_OLD_LEN) err = VN_ESTORE;
    if (!err) t->seq = vn_be_get64(v);
    if (!err && n == TAIL_LEN) {
        t->usage.bytes = vn_be_get64(v + 8);
        t->usage.envelopes = vn_be_get64(v + 16);
    }
    free(v);
    if (err == VN_ENOTFOUND)
        err = st_each(st, VN_DB_MSGINDEX, to, VN_ACCOUNT_LEN, max_seq_cb, &t->seq);
    else if (err || n == TAIL_LEN)
        return err;
    t->counted = true;
    return err ? err : st_each(st, VN_DB_MAILBOX, to, VN_ACCOUNT_LEN, usage_cb, &t->usage);
}

/* Writes the tail back; an empty mailbox drops it, so numbering starts
 * over. */
static vn_err tail_put(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], const tail *t)
{
    uint8_t v[TAIL_LEN];
    if (t->usage.envelopes == 0) return st_drop(st, VN_DB_MAILTAIL, to, VN_ACCOUNT_LEN);
    vn_be_put64(v, t->seq);
    vn_be_put64(v + 8, t->usage.bytes);
    vn_be_put64(v + 16, t->usage.envelopes);
    return st_put(st, VN_DB_MAILTAIL, to, VN_ACCOUNT_LEN, v, sizeof v);
}

/* Takes what left the mailbox off its usage, never below zero (a count
 * that drifted must not wrap round and refuse every put). */
static void usage_sub(vn_mailbox_usage *u, uint64_t bytes, uint64_t envelopes)
{
    u->bytes = u->bytes > bytes ? u->bytes - bytes : 0;
    u->envelopes = u->envelopes > envelopes ? u->envelopes - envelopes : 0;
}

/* The stored record: the coarse time, then an Envelope of only the id,
 * that time, the padded body or a server notice. Whatever else the caller
 * set is not copied, so nothing more can reach the disk by mistake. */
static vn_err pack_record(const Vn__Envelope *env, uint8_t **buf, size_t *len)
{
    Vn__Envelope e = VN__ENVELOPE__INIT;
    e.id = env->id;
    e.time_ms = env->time_ms;
    e.body = env->body;
    e.notice = env->notice;
    size_t plen = vn__envelope__get_packed_size(&e);
    if (!(*buf = malloc(8 + plen))) return VN_ENOMEM;
    vn_be_put64(*buf, e.time_ms);
    vn__envelope__pack(&e, *buf + 8);
    *len = 8 + plen;
    return VN_OK;
}

uint64_t vn_mailbox_time(uint64_t now)
{
    /* Rounded up, so an envelope never expires before its time to live. */
    return (now / VN_MAILBOX_TIME_STEP_MS + 1) * VN_MAILBOX_TIME_STEP_MS;
}

size_t vn_mailbox_record_size(const Vn__Envelope *env)
{
    Vn__Envelope e = VN__ENVELOPE__INIT;
    e.id = env->id;
    e.time_ms = env->time_ms;
    e.body = env->body;
    e.notice = env->notice;
    return 8 + vn__envelope__get_packed_size(&e);
}

/* Which field of lim a record of len bytes would pass in a mailbox
 * holding u. */
static vn_mailbox_over over_limit(const vn_mailbox_usage *u, const vn_mailbox_limit *lim,
                                  size_t len)
{
    if (!lim) return VN_MAILBOX_OVER_NONE;
    if (lim->envelopes && u->envelopes + 1 > lim->envelopes) return VN_MAILBOX_OVER_ENVELOPES;
    if (lim->bytes && u->bytes + len > lim->bytes) return VN_MAILBOX_OVER_BYTES;
    return VN_MAILBOX_OVER_NONE;
}

vn_err vn_mailbox_put_within(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN],
                             const Vn__Envelope *env, const vn_mailbox_limit *lim,
                             vn_mailbox_over *over, vn_mailbox_usage *held, bool *dup,
                             uint64_t *time_ms)
{
    uint8_t ik[INDEX_KEY_LEN], mk[MAIL_KEY_LEN], sb[INDEX_LEN];
    uint8_t *v = NULL, *buf = NULL;
    size_t n, len = 0;
    tail t;
    if (over) *over = VN_MAILBOX_OVER_NONE;
    if (env->id.len != VN_MSGID_LEN) return VN_EINVAL;
    index_key(ik, to, env->id.data);
    *dup = false;
    vn_err err = st_begin(st);
    if (err) return err;
    err = st_get(st, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err == VN_OK) {
        /* A retried send: the first copy is stored; report its time. */
        *dup = true;
        err = n == INDEX_LEN || n == INDEX_OLD_LEN ? mail_time(st, to, vn_be_get64(v), time_ms)
                                                   : VN_ESTORE;
        goto out;
    }
    if (err != VN_ENOTFOUND) goto out;
    if ((err = pack_record(env, &buf, &len)) || (err = tail_get(st, to, &t))) goto out;
    if (held) *held = t.usage;
    vn_mailbox_over o = over_limit(&t.usage, lim, len);
    if (o != VN_MAILBOX_OVER_NONE) {
        if (over) *over = o;
        err = VN_EFULL;
        goto out;
    }
    /* The count changes in the transaction of the envelope it counts. */
    t.seq++;
    t.usage.bytes += len;
    t.usage.envelopes++;
    mail_key(mk, to, t.seq);
    vn_be_put64(sb, t.seq);
    vn_be_put32(sb + 8, (uint32_t)len);
    if ((err = st_put(st, VN_DB_MAILBOX, mk, sizeof mk, buf, len)) ||
        (err = st_put(st, VN_DB_MSGINDEX, ik, sizeof ik, sb, sizeof sb)) ||
        (err = tail_put(st, to, &t)))
        goto out_aborted;
    *time_ms = env->time_ms;
    free(buf);
    free(v);
    return st_commit(st);
out:
    /* Nothing was written: end our nesting level without discarding an
     * outer transaction's work. */
    st_commit(st);
out_aborted:
    free(buf);
    free(v);
    return err;
}

vn_err vn_mailbox_put(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Envelope *env,
                      bool *dup, uint64_t *time_ms)
{
    return vn_mailbox_put_within(st, to, env, NULL, NULL, NULL, dup, time_ms);
}

vn_err vn_mailbox_usage_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                            vn_mailbox_usage *u)
{
    tail t;
    vn_err err = tail_get(st, account, &t);
    *u = err ? (vn_mailbox_usage){0, 0} : t.usage;
    return err;
}

bool vn_mailbox_holds(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN])
{
    uint8_t ik[INDEX_KEY_LEN];
    index_key(ik, account, id);
    return st_has(st, VN_DB_MSGINDEX, ik, sizeof ik);
}

#define SENT_LEN 20 /* day, bytes, envelopes */

vn_err vn_mailbox_sent_get(vn_sstore *st, const uint8_t sender[VN_ACCOUNT_LEN], uint32_t day,
                           vn_mailbox_sent *s)
{
    uint8_t *v = NULL;
    size_t n = 0;
    *s = (vn_mailbox_sent){.day = day};
    vn_err err = st_get(st, VN_DB_SENDQUOTA, sender, VN_ACCOUNT_LEN, (void **)&v, &n);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err && n != SENT_LEN) err = VN_ESTORE;
    /* Another day's count is no count: the quota is per day. */
    if (!err && vn_be_get32(v) == day) {
        s->bytes = vn_be_get64(v + 4);
        s->envelopes = vn_be_get64(v + 12);
    }
    free(v);
    return err;
}

vn_err vn_mailbox_sent_put(vn_sstore *st, const uint8_t sender[VN_ACCOUNT_LEN],
                           const vn_mailbox_sent *s)
{
    uint8_t v[SENT_LEN];
    vn_be_put32(v, s->day);
    vn_be_put64(v + 4, s->bytes);
    vn_be_put64(v + 12, s->envelopes);
    return st_put(st, VN_DB_SENDQUOTA, sender, VN_ACCOUNT_LEN, v, sizeof v);
}

struct fetch_ctx {
    vn_mailbox_fn fn; /* caller's callback */
    void *ud;         /* its data */
    size_t max, seen; /* cap, and envelopes passed so far */
    bool more;        /* found one past the cap */
};

static vn_err fetch_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct fetch_ctx *c = ud;
    if (c->seen == c->max) {
        c->more = true;
        *stop = true;
        return VN_OK;
    }
    if (vl < 8) return VN_ESTORE;
    Vn__Envelope *env = vn__envelope__unpack(NULL, vl - 8, (const uint8_t *)v + 8);
    if (!env) return VN_ESTORE;
    vn_err err = c->fn(c->ud, env);
    vn__envelope__free_unpacked(env, NULL);
    c->seen++;
    return err;
}

vn_err vn_mailbox_fetch(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t max,
                        vn_mailbox_fn fn, void *ud, bool *more)
{
    struct fetch_ctx c = {fn, ud, max, 0, false};
    vn_err err = st_each(st, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN, fetch_cb, &c);
    if (more) *more = c.more;
    return err;
}

/* Deletes one envelope in the open transaction and takes it off the
 * usage t (read before the first delete: one counted by a scan includes
 * it). VN_ENOTFOUND, with nothing written, if there is none with that id.
 * *aborted: a write failed, which ended the caller's transaction level. */
static vn_err ack_one(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN], tail *t, bool *aborted)
{
    uint8_t ik[INDEX_KEY_LEN], mk[MAIL_KEY_LEN], *v = NULL;
    size_t n;
    index_key(ik, account, id);
    vn_err err = st_get(st, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err) return err;
    if (n != INDEX_LEN && n != INDEX_OLD_LEN) {
        free(v);
        return VN_ESTORE;
    }
    uint64_t seq = vn_be_get64(v);
    size_t len = n == INDEX_LEN ? vn_be_get32(v + 8) : 0;
    free(v);
    mail_key(mk, account, seq);
    if (n == INDEX_OLD_LEN) {
        /* An index from before the counts: the record tells its size. */
        uint8_t *rec = NULL;
        err = st_get(st, VN_DB_MAILBOX, mk, sizeof mk, (void **)&rec, &len);
        free(rec);
        if (err && err != VN_ENOTFOUND) return err;
        if (err) len = 0;
    }
    usage_sub(&t->usage, len, 1);
    /* The index was read in this transaction: it is there to delete. */
    *aborted = (err = st_drop(st, VN_DB_MAILBOX, mk, sizeof mk)) ||
               (err = st_del(st, VN_DB_MSGINDEX, ik, sizeof ik));
    return err;
}

vn_err vn_mailbox_ack(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN])
{
    size_t deleted = 0;
    vn_err err = vn_mailbox_ack_many(st, account, &id, 1, &deleted);
    return !err && deleted == 0 ? VN_ENOTFOUND : err;
}

vn_err vn_mailbox_ack_many(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                           const uint8_t *const *ids, size_t n, size_t *deleted)
{
    tail t;
    *deleted = 0;
    vn_err err = st_begin(st);
    if (err) return err;
    /* The tail is read and written once for all of them: a client acks
     * what one pull or a few pushes brought, and the tail's record (one
     * sealed get and put) cost as much as the deletes themselves. */
    if ((err = tail_get(st, account, &t))) {
        st_commit(st);
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        bool aborted = false;
        err = ack_one(st, account, ids[i], &t, &aborted);
        /* Acking twice (a resent ack) is fine: the envelope is gone. */
        if (err == VN_ENOTFOUND) continue;
        if (aborted) return err;
        if (err) {
            /* Nothing of this id was written; the counts stay true to
             * the ones deleted before it. */
            vn_err put = *deleted ? tail_put(st, account, &t) : VN_OK;
            if (!put) st_commit(st);
            return err;
        }
        (*deleted)++;
    }
    /* An empty mailbox drops its tail: the numbers start over. */
    if (*deleted && (err = tail_put(st, account, &t))) return err;
    return st_commit(st);
}

static vn_err count_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (*(size_t *)ud)++;
    return VN_OK;
}

vn_err vn_mailbox_count(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t *count)
{
    *count = 0;
    return st_each(st, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN, count_cb, count);
}

/* Envelopes to delete, found by a walk (which cannot delete as it goes):
 * those stored before a cutoff. */
struct doomed {
    uint64_t cutoff;               /* stored before this */
    size_t n, cap;                 /* envelopes found, room */
    uint8_t (*keys)[MAIL_KEY_LEN]; /* their mailbox keys */
    uint8_t (*ids)[VN_MSGID_LEN];  /* and message ids */
    size_t *sizes;                 /* and record sizes, for the recipients' counts */
};

static vn_err doomed_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct doomed *c = ud;
    if (kl != MAIL_KEY_LEN || vl < 8 || vn_be_get64(v) >= c->cutoff) return VN_OK;
    Vn__Envelope *env = vn__envelope__unpack(NULL, vl - 8, (const uint8_t *)v + 8);
    if (!env) return VN_OK;
    vn_err err = VN_OK;
    if (env->id.len == VN_MSGID_LEN) {
        size_t cap = c->cap;
        size_t cap2 = c->cap;
        if (!(err = vn_array_reserve(&c->keys, &cap, c->n + 1, sizeof *c->keys, EXPIRE_BATCH)) &&
            !(err = vn_array_reserve(&c->sizes, &cap2, c->n + 1, sizeof *c->sizes, EXPIRE_BATCH)))
            err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, EXPIRE_BATCH);
        if (!err) {
            memcpy(c->keys[c->n], k, MAIL_KEY_LEN);
            memcpy(c->ids[c->n], env->id.data, VN_MSGID_LEN);
            c->sizes[c->n] = vl;
            c->n++;
            *stop = c->n == EXPIRE_BATCH;
        }
    }
    vn__envelope__free_unpacked(env, NULL);
    return err;
}

/* Takes the envelopes c->keys[from..to) (one recipient's) off that
 * recipient's count, after they were deleted. */
static vn_err uncount(vn_sstore *st, const struct doomed *c, size_t from, size_t to)
{
    tail t;
    uint64_t bytes = 0;
    vn_err err = tail_get(st, c->keys[from], &t);
    if (err) return err;
    for (size_t i = from; i < to; i++)
        bytes += c->sizes[i];
    /* A count made by a scan just now has seen the deletions already. */
    if (!t.counted) usage_sub(&t.usage, bytes, to - from);
    return tail_put(st, c->keys[from], &t);
}

/* One walk (all of the table, or at most max records after *pos) and the
 * deletions it found; runs in the caller's transaction. The walk meets
 * one recipient's envelopes together (they share a stored prefix), so
 * each run of them updates that recipient's count once. */
static vn_err delete_doomed(vn_sstore *st, struct doomed *c, vn_kv_pos *pos, size_t max)
{
    c->n = 0;
    vn_err err = pos ? st_each_from(st, VN_DB_MAILBOX, NULL, 0, pos, max, doomed_cb, c)
                     : st_each(st, VN_DB_MAILBOX, NULL, 0, doomed_cb, c);
    for (size_t i = 0; !err && i < c->n; i++) {
        uint8_t ik[INDEX_KEY_LEN];
        index_key(ik, c->keys[i], c->ids[i]);
        if (!(err = st_drop(st, VN_DB_MAILBOX, c->keys[i], MAIL_KEY_LEN)))
            err = st_drop(st, VN_DB_MSGINDEX, ik, sizeof ik);
    }
    for (size_t from = 0, i = 1; !err && from < c->n; i++)
        if (i == c->n || memcmp(c->keys[i], c->keys[from], VN_ACCOUNT_LEN) != 0) {
            err = uncount(st, c, from, i);
            from = i;
        }
    return err;
}

/* Senders whose count is of an earlier day, to be dropped: a count is
 * kept only for the day it counts. */
struct stale {
    uint32_t today;
    size_t n, cap;
    uint8_t (*senders)[VN_ACCOUNT_LEN];
};

static vn_err stale_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct stale *c = ud;
    if (kl != VN_ACCOUNT_LEN || (vl == SENT_LEN && vn_be_get32(v) >= c->today)) return VN_OK;
    vn_err err = vn_array_reserve(&c->senders, &c->cap, c->n + 1, sizeof *c->senders, EXPIRE_BATCH);
    if (!err) memcpy(c->senders[c->n++], k, VN_ACCOUNT_LEN);
    *stop = c->n == EXPIRE_BATCH;
    return err;
}

static vn_err drop_stale(vn_sstore *st, uint64_t now, vn_kv_pos *pos, size_t max)
{
    struct stale c = {.today = vn_mailbox_day(now)};
    vn_err err = pos ? st_each_from(st, VN_DB_SENDQUOTA, NULL, 0, pos, max, stale_cb, &c)
                     : st_each(st, VN_DB_SENDQUOTA, NULL, 0, stale_cb, &c);
    for (size_t i = 0; !err && i < c.n; i++)
        err = st_drop(st, VN_DB_SENDQUOTA, c.senders[i], VN_ACCOUNT_LEN);
    free(c.senders);
    return err;
}

static vn_err drop_stale_counts(vn_sstore *st, uint64_t now)
{
    return drop_stale(st, now, NULL, 0);
}

vn_err vn_mailbox_drop_stale_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now)
{
    return drop_stale(st, now, pos, max < EXPIRE_BATCH ? max : EXPIRE_BATCH);
}

vn_err vn_mailbox_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired)
{
    return vn_mailbox_expire_each(st, now, ttl_ms, NULL, NULL, expired);
}

/* One expiry transaction: the whole mailbox (pos NULL; stale counts go
 * too) or at most max records after *pos. */
static vn_err expire(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now, uint64_t ttl_ms,
                     vn_mailbox_id_fn fn, void *ud, size_t *expired)
{
    struct doomed c = {.cutoff = now > ttl_ms ? now - ttl_ms : 0};
    vn_err err = st_begin(st);
    if (err) return err;
    err = delete_doomed(st, &c, pos, max < EXPIRE_BATCH ? max : EXPIRE_BATCH);
    if (!err && !pos) err = drop_stale_counts(st, now);
    for (size_t i = 0; !err && fn && i < c.n; i++)
        err = fn(ud, c.ids[i]);
    free(c.keys);
    free(c.ids);
    free(c.sizes);
    /* A failed delete has aborted the transaction; the caller discards its
     * own on any error. */
    if (err) return err;
    *expired = c.n;
    return st_commit(st);
}

vn_err vn_mailbox_expire_each(vn_sstore *st, uint64_t now, uint64_t ttl_ms, vn_mailbox_id_fn fn,
                              void *ud, size_t *expired)
{
    return expire(st, NULL, 0, now, ttl_ms, fn, ud, expired);
}

vn_err vn_mailbox_expire_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now,
                              uint64_t ttl_ms, vn_mailbox_id_fn fn, void *ud, size_t *expired)
{
    return expire(st, pos, max, now, ttl_ms, fn, ud, expired);
}

vn_err vn_mailbox_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_err err = st_begin(st);
    if (err) return err;
    /* Envelopes it sent do not name it: they wait for their recipients
     * (or expire) like any other. */
    err = st_del_prefix(st, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN);
    if (!err) err = st_del_prefix(st, VN_DB_MSGINDEX, account, VN_ACCOUNT_LEN);
    if (!err) err = st_drop(st, VN_DB_MAILTAIL, account, VN_ACCOUNT_LEN);
    if (!err) err = st_drop(st, VN_DB_SENDQUOTA, account, VN_ACCOUNT_LEN);
    /* A failed delete has aborted the transaction; the caller discards its
     * own on any error. */
    return err ? err : st_commit(st);
}
