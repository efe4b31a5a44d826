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
    if (vl != 8) return VN_ESTORE;
    if (vn_be_get64(v) > *max) *max = vn_be_get64(v);
    return VN_OK;
}

/* The recipient's tail: the last sequence handed out, kept in a record of
 * its own so a put costs the same however full the mailbox is. It is
 * dropped when the newest envelope is acknowledged and none is left, so
 * the numbers start over: a number says how many envelopes arrived since
 * the recipient last emptied the mailbox, never how many were ever sent. */
static vn_err tail_get(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], uint64_t *tail)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_MAILTAIL, to, VN_ACCOUNT_LEN, &v, &n);
    if (!err) *tail = n == 8 ? vn_be_get64(v) : 0;
    if (!err && n != 8) err = VN_ESTORE;
    free(v);
    return err;
}

/* The next sequence number of the recipient's mailbox, recorded as the
 * tail. Without a tail (an empty mailbox, or a store from before tails)
 * it is one past the highest still waiting, found by a scan that is cheap
 * exactly then. */
static vn_err next_seq(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], uint64_t *seq)
{
    uint64_t last = 0;
    uint8_t v[8];
    vn_err err = tail_get(st, to, &last);
    if (err == VN_ENOTFOUND)
        err = st_each(st, VN_DB_MSGINDEX, to, VN_ACCOUNT_LEN, max_seq_cb, &last);
    if (err) return err;
    *seq = last + 1;
    vn_be_put64(v, *seq);
    return st_put(st, VN_DB_MAILTAIL, to, VN_ACCOUNT_LEN, v, sizeof v);
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

vn_err vn_mailbox_put(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Envelope *env,
                      bool *dup, uint64_t *time_ms)
{
    uint8_t ik[INDEX_KEY_LEN], mk[MAIL_KEY_LEN], sb[8];
    uint8_t *v = NULL, *buf = NULL;
    size_t n, len = 0;
    uint64_t seq = 0;
    if (env->id.len != VN_MSGID_LEN) return VN_EINVAL;
    index_key(ik, to, env->id.data);
    *dup = false;
    vn_err err = st_begin(st);
    if (err) return err;
    err = st_get(st, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err == VN_OK) {
        /* A retried send: the first copy is stored; report its time. */
        *dup = true;
        err = n == 8 ? mail_time(st, to, vn_be_get64(v), time_ms) : VN_ESTORE;
        goto out;
    }
    if (err != VN_ENOTFOUND) goto out;
    if ((err = pack_record(env, &buf, &len)) || (err = next_seq(st, to, &seq))) goto out;
    mail_key(mk, to, seq);
    vn_be_put64(sb, seq);
    if ((err = st_put(st, VN_DB_MAILBOX, mk, sizeof mk, buf, len)) ||
        (err = st_put(st, VN_DB_MSGINDEX, ik, sizeof ik, sb, 8)))
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

vn_err vn_mailbox_ack(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN])
{
    uint8_t ik[INDEX_KEY_LEN], mk[MAIL_KEY_LEN], *v = NULL;
    size_t n;
    index_key(ik, account, id);
    vn_err err = st_begin(st);
    if (err) return err;
    err = st_get(st, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err) goto out;
    if (n != 8) {
        err = VN_ESTORE;
        goto out;
    }
    uint64_t seq = vn_be_get64(v), tail = 0;
    mail_key(mk, account, seq);
    if ((err = st_drop(st, VN_DB_MAILBOX, mk, sizeof mk)) ||
        (err = st_del(st, VN_DB_MSGINDEX, ik, sizeof ik)))
        goto out_aborted;
    /* The newest acknowledged: if nothing is left, the numbers start over. */
    size_t left = 1;
    if (tail_get(st, account, &tail) == VN_OK && tail == seq &&
        vn_mailbox_count(st, account, &left) == VN_OK && left == 0 &&
        (err = st_drop(st, VN_DB_MAILTAIL, account, VN_ACCOUNT_LEN)))
        goto out_aborted;
    free(v);
    return st_commit(st);
out:
    st_commit(st);
out_aborted:
    free(v);
    return err;
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
        if (!(err = vn_array_reserve(&c->keys, &cap, c->n + 1, sizeof *c->keys, EXPIRE_BATCH)))
            err = vn_array_reserve(&c->ids, &c->cap, c->n + 1, sizeof *c->ids, EXPIRE_BATCH);
        if (!err) {
            memcpy(c->keys[c->n], k, MAIL_KEY_LEN);
            memcpy(c->ids[c->n], env->id.data, VN_MSGID_LEN);
            c->n++;
            *stop = c->n == EXPIRE_BATCH;
        }
    }
    vn__envelope__free_unpacked(env, NULL);
    return err;
}

/* One walk and the deletions it found; runs in the caller's transaction. */
static vn_err delete_doomed(vn_sstore *st, struct doomed *c)
{
    c->n = 0;
    vn_err err = st_each(st, VN_DB_MAILBOX, NULL, 0, doomed_cb, c);
    for (size_t i = 0; !err && i < c->n; i++) {
        uint8_t ik[INDEX_KEY_LEN];
        index_key(ik, c->keys[i], c->ids[i]);
        if (!(err = st_drop(st, VN_DB_MAILBOX, c->keys[i], MAIL_KEY_LEN)))
            err = st_drop(st, VN_DB_MSGINDEX, ik, sizeof ik);
    }
    return err;
}

vn_err vn_mailbox_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired)
{
    return vn_mailbox_expire_each(st, now, ttl_ms, NULL, NULL, expired);
}

vn_err vn_mailbox_expire_each(vn_sstore *st, uint64_t now, uint64_t ttl_ms, vn_mailbox_id_fn fn,
                              void *ud, size_t *expired)
{
    struct doomed c = {.cutoff = now > ttl_ms ? now - ttl_ms : 0};
    vn_err err = st_begin(st);
    if (err) return err;
    err = delete_doomed(st, &c);
    for (size_t i = 0; !err && fn && i < c.n; i++)
        err = fn(ud, c.ids[i]);
    free(c.keys);
    free(c.ids);
    /* A failed delete has aborted the transaction; the caller discards its
     * own on any error. */
    if (err) return err;
    *expired = c.n;
    return st_commit(st);
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
    /* A failed delete has aborted the transaction; the caller discards its
     * own on any error. */
    return err ? err : st_commit(st);
}
