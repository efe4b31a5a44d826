#include "vn/sstore.h"

#include "vn/cases.h"

#include <stdlib.h>
#include <string.h>

/* Order matches the VN_DB_* enum in sstore.h. */
static const char *const db_names[] = {
    "meta",  "invites", "accounts", "devices", "keys",        "prekeys",   "mailbox",  "msgindex",
    "cases", "members", "memberof", "cmcases", "audit",       "contracts", "events",   "absences",
    "sched", "notices", "alerts",   "attest",  "disclosures", "quiet",     "deferred",
};
/* A name missing here would open LMDB's main database in its place. */
_Static_assert(sizeof db_names / sizeof db_names[0] == VN_DB_COUNT, "one name per VN_DB_*");

#define SEQ_KEY "mail_seq"
/* How long an expired invite is remembered (so it reads as expired). */
#define VN_INVITE_KEEP_MS (30ULL * 86400000)
#define INVITE_REC_LEN    33   /* role, expires, redeemed, case (zeros for none) */
#define ACCOUNT_REC_LEN   41   /* role, created, device key */
#define EXPIRE_BATCH      4096 /* most envelopes one expiry pass removes */

struct vn_sstore {
    vn_kv *kv; /* the environment and its databases */
};

vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize)
{
    vn_sstore *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    vn_err err = vn_kv_open(&s->kv, dir, db_names, VN_DB_COUNT, mapsize);
    if (err) {
        free(s);
        return err;
    }
    *out = s;
    return VN_OK;
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

vn_err vn_sstore_invite_create(vn_sstore *self, vn_role role, const uint8_t *case_id, uint64_t now,
                               uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN])
{
    uint8_t hash[32], rec[INVITE_REC_LEN] = {0};
    vn_err err = vn_random(secret, VN_INVITE_SECRET_LEN);
    if (err) return err;
    err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    rec[0] = (uint8_t)role;
    vn_put_be64(rec + 1, now + ttl_ms);
    if (case_id) memcpy(rec + 17, case_id, VN_ACCOUNT_LEN);
    return vn_kv_put(self->kv, VN_DB_INVITES, hash, sizeof hash, rec, sizeof rec);
}

vn_err vn_sstore_invite_redeem(vn_sstore *self, const uint8_t secret[VN_INVITE_SECRET_LEN],
                               const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                               uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint8_t hash[32], acc[ACCOUNT_REC_LEN];
    uint8_t *rec = NULL;
    size_t n;
    vn_err err = vn_sha256(secret, VN_INVITE_SECRET_LEN, hash);
    if (err) return err;
    err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_INVITES, hash, sizeof hash, (void **)&rec, &n);
    if (err == VN_ENOTFOUND || (!err && n != INVITE_REC_LEN)) {
        err = VN_EINVITE_BAD;
        goto out;
    }
    if (err) goto out;
    if (vn_get_be64(rec + 9) != 0) {
        err = VN_EINVITE_USED;
        goto out;
    }
    if (now >= vn_get_be64(rec + 1)) {
        err = VN_EINVITE_EXPIRED;
        goto out;
    }
    if (vn_kv_has(self->kv, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN)) {
        err = VN_EEXISTS;
        goto out;
    }
    static const uint8_t no_case[VN_ACCOUNT_LEN] = {0};
    bool in_case = memcmp(rec + 17, no_case, VN_ACCOUNT_LEN) != 0;
    vn_case_info ci;
    /* Check before writing anything: a closed case takes no one in. */
    if (in_case && (vn_cases_get(self, rec + 17, &ci) != VN_OK || ci.state == VN_CASE_CLOSED)) {
        err = VN_EDENIED;
        goto out;
    }
    if (in_case) {
        /* One participant per case, and a bounded team, whatever invites
         * were handed out. */
        vn_member m[VN_CASE_MEMBERS_MAX];
        size_t nm = 0;
        err = vn_cases_members(self, rec + 17, m, VN_CASE_MEMBERS_MAX, &nm);
        if (err == VN_ETOOBIG || (!err && nm >= VN_CASE_MEMBERS_MAX)) {
            err = VN_ETOOBIG;
            goto out;
        }
        if (err) goto out;
        for (size_t i = 0; i < nm; i++) {
            if (m[i].role == VN_ROLE_PARTICIPANT && rec[0] == VN_ROLE_PARTICIPANT) {
                err = VN_EEXISTS;
                goto out;
            }
        }
    }
    /* Account ids are random, so they say nothing about who or when. */
    do {
        err = vn_random(account, VN_ACCOUNT_LEN);
        if (err) goto out;
    } while (vn_kv_has(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN));
    acc[0] = rec[0];
    vn_put_be64(acc + 1, now);
    memcpy(acc + 9, device_key, VN_CURVE_KEY_LEN);
    /* Keep the spent invite until it expires, so a replay is told it was
     * used rather than that it never existed. */
    vn_put_be64(rec + 9, now);
    if ((err = vn_kv_put(self->kv, VN_DB_INVITES, hash, sizeof hash, rec, INVITE_REC_LEN)) ||
        (err = vn_kv_put(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN, acc, sizeof acc)) ||
        (err = vn_kv_put(self->kv, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN, account,
                         VN_ACCOUNT_LEN)))
        goto out_aborted;
    if (in_case && (err = vn_cases_add_member(self, rec + 17, account, (vn_role)rec[0], now)))
        goto out_aborted;
    *role = (vn_role)rec[0];
    free(rec);
    return vn_kv_commit(self->kv);
out:
    /* Nothing was written: end our nesting level without discarding an
     * outer transaction's work. */
    vn_kv_commit(self->kv);
out_aborted:
    free(rec);
    return err;
}

vn_err vn_sstore_device_lookup(vn_sstore *self, const uint8_t device_key[VN_CURVE_KEY_LEN],
                               uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint8_t *acc = NULL, *rec = NULL;
    size_t n, m;
    vn_err err =
        vn_kv_get(self->kv, VN_DB_DEVICES, device_key, VN_CURVE_KEY_LEN, (void **)&acc, &n);
    if (err) return err;
    if (n != VN_ACCOUNT_LEN) {
        err = VN_ESTORE;
        goto out;
    }
    err = vn_kv_get(self->kv, VN_DB_ACCOUNTS, acc, VN_ACCOUNT_LEN, (void **)&rec, &m);
    if (err) goto out;
    if (m != ACCOUNT_REC_LEN) {
        err = VN_ESTORE;
        goto out;
    }
    memcpy(account, acc, VN_ACCOUNT_LEN);
    *role = (vn_role)rec[0];
out:
    free(rec);
    free(acc);
    return err;
}

bool vn_sstore_account_exists(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    return vn_kv_has(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN);
}

static vn_err count_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (*(uint32_t *)ud)++;
    return VN_OK;
}

vn_err vn_sstore_keys_publish(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                              const Vn__PublishKeys *keys, uint32_t *left)
{
    Vn__Bundle b = VN__BUNDLE__INIT, *old = NULL;
    uint8_t *buf = NULL, *prev = NULL;
    size_t n;
    vn_err err;

    if (keys->identity_key.len != 33 || keys->signed_prekey.len != 33 ||
        keys->signed_prekey_sig.len != 64)
        return VN_EINVAL;
    for (size_t i = 0; i < keys->n_prekeys; i++)
        if (!keys->prekeys[i] || keys->prekeys[i]->key.len != 33) return VN_EINVAL;
    err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&prev, &n);
    if (err == VN_OK) {
        old = vn__bundle__unpack(NULL, n, prev);
        if (!old) {
            err = VN_ESTORE;
            goto out;
        }
        if (old->identity_key.len != 33 ||
            memcmp(old->identity_key.data, keys->identity_key.data, 33) != 0) {
            err = VN_EDENIED;
            goto out;
        }
    } else if (err != VN_ENOTFOUND) {
        goto out;
    }
    b.registration_id = keys->registration_id;
    b.identity_key = keys->identity_key;
    b.signed_prekey_id = keys->signed_prekey_id;
    b.signed_prekey = keys->signed_prekey;
    b.signed_prekey_sig = keys->signed_prekey_sig;
    n = vn__bundle__get_packed_size(&b);
    buf = malloc(n);
    if (!buf) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__bundle__pack(&b, buf);
    if ((err = vn_kv_put(self->kv, VN_DB_KEYS, account, VN_ACCOUNT_LEN, buf, n))) goto out_aborted;
    for (size_t i = 0; i < keys->n_prekeys; i++) {
        uint8_t k[VN_ACCOUNT_LEN + 4];
        memcpy(k, account, VN_ACCOUNT_LEN);
        vn_put_be32(k + VN_ACCOUNT_LEN, keys->prekeys[i]->id);
        err = vn_kv_put(self->kv, VN_DB_PREKEYS, k, sizeof k, keys->prekeys[i]->key.data, 33);
        if (err) goto out_aborted;
    }
    *left = 0;
    err = vn_kv_each(self->kv, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, count_cb, left);
    if (err) goto out;
    free(buf);
    if (old) vn__bundle__free_unpacked(old, NULL);
    free(prev);
    return vn_kv_commit(self->kv);
out:
    vn_kv_commit(self->kv);
out_aborted:
    free(buf);
    if (old) vn__bundle__free_unpacked(old, NULL);
    free(prev);
    return err;
}

struct first_prekey {
    uint8_t key[VN_ACCOUNT_LEN + 4]; /* db key of the first prekey found */
    uint8_t val[33];                 /* its public key */
    bool found;
};

static vn_err first_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct first_prekey *f = ud;
    if (kl != sizeof f->key || vl != sizeof f->val) return VN_OK;
    memcpy(f->key, k, kl);
    memcpy(f->val, v, vl);
    f->found = true;
    {
        *stop = true;
        return VN_OK;
    }
}

static vn_err dup_bytes(ProtobufCBinaryData *dst, const ProtobufCBinaryData *src)
{
    dst->data = malloc(src->len ? src->len : 1);
    if (!dst->data) return VN_ENOMEM;
    memcpy(dst->data, src->data, src->len);
    dst->len = src->len;
    return VN_OK;
}

void vn_sstore_bundle_clear(Vn__Bundle *b)
{
    free(b->identity_key.data);
    free(b->signed_prekey.data);
    free(b->signed_prekey_sig.data);
    if (b->prekey) free(b->prekey->key.data);
    free(b->prekey);
    b->identity_key.data = b->signed_prekey.data = b->signed_prekey_sig.data = NULL;
    b->prekey = NULL;
}

vn_err vn_sstore_bundle_take(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                             Vn__Bundle *out)
{
    uint8_t *raw = NULL;
    size_t n;
    struct first_prekey f = {.found = false};
    Vn__Bundle *b = NULL;
    vn_err err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&raw, &n);
    if (err) goto out;
    b = vn__bundle__unpack(NULL, n, raw);
    if (!b) {
        err = VN_ESTORE;
        goto out;
    }
    out->registration_id = b->registration_id;
    out->signed_prekey_id = b->signed_prekey_id;
    if ((err = dup_bytes(&out->identity_key, &b->identity_key)) ||
        (err = dup_bytes(&out->signed_prekey, &b->signed_prekey)) ||
        (err = dup_bytes(&out->signed_prekey_sig, &b->signed_prekey_sig)))
        goto out_clear;
    err = vn_kv_each(self->kv, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, first_cb, &f);
    if (err) goto out_clear;
    if (f.found) {
        /* A one-time prekey is handed out once and then forgotten. */
        out->prekey = malloc(sizeof *out->prekey);
        if (!out->prekey) {
            err = VN_ENOMEM;
            goto out_clear;
        }
        vn__pre_key__init(out->prekey);
        out->prekey->id = vn_get_be32(f.key + VN_ACCOUNT_LEN);
        ProtobufCBinaryData src = {sizeof f.val, f.val};
        if ((err = dup_bytes(&out->prekey->key, &src))) goto out_clear;
        err = vn_kv_del(self->kv, VN_DB_PREKEYS, f.key, sizeof f.key);
        if (err) {
            vn_sstore_bundle_clear(out);
            goto out_aborted;
        }
    }
    vn__bundle__free_unpacked(b, NULL);
    free(raw);
    return vn_kv_commit(self->kv);
out_clear:
    vn_sstore_bundle_clear(out);
out:
    vn_kv_commit(self->kv);
out_aborted:
    if (b) vn__bundle__free_unpacked(b, NULL);
    free(raw);
    return err;
}

static void mail_key(uint8_t k[VN_ACCOUNT_LEN + 8], const uint8_t to[VN_ACCOUNT_LEN], uint64_t seq)
{
    memcpy(k, to, VN_ACCOUNT_LEN);
    vn_put_be64(k + VN_ACCOUNT_LEN, seq);
}

static void index_key(uint8_t k[VN_ACCOUNT_LEN + VN_MSGID_LEN], const uint8_t to[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN])
{
    memcpy(k, to, VN_ACCOUNT_LEN);
    memcpy(k + VN_ACCOUNT_LEN, id, VN_MSGID_LEN);
}

/* Reads the stored time of the envelope at seq (for duplicate sends). */
static vn_err mail_time(vn_sstore *self, const uint8_t to[VN_ACCOUNT_LEN], uint64_t seq,
                        uint64_t *time_ms)
{
    uint8_t k[VN_ACCOUNT_LEN + 8], *v = NULL;
    size_t n;
    mail_key(k, to, seq);
    vn_err err = vn_kv_get(self->kv, VN_DB_MAILBOX, k, sizeof k, (void **)&v, &n);
    if (!err) *time_ms = n >= 8 ? vn_get_be64(v) : 0;
    free(v);
    return err;
}

vn_err vn_sstore_mail_put(vn_sstore *self, const uint8_t to[VN_ACCOUNT_LEN],
                          const Vn__Envelope *env, bool *dup, uint64_t *time_ms)
{
    uint8_t ik[VN_ACCOUNT_LEN + VN_MSGID_LEN], mk[VN_ACCOUNT_LEN + 8], sb[8];
    uint8_t *v = NULL, *buf = NULL;
    size_t n;
    uint64_t seq = 0;
    if (env->id.len != VN_MSGID_LEN) return VN_EINVAL;
    index_key(ik, to, env->id.data);
    *dup = false;
    vn_err err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err == VN_OK) {
        /* A retried send: the first copy is stored; report its time. */
        *dup = true;
        err = n == 8 ? mail_time(self, to, vn_get_be64(v), time_ms) : VN_ESTORE;
        goto out;
    }
    if (err != VN_ENOTFOUND) goto out;
    free(v);
    v = NULL;
    err = vn_kv_get(self->kv, VN_DB_META, SEQ_KEY, sizeof SEQ_KEY - 1, (void **)&v, &n);
    if (err == VN_OK && n == 8)
        seq = vn_get_be64(v);
    else if (err != VN_ENOTFOUND)
        goto out;
    seq++;
    size_t plen = vn__envelope__get_packed_size(env);
    buf = malloc(8 + plen);
    if (!buf) {
        err = VN_ENOMEM;
        goto out;
    }
    vn_put_be64(buf, env->time_ms);
    vn__envelope__pack(env, buf + 8);
    mail_key(mk, to, seq);
    vn_put_be64(sb, seq);
    if ((err = vn_kv_put(self->kv, VN_DB_META, SEQ_KEY, sizeof SEQ_KEY - 1, sb, 8)) ||
        (err = vn_kv_put(self->kv, VN_DB_MAILBOX, mk, sizeof mk, buf, 8 + plen)) ||
        (err = vn_kv_put(self->kv, VN_DB_MSGINDEX, ik, sizeof ik, sb, 8)))
        goto out_aborted;
    *time_ms = env->time_ms;
    free(buf);
    free(v);
    return vn_kv_commit(self->kv);
out:
    vn_kv_commit(self->kv);
out_aborted:
    free(buf);
    free(v);
    return err;
}

struct fetch_ctx {
    vn_sstore_mail_fn fn; /* caller's callback */
    void *ud;             /* its data */
    size_t max, seen;     /* cap, and envelopes passed so far */
    bool more;            /* found one past the cap */
};

static vn_err fetch_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct fetch_ctx *c = ud;
    if (c->seen == c->max) {
        c->more = true;
        {
            *stop = true;
            return VN_OK;
        }
    }
    if (vl < 8) return VN_ESTORE;
    Vn__Envelope *env = vn__envelope__unpack(NULL, vl - 8, (const uint8_t *)v + 8);
    if (!env) return VN_ESTORE;
    vn_err err = c->fn(c->ud, env);
    vn__envelope__free_unpacked(env, NULL);
    c->seen++;
    return err;
}

vn_err vn_sstore_mail_fetch(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], size_t max,
                            vn_sstore_mail_fn fn, void *ud, bool *more)
{
    struct fetch_ctx c = {fn, ud, max, 0, false};
    vn_err err = vn_kv_each(self->kv, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN, fetch_cb, &c);
    if (more) *more = c.more;
    return err;
}

vn_err vn_sstore_mail_ack(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                          const uint8_t id[VN_MSGID_LEN])
{
    uint8_t ik[VN_ACCOUNT_LEN + VN_MSGID_LEN], mk[VN_ACCOUNT_LEN + 8], *v = NULL;
    size_t n;
    index_key(ik, account, id);
    vn_err err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_MSGINDEX, ik, sizeof ik, (void **)&v, &n);
    if (err) goto out;
    if (n != 8) {
        err = VN_ESTORE;
        goto out;
    }
    mail_key(mk, account, vn_get_be64(v));
    err = vn_kv_del(self->kv, VN_DB_MAILBOX, mk, sizeof mk);
    if (err && err != VN_ENOTFOUND) goto out_aborted;
    err = vn_kv_del(self->kv, VN_DB_MSGINDEX, ik, sizeof ik);
    if (err) goto out_aborted;
    free(v);
    return vn_kv_commit(self->kv);
out:
    vn_kv_commit(self->kv);
out_aborted:
    free(v);
    return err;
}

vn_err vn_sstore_mail_count(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], size_t *count)
{
    uint32_t n = 0;
    vn_err err = vn_kv_each(self->kv, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN, count_cb, &n);
    *count = n;
    return err;
}

struct expire_ctx {
    uint64_t cutoff;                         /* envelopes stored before this go */
    size_t n;                                /* how many were found */
    uint8_t keys[EXPIRE_BATCH][24];          /* their mailbox keys */
    uint8_t ids[EXPIRE_BATCH][VN_MSGID_LEN]; /* and message ids */
};

static vn_err expire_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct expire_ctx *c = ud;
    if (kl != 24 || vl < 8) return VN_OK;
    if (vn_get_be64(v) >= c->cutoff) return VN_OK;
    Vn__Envelope *env = vn__envelope__unpack(NULL, vl - 8, (const uint8_t *)v + 8);
    if (!env) return VN_OK;
    if (env->id.len == VN_MSGID_LEN) {
        memcpy(c->keys[c->n], k, 24);
        memcpy(c->ids[c->n], env->id.data, VN_MSGID_LEN);
        c->n++;
    }
    vn__envelope__free_unpacked(env, NULL);
    *stop = c->n == EXPIRE_BATCH;
    return VN_OK;
}

struct invite_expire_ctx {
    uint64_t now;          /* invites that expired before this go */
    size_t n;              /* how many were found */
    uint8_t keys[256][32]; /* their hashes */
};

static vn_err invite_expire_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl,
                               bool *stop)
{
    struct invite_expire_ctx *c = ud;
    if (kl != 32 || vl != INVITE_REC_LEN) return VN_OK;
    /* Kept a while past expiry, so a late redemption hears "expired"
     * rather than "unknown". */
    if (vn_get_be64((const uint8_t *)v + 1) + VN_INVITE_KEEP_MS > c->now) return VN_OK;
    memcpy(c->keys[c->n++], k, 32);
    *stop = c->n == 256;
    return VN_OK;
}

vn_err vn_sstore_expire(vn_sstore *self, uint64_t now, uint64_t ttl_ms, size_t *expired)
{
    struct expire_ctx *c = calloc(1, sizeof *c);
    struct invite_expire_ctx ic = {.now = now};
    if (!c) return VN_ENOMEM;
    c->cutoff = now > ttl_ms ? now - ttl_ms : 0;
    vn_err err = vn_kv_begin(self->kv);
    if (err) goto out_free;
    err = vn_kv_each(self->kv, VN_DB_MAILBOX, NULL, 0, expire_cb, c);
    if (err) goto out;
    err = vn_kv_each(self->kv, VN_DB_INVITES, NULL, 0, invite_expire_cb, &ic);
    if (err) goto out;
    for (size_t i = 0; i < c->n; i++) {
        uint8_t ik[VN_ACCOUNT_LEN + VN_MSGID_LEN];
        index_key(ik, c->keys[i], c->ids[i]);
        if ((err = vn_kv_del(self->kv, VN_DB_MAILBOX, c->keys[i], 24)) ||
            ((err = vn_kv_del(self->kv, VN_DB_MSGINDEX, ik, sizeof ik)) && err != VN_ENOTFOUND))
            goto out_free;
    }
    for (size_t i = 0; i < ic.n; i++)
        if ((err = vn_kv_del(self->kv, VN_DB_INVITES, ic.keys[i], 32))) goto out_free;
    *expired = c->n;
    free(c);
    return vn_kv_commit(self->kv);
out:
    vn_kv_commit(self->kv);
out_free:
    free(c);
    return err;
}

vn_err vn_sstore_account_role(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint8_t *rec = NULL;
    size_t n;
    vn_err err = vn_kv_get(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN, (void **)&rec, &n);
    if (err) return err;
    if (n != ACCOUNT_REC_LEN)
        err = VN_ESTORE;
    else
        *role = (vn_role)rec[0];
    free(rec);
    return err;
}

struct sent_by {
    char from[VN_ACCOUNT_HEX + 1]; /* the sender being deleted */
    size_t n, cap;                 /* envelopes found */
    uint8_t (*keys)[24];           /* their mailbox keys */
    uint8_t (*ids)[VN_MSGID_LEN];  /* and message ids */
};

static vn_err sent_by_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct sent_by *c = ud;
    if (kl != 24 || vl < 8) return VN_OK;
    Vn__Envelope *env = vn__envelope__unpack(NULL, vl - 8, (const uint8_t *)v + 8);
    if (!env) return VN_OK;
    bool match = env->from && strcmp(env->from, c->from) == 0 && env->id.len == VN_MSGID_LEN;
    if (match && c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        void *nk = realloc(c->keys, cap * sizeof *c->keys);
        if (nk) c->keys = nk;
        void *ni = realloc(c->ids, cap * sizeof *c->ids);
        if (ni) c->ids = ni;
        if (!nk || !ni) {
            vn__envelope__free_unpacked(env, NULL);
            return VN_ENOMEM;
        }
        c->cap = cap;
    }
    if (match) {
        memcpy(c->keys[c->n], k, 24);
        memcpy(c->ids[c->n], env->id.data, VN_MSGID_LEN);
        c->n++;
    }
    vn__envelope__free_unpacked(env, NULL);
    return VN_OK;
}

vn_err vn_sstore_account_delete(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t *rec = NULL;
    size_t n;
    struct sent_by sb = {.n = 0};
    vn_err err = vn_kv_begin(self->kv);
    if (err) return err;
    err = vn_kv_get(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN, (void **)&rec, &n);
    if (err) goto out;
    if (n != ACCOUNT_REC_LEN) {
        err = VN_ESTORE;
        goto out;
    }
    /* Envelopes it sent name it as sender: they go too (a full scan, but
     * deleting an account is rare). */
    vn_hex_encode(account, VN_ACCOUNT_LEN, sb.from);
    if ((err = vn_kv_each(self->kv, VN_DB_MAILBOX, NULL, 0, sent_by_cb, &sb))) goto out;
    for (size_t i = 0; i < sb.n; i++) {
        uint8_t ik[VN_ACCOUNT_LEN + VN_MSGID_LEN];
        index_key(ik, sb.keys[i], sb.ids[i]);
        if ((err = vn_kv_del(self->kv, VN_DB_MAILBOX, sb.keys[i], 24)) && err != VN_ENOTFOUND)
            goto out_aborted;
        if ((err = vn_kv_del(self->kv, VN_DB_MSGINDEX, ik, sizeof ik)) && err != VN_ENOTFOUND)
            goto out_aborted;
    }
    if ((err = vn_kv_del(self->kv, VN_DB_DEVICES, rec + 9, VN_CURVE_KEY_LEN)) &&
        err != VN_ENOTFOUND)
        goto out_aborted;
    if ((err = vn_kv_del(self->kv, VN_DB_KEYS, account, VN_ACCOUNT_LEN)) && err != VN_ENOTFOUND)
        goto out_aborted;
    if ((err = vn_kv_del_prefix(self->kv, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, NULL)) ||
        (err = vn_kv_del_prefix(self->kv, VN_DB_MAILBOX, account, VN_ACCOUNT_LEN, NULL)) ||
        (err = vn_kv_del_prefix(self->kv, VN_DB_MSGINDEX, account, VN_ACCOUNT_LEN, NULL)) ||
        (err = vn_kv_del(self->kv, VN_DB_ACCOUNTS, account, VN_ACCOUNT_LEN)))
        goto out_aborted;
    free(sb.keys);
    free(sb.ids);
    free(rec);
    return vn_kv_commit(self->kv);
out:
    vn_kv_commit(self->kv);
out_aborted:
    free(sb.keys);
    free(sb.ids);
    free(rec);
    return err;
}

vn_err vn_sstore_identity_key(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                              uint8_t key[33])
{
    uint8_t *raw = NULL;
    size_t n;
    vn_err err = vn_kv_get(self->kv, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&raw, &n);
    if (err) return err;
    Vn__Bundle *b = vn__bundle__unpack(NULL, n, raw);
    free(raw);
    if (!b) return VN_ESTORE;
    if (b->identity_key.len == 33)
        memcpy(key, b->identity_key.data, 33);
    else
        err = VN_ESTORE;
    vn__bundle__free_unpacked(b, NULL);
    return err;
}

vn_err vn_sstore_prekeys_held(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], uint32_t *n)
{
    *n = 0;
    return vn_kv_each(self->kv, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, count_cb, n);
}

struct case_invites {
    const uint8_t *case_id; /* the case being purged */
    size_t n;
    uint8_t keys[256][32]; /* its invites */
};

static vn_err case_invite_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl,
                             bool *stop)
{
    struct case_invites *c = ud;
    if (kl != 32 || vl != INVITE_REC_LEN || memcmp((const uint8_t *)v + 17, c->case_id, 16))
        return VN_OK;
    memcpy(c->keys[c->n++], k, 32);
    *stop = c->n == 256;
    return VN_OK;
}

vn_err vn_sstore_invites_purge_case(vn_sstore *self, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    struct case_invites *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->case_id = case_id;
    vn_err err;
    do {
        c->n = 0;
        err = vn_kv_each(self->kv, VN_DB_INVITES, NULL, 0, case_invite_cb, c);
        for (size_t i = 0; !err && i < c->n; i++)
            err = vn_kv_del(self->kv, VN_DB_INVITES, c->keys[i], 32);
    } while (!err && c->n == 256);
    free(c);
    return err;
}
