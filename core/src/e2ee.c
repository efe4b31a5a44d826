#include "e2ee_internal.h"

#include <signal/curve.h>
#include <signal/fingerprint.h>
#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/ratchet.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/signal_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "vn/util.h"

#define PRIV_LEN 32 /* serialized Curve25519 private key */
/* Signal's displayable fingerprint: 5200 iterations give > 112 bits. */
#define FP_ITERATIONS        5200
#define FP_SCANNABLE_VERSION 1
/* Address names are account ids; anything longer is refused before it can
 * become an LMDB key (511 bytes at most). */
#define NAME_MAX_LEN    64
#define SESSION_KEY_MAX (NAME_MAX_LEN + 1 + 4)
/* Prekey ids are 24-bit in the Signal protocol; ids run 1..ID_WRAP. */
#define ID_WRAP (PRE_KEY_MEDIUM_MAX_VALUE - 1)

/* Keys in e2ee_self. */
#define K_ID_PUB      "identity_pub"
#define K_ID_PRIV     "identity_priv"
#define K_REG_ID      "registration_id"
#define K_ACCOUNT     "account"
#define K_PREKEY_NEXT "prekey_next"
#define K_SPK_NEXT    "spk_next"
#define K_SPK_CUR     "spk_current"
#define K_SPK_PREV    "spk_previous"
#define KEY(k)        (k), (sizeof(k) - 1)

/* A peer record in e2ee_peer, keyed by account id: format byte, flags, the
 * trusted key, then the pending (changed, not yet trusted) key. */
#define PEER_FORMAT   1
#define PEER_VERIFIED 0x01
#define PEER_PENDING  0x02
#define PEER_REC_LEN  (2 + 2 * VN_E2EE_KEY_LEN)

typedef struct peer_rec {
    uint8_t flags;                    /* PEER_VERIFIED, PEER_PENDING */
    uint8_t key[VN_E2EE_KEY_LEN];     /* the trusted identity key */
    uint8_t pending[VN_E2EE_KEY_LEN]; /* a changed key seen later, if PEER_PENDING */
} peer_rec;

/* libsignal codes to ours. Store callbacks return our own codes (all below
 * SG_ERR_MINIMUM), and libsignal passes them through unchanged. */
vn_err e2ee_err_from_sg(int rc)
{
    if (rc >= 0) return VN_OK;
    if (vn_err_is_known(rc)) return (vn_err)rc;
    switch (rc) {
    case SG_ERR_NOMEM:
        return VN_ENOMEM;
    case SG_ERR_UNTRUSTED_IDENTITY:
        return VN_EUNTRUSTED;
    case SG_ERR_DUPLICATE_MESSAGE:
        return VN_EDUPLICATE;
    case SG_ERR_NO_SESSION:
        return VN_ENOSESSION;
    default:
        return VN_ECRYPTO;
    }
}

/* Ends the transaction level this module opened with vn_kv_begin(). A
 * failed write has already discarded the whole transaction. Otherwise what
 * the callbacks wrote is committed even when the operation failed, so that
 * a pending identity key recorded on the way is kept. */
vn_err e2ee_txn_end(vn_e2ee *self, vn_err err)
{
    if (!vn_kv_in_txn(self->kv)) return err ? err : VN_ESTORE;
    vn_err cerr = vn_kv_commit(self->kv);
    return err ? err : cerr;
}

/* Reads a value that must be exactly len bytes. The copy kv made is wiped
 * because some of these values are private keys. */
static vn_err get_exact(vn_e2ee *self, int which, const void *key, size_t klen, void *out,
                        size_t len)
{
    void *val = NULL;
    size_t vlen = 0;
    vn_err err = vn_kv_get(self->kv, dbi(self, which), key, klen, &val, &vlen);
    if (err) return err;
    if (vlen == len)
        memcpy(out, val, len);
    else
        err = VN_ESTORE;
    explicit_bzero(val, vlen);
    free(val);
    return err;
}

static vn_err get_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t *out)
{
    uint8_t be[4];
    vn_err err = get_exact(self, DB_SELF, key, klen, be, sizeof be);
    if (!err) *out = vn_get_be32(be);
    return err;
}

static vn_err put_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t v)
{
    uint8_t be[4];
    vn_put_be32(be, v);
    return vn_kv_put(self->kv, dbi(self, DB_SELF), key, klen, be, sizeof be);
}

/* Copies a stored record into a fresh signal_buffer for libsignal, which
 * frees it. Returns 1 if found, 0 if absent, or a negative error. */
int e2ee_load_buffer(vn_e2ee *self, int which, const void *key, size_t klen, signal_buffer **out)
{
    void *val = NULL;
    size_t vlen = 0;
    vn_err err = vn_kv_get(self->kv, dbi(self, which), key, klen, &val, &vlen);
    if (err == VN_ENOTFOUND) return 0;
    if (err) return err;
    signal_buffer *buf = signal_buffer_create(val, vlen);
    /* Prekey records hold private keys. */
    explicit_bzero(val, vlen);
    free(val);
    if (!buf) return SG_ERR_NOMEM;
    *out = buf;
    return 1;
}

/* Serializes a public key into exactly VN_E2EE_KEY_LEN bytes. */
static int public_key_bytes(const ec_public_key *key, uint8_t out[VN_E2EE_KEY_LEN])
{
    signal_buffer *buf = NULL;
    int rc = ec_public_key_serialize(&buf, key);
    if (rc < 0) return rc;
    if (signal_buffer_len(buf) == VN_E2EE_KEY_LEN)
        memcpy(out, signal_buffer_data(buf), VN_E2EE_KEY_LEN);
    else
        rc = SG_ERR_INVALID_KEY;
    signal_buffer_free(buf);
    return rc;
}

/* ---- peer records --------------------------------------------------- */

static vn_err peer_load(vn_e2ee *self, const char *name, size_t name_len, peer_rec *rec)
{
    uint8_t raw[PEER_REC_LEN];
    vn_err err = get_exact(self, DB_PEER, name, name_len, raw, sizeof raw);
    if (err) return err;
    if (raw[0] != PEER_FORMAT) return VN_ESTORE;
    rec->flags = raw[1];
    memcpy(rec->key, raw + 2, VN_E2EE_KEY_LEN);
    memcpy(rec->pending, raw + 2 + VN_E2EE_KEY_LEN, VN_E2EE_KEY_LEN);
    return VN_OK;
}

static vn_err peer_store(vn_e2ee *self, const char *name, size_t name_len, const peer_rec *rec)
{
    uint8_t raw[PEER_REC_LEN];
    raw[0] = PEER_FORMAT;
    raw[1] = rec->flags;
    memcpy(raw + 2, rec->key, VN_E2EE_KEY_LEN);
    memcpy(raw + 2 + VN_E2EE_KEY_LEN, rec->pending, VN_E2EE_KEY_LEN);
    return vn_kv_put(self->kv, dbi(self, DB_PEER), name, name_len, raw, sizeof raw);
}

/* Trust on first use: the first key seen for a peer is stored, unverified.
 * A different key never replaces it here; only vn_e2ee_confirm_peer() does. */
static int peer_save_first(vn_e2ee *self, const char *name, size_t name_len,
                           const uint8_t key[VN_E2EE_KEY_LEN])
{
    peer_rec rec;
    vn_err err = peer_load(self, name, name_len, &rec);
    if (err == VN_ENOTFOUND) {
        memset(&rec, 0, sizeof rec);
        memcpy(rec.key, key, VN_E2EE_KEY_LEN);
        return peer_store(self, name, name_len, &rec);
    }
    if (err) return err;
    return memcmp(rec.key, key, VN_E2EE_KEY_LEN) == 0 ? SG_SUCCESS : SG_ERR_UNTRUSTED_IDENTITY;
}

static bool name_ok(const char *name, size_t name_len)
{
    return name && name_len > 0 && name_len <= NAME_MAX_LEN && !memchr(name, '\0', name_len);
}

/* ---- session store ---------------------------------------------------- */

/* Session keys are name, NUL, big-endian device id, so all devices of one
 * name share the prefix "name\0". */
static int session_key(const char *name, size_t name_len, int32_t device,
                       uint8_t key[SESSION_KEY_MAX], size_t *klen)
{
    if (!name_ok(name, name_len)) return SG_ERR_INVAL;
    memcpy(key, name, name_len);
    key[name_len] = '\0';
    vn_put_be32(key + name_len + 1, (uint32_t)device);
    *klen = name_len + 5;
    return SG_SUCCESS;
}

static int load_session(signal_buffer **record, signal_buffer **user_record,
                        const signal_protocol_address *address, void *user_data)
{
    uint8_t key[SESSION_KEY_MAX];
    size_t klen;
    int rc = session_key(address->name, address->name_len, address->device_id, key, &klen);
    if (rc < 0) return rc;
    return e2ee_load_buffer(user_data, DB_SESSION, key, klen, record);
}

typedef struct device_walk {
    signal_int_list *list; /* devices found so far */
    size_t plen;           /* length of the "name\0" prefix */
} device_walk;

static int collect_device(void *ud, const void *key, size_t klen, const void *val, size_t vlen)
{
    device_walk *w = ud;
    if (klen != w->plen + 4) return 0;
    int32_t device = (int32_t)vn_get_be32((const uint8_t *)key + w->plen);
    return signal_int_list_push_back(w->list, device) < 0 ? VN_ENOMEM : 0;
}

static int get_sub_device_sessions(signal_int_list **sessions, const char *name, size_t name_len,
                                   void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t prefix[NAME_MAX_LEN + 1];
    if (!name_ok(name, name_len)) return SG_ERR_INVAL;
    memcpy(prefix, name, name_len);
    prefix[name_len] = '\0';
    device_walk w = {signal_int_list_alloc(), name_len + 1};
    if (!w.list) return SG_ERR_NOMEM;
    vn_err err = vn_kv_each(self->kv, dbi(self, DB_SESSION), prefix, w.plen, collect_device, &w);
    if (err) {
        signal_int_list_free(w.list);
        return err;
    }
    *sessions = w.list;
    return (int)signal_int_list_size(w.list);
}

static int store_session(const signal_protocol_address *address, uint8_t *record, size_t record_len,
                         uint8_t *user_record, size_t user_record_len, void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t key[SESSION_KEY_MAX];
    size_t klen;
    /* We never hand libsignal a user record, so there is none to keep. */
    int rc = session_key(address->name, address->name_len, address->device_id, key, &klen);
    if (rc < 0) return rc;
    return vn_kv_put(self->kv, dbi(self, DB_SESSION), key, klen, record, record_len);
}

static int contains_session(const signal_protocol_address *address, void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t key[SESSION_KEY_MAX];
    size_t klen;
    if (session_key(address->name, address->name_len, address->device_id, key, &klen) < 0) return 0;
    return vn_kv_has(self->kv, dbi(self, DB_SESSION), key, klen);
}

static int delete_session(const signal_protocol_address *address, void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t key[SESSION_KEY_MAX];
    size_t klen;
    int rc = session_key(address->name, address->name_len, address->device_id, key, &klen);
    if (rc < 0) return rc;
    vn_err err = vn_kv_del(self->kv, dbi(self, DB_SESSION), key, klen);
    if (err == VN_ENOTFOUND) return 0;
    return err ? err : 1;
}

static vn_err delete_sessions_of(vn_e2ee *self, const char *name, size_t name_len, size_t *n)
{
    uint8_t prefix[NAME_MAX_LEN + 1];
    if (!name_ok(name, name_len)) return VN_EINVAL;
    memcpy(prefix, name, name_len);
    prefix[name_len] = '\0';
    return vn_kv_del_prefix(self->kv, dbi(self, DB_SESSION), prefix, name_len + 1, n);
}

static int delete_all_sessions(const char *name, size_t name_len, void *user_data)
{
    size_t n = 0;
    vn_err err = delete_sessions_of(user_data, name, name_len, &n);
    if (err) return err == VN_EINVAL ? SG_ERR_INVAL : err;
    return (int)n;
}

/* ---- one-time and signed prekey stores -------------------------------- */

static int load_id_record(vn_e2ee *self, int which, uint32_t id, signal_buffer **record)
{
    uint8_t key[4];
    vn_put_be32(key, id);
    int rc = e2ee_load_buffer(self, which, key, sizeof key, record);
    if (rc < 0) return rc;
    /* libsignal expects this code, not 0, for a key it does not have. */
    return rc == 1 ? SG_SUCCESS : SG_ERR_INVALID_KEY_ID;
}

static int store_id_record(vn_e2ee *self, int which, uint32_t id, const uint8_t *record, size_t len)
{
    uint8_t key[4];
    vn_put_be32(key, id);
    return vn_kv_put(self->kv, dbi(self, which), key, sizeof key, record, len);
}

static int contains_id_record(vn_e2ee *self, int which, uint32_t id)
{
    uint8_t key[4];
    vn_put_be32(key, id);
    return vn_kv_has(self->kv, dbi(self, which), key, sizeof key);
}

static int remove_id_record(vn_e2ee *self, int which, uint32_t id)
{
    uint8_t key[4];
    vn_put_be32(key, id);
    vn_err err = vn_kv_del(self->kv, dbi(self, which), key, sizeof key);
    return err == VN_ENOTFOUND ? SG_SUCCESS : err;
}

static int load_pre_key(signal_buffer **record, uint32_t id, void *user_data)
{
    return load_id_record(user_data, DB_PREKEY, id, record);
}

static int store_pre_key(uint32_t id, uint8_t *record, size_t len, void *user_data)
{
    return store_id_record(user_data, DB_PREKEY, id, record, len);
}

static int contains_pre_key(uint32_t id, void *user_data)
{
    return contains_id_record(user_data, DB_PREKEY, id);
}

static int remove_pre_key(uint32_t id, void *user_data)
{
    return remove_id_record(user_data, DB_PREKEY, id);
}

static int load_signed_pre_key(signal_buffer **record, uint32_t id, void *user_data)
{
    return load_id_record(user_data, DB_SPK, id, record);
}

static int store_signed_pre_key(uint32_t id, uint8_t *record, size_t len, void *user_data)
{
    return store_id_record(user_data, DB_SPK, id, record, len);
}

static int contains_signed_pre_key(uint32_t id, void *user_data)
{
    return contains_id_record(user_data, DB_SPK, id);
}

static int remove_signed_pre_key(uint32_t id, void *user_data)
{
    return remove_id_record(user_data, DB_SPK, id);
}

/* ---- identity key store ------------------------------------------------ */

static int get_identity_key_pair(signal_buffer **public_data, signal_buffer **private_data,
                                 void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t pub[VN_E2EE_KEY_LEN], priv[PRIV_LEN];
    int rc = SG_ERR_NOMEM;

    vn_err err = get_exact(self, DB_SELF, KEY(K_ID_PUB), pub, sizeof pub);
    if (!err) err = get_exact(self, DB_SELF, KEY(K_ID_PRIV), priv, sizeof priv);
    if (err) {
        rc = err;
        goto out;
    }
    signal_buffer *pb = signal_buffer_create(pub, sizeof pub);
    signal_buffer *sb = signal_buffer_create(priv, sizeof priv);
    if (!pb || !sb) {
        signal_buffer_free(pb);
        signal_buffer_bzero_free(sb);
        goto out;
    }
    *public_data = pb;
    *private_data = sb;
    rc = SG_SUCCESS;
out:
    explicit_bzero(priv, sizeof priv);
    return rc;
}

static int get_local_registration_id(void *user_data, uint32_t *registration_id)
{
    return get_u32(user_data, KEY(K_REG_ID), registration_id);
}

static int save_identity(const signal_protocol_address *address, uint8_t *key_data, size_t key_len,
                         void *user_data)
{
    vn_e2ee *self = user_data;
    if (!name_ok(address->name, address->name_len)) return SG_ERR_INVAL;
    if (!key_data) {
        /* "Forget this key": with nothing else kept per peer, that is the
         * whole record. */
        vn_err err = vn_kv_del(self->kv, dbi(self, DB_PEER), address->name, address->name_len);
        return err == VN_ENOTFOUND ? SG_SUCCESS : err;
    }
    if (key_len != VN_E2EE_KEY_LEN) return SG_ERR_INVALID_KEY;
    if (self->defer_identity) {
        /* libsignal saves the sender's key before it checks the message's
         * MAC; a forged first message must not plant a key, so decrypt
         * saves it only after the message authenticated. */
        memcpy(self->deferred_key, key_data, VN_E2EE_KEY_LEN);
        self->deferred = true;
        return SG_SUCCESS;
    }
    return peer_save_first(self, address->name, address->name_len, key_data);
}

static int is_trusted_identity(const signal_protocol_address *address, uint8_t *key_data,
                               size_t key_len, void *user_data)
{
    vn_e2ee *self = user_data;
    peer_rec rec;

    if (!name_ok(address->name, address->name_len)) return SG_ERR_INVAL;
    if (!key_data || key_len != VN_E2EE_KEY_LEN) return SG_ERR_INVALID_KEY;
    vn_err err = peer_load(self, address->name, address->name_len, &rec);
    /* Trust on first use; save_identity() stores the key once the session
     * is built. */
    if (err == VN_ENOTFOUND) return 1;
    if (err) return err;
    if (memcmp(rec.key, key_data, VN_E2EE_KEY_LEN) == 0) return 1;
    /* A changed key is refused, and kept so the user can compare the safety
     * number it gives and then accept it with vn_e2ee_confirm_peer(). */
    if ((rec.flags & PEER_PENDING) && memcmp(rec.pending, key_data, VN_E2EE_KEY_LEN) == 0) return 0;
    rec.flags |= PEER_PENDING;
    memcpy(rec.pending, key_data, VN_E2EE_KEY_LEN);
    err = peer_store(self, address->name, address->name_len, &rec);
    return err ? err : 0;
}

/* ---- open / close --------------------------------------------------------- */

static vn_err install_stores(vn_e2ee *self)
{
    signal_protocol_session_store ss = {
        .load_session_func = load_session,
        .get_sub_device_sessions_func = get_sub_device_sessions,
        .store_session_func = store_session,
        .contains_session_func = contains_session,
        .delete_session_func = delete_session,
        .delete_all_sessions_func = delete_all_sessions,
        .user_data = self,
    };
    signal_protocol_pre_key_store ps = {
        .load_pre_key = load_pre_key,
        .store_pre_key = store_pre_key,
        .contains_pre_key = contains_pre_key,
        .remove_pre_key = remove_pre_key,
        .user_data = self,
    };
    signal_protocol_signed_pre_key_store sps = {
        .load_signed_pre_key = load_signed_pre_key,
        .store_signed_pre_key = store_signed_pre_key,
        .contains_signed_pre_key = contains_signed_pre_key,
        .remove_signed_pre_key = remove_signed_pre_key,
        .user_data = self,
    };
    signal_protocol_identity_key_store is = {
        .get_identity_key_pair = get_identity_key_pair,
        .get_local_registration_id = get_local_registration_id,
        .save_identity = save_identity,
        .is_trusted_identity = is_trusted_identity,
        .user_data = self,
    };
    if (signal_protocol_store_context_set_session_store(self->store, &ss) < 0 ||
        signal_protocol_store_context_set_pre_key_store(self->store, &ps) < 0 ||
        signal_protocol_store_context_set_signed_pre_key_store(self->store, &sps) < 0 ||
        signal_protocol_store_context_set_identity_key_store(self->store, &is) < 0)
        return VN_EINTERNAL;
    /* The sender key store for team messages lives with the group code. */
    return e2ee_group_install(self);
}

vn_err vn_e2ee_open(vn_e2ee **out, vn_kv *kv, int first_db)
{
    size_t n;
    vn_err err;

    if (!out || !kv || first_db < 0) return VN_EINVAL;
    /* Fail now, not on first use, if kv lacks our databases. */
    if (vn_kv_count(kv, first_db + VN_E2EE_NDBS - 1, &n) == VN_EINVAL) return VN_EINVAL;
    vn_e2ee *self = calloc(1, sizeof *self);
    if (!self) return VN_ENOMEM;
    self->kv = kv;
    self->first_db = first_db;
    err = vn_crypto_open(&self->crypto);
    if (err) goto err_free_self;
    self->ctx = vn_crypto_context(self->crypto);
    if (signal_protocol_store_context_create(&self->store, self->ctx) < 0) {
        err = VN_ENOMEM;
        goto err_close_crypto;
    }
    err = install_stores(self);
    if (err) goto err_destroy_store;
    *out = self;
    return VN_OK;

err_destroy_store:
    signal_protocol_store_context_destroy(self->store);
err_close_crypto:
    vn_crypto_close(&self->crypto);
err_free_self:
    free(self);
    return err;
}

void vn_e2ee_close(vn_e2ee **self_p)
{
    if (!self_p || !*self_p) return;
    vn_e2ee *self = *self_p;
    signal_protocol_store_context_destroy(self->store);
    vn_crypto_close(&self->crypto);
    explicit_bzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

vn_err vn_e2ee_set_account(vn_e2ee *self, const char *account)
{
    if (!vn_account_valid(account)) return VN_EINVAL;
    return vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ACCOUNT), account, VN_ACCOUNT_HEX);
}

/* ---- identity and prekeys ------------------------------------------------- */

bool vn_e2ee_has_identity(vn_e2ee *self)
{
    return vn_kv_has(self->kv, dbi(self, DB_SELF), KEY(K_ID_PUB));
}

/* Next id after count ids starting at start, on the 1..ID_WRAP circle that
 * signal_protocol_key_helper_generate_pre_keys() uses. */
static uint32_t id_after(uint32_t start, uint32_t count)
{
    return (uint32_t)(((uint64_t)start - 1 + count) % ID_WRAP) + 1;
}

vn_err vn_e2ee_create_identity(vn_e2ee *self)
{
    ratchet_identity_key_pair *pair = NULL;
    session_signed_pre_key *spk = NULL;
    signal_buffer *priv = NULL, *spk_rec = NULL;
    uint8_t pub[VN_E2EE_KEY_LEN];
    uint32_t reg_id = 0;
    const uint32_t spk_id = 1;
    int rc;
    vn_err err;

    if (vn_e2ee_has_identity(self)) return VN_EEXISTS;
    rc = signal_protocol_key_helper_generate_identity_key_pair(&pair, self->ctx);
    if (rc < 0) goto sg_fail;
    /* 1..16380: small enough for libsignal's compact protobuf encoding. */
    rc = signal_protocol_key_helper_generate_registration_id(&reg_id, 0, self->ctx);
    if (rc < 0) goto sg_fail;
    rc = public_key_bytes(ratchet_identity_key_pair_get_public(pair), pub);
    if (rc < 0) goto sg_fail;
    rc = ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(pair));
    if (rc < 0) goto sg_fail;
    if (signal_buffer_len(priv) != PRIV_LEN) {
        rc = SG_ERR_INVALID_KEY;
        goto sg_fail;
    }
    /* The record carries its creation time, which rotation reads. */
    rc = signal_protocol_key_helper_generate_signed_pre_key(&spk, pair, spk_id, vn_now_ms(),
                                                            self->ctx);
    if (rc < 0) goto sg_fail;
    rc = session_signed_pre_key_serialize(&spk_rec, spk);
    if (rc < 0) goto sg_fail;

    /* Everything is computed; write it as one unit. */
    err = vn_kv_begin(self->kv);
    if (err) goto out;
    err = vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ID_PUB), pub, sizeof pub);
    if (!err)
        err = vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ID_PRIV), signal_buffer_data(priv),
                        signal_buffer_len(priv));
    if (!err) err = put_u32(self, KEY(K_REG_ID), reg_id);
    if (!err) err = put_u32(self, KEY(K_PREKEY_NEXT), 1);
    if (!err) err = put_u32(self, KEY(K_SPK_CUR), spk_id);
    if (!err) err = put_u32(self, KEY(K_SPK_NEXT), id_after(spk_id, 1));
    if (!err) {
        rc = store_id_record(self, DB_SPK, spk_id, signal_buffer_data(spk_rec),
                             signal_buffer_len(spk_rec));
        err = e2ee_err_from_sg(rc);
    }
    err = e2ee_txn_end(self, err);
    goto out;

sg_fail:
    err = e2ee_err_from_sg(rc);
out:
    signal_buffer_bzero_free(spk_rec);
    signal_buffer_bzero_free(priv);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(pair);
    return err;
}

static vn_err load_spk(vn_e2ee *self, uint32_t id, session_signed_pre_key **spk)
{
    int rc = signal_protocol_signed_pre_key_load_key(self->store, spk, id);
    if (rc == SG_ERR_INVALID_KEY_ID) return VN_ENOTFOUND;
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_public_bundle(vn_e2ee *self, vn_bundle *out)
{
    session_signed_pre_key *spk = NULL;
    uint32_t spk_id = 0;

    if (!out) return VN_EINVAL;
    memset(out, 0, sizeof *out);
    vn_err err = get_u32(self, KEY(K_REG_ID), &out->registration_id);
    if (!err) err = get_exact(self, DB_SELF, KEY(K_ID_PUB), out->identity_key, VN_E2EE_KEY_LEN);
    if (!err) err = get_u32(self, KEY(K_SPK_CUR), &spk_id);
    if (!err) err = load_spk(self, spk_id, &spk);
    if (err) goto out;
    ec_key_pair *kp = session_signed_pre_key_get_key_pair(spk);
    err = e2ee_err_from_sg(public_key_bytes(ec_key_pair_get_public(kp), out->signed_prekey));
    if (err) goto out;
    if (session_signed_pre_key_get_signature_len(spk) != VN_E2EE_SIG_LEN) {
        err = VN_ESTORE;
        goto out;
    }
    memcpy(out->signed_prekey_sig, session_signed_pre_key_get_signature(spk), VN_E2EE_SIG_LEN);
    out->signed_prekey_id = spk_id;
    out->has_prekey = false;
out:
    SIGNAL_UNREF(spk);
    return err;
}

vn_err vn_e2ee_generate_prekeys(vn_e2ee *self, uint32_t count, vn_prekey_pub **out)
{
    signal_protocol_key_helper_pre_key_list_node *head = NULL;
    signal_buffer **recs = NULL;
    vn_prekey_pub *pubs = NULL;
    uint32_t next = 1, i = 0;
    int rc;

    if (!out || count == 0) return VN_EINVAL;
    if (count > VN_E2EE_MAX_PREKEY_BATCH) return VN_ETOOBIG;
    vn_err err = get_u32(self, KEY(K_PREKEY_NEXT), &next);
    if (err == VN_ENOTFOUND) {
        next = 1;
        err = VN_OK;
    }
    if (err) return err;
    if (next == 0 || next > ID_WRAP) next = 1;
    pubs = calloc(count, sizeof *pubs);
    recs = calloc(count, sizeof *recs);
    if (!pubs || !recs) {
        err = VN_ENOMEM;
        goto out;
    }
    rc = signal_protocol_key_helper_generate_pre_keys(&head, next, count, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    /* Serialize everything before the transaction so that only a write can
     * fail inside it. */
    i = 0;
    for (signal_protocol_key_helper_pre_key_list_node *n = head; n && i < count;
         n = signal_protocol_key_helper_key_list_next(n), i++) {
        session_pre_key *pk = signal_protocol_key_helper_key_list_element(n);
        pubs[i].id = session_pre_key_get_id(pk);
        rc =
            public_key_bytes(ec_key_pair_get_public(session_pre_key_get_key_pair(pk)), pubs[i].key);
        if (rc >= 0) rc = session_pre_key_serialize(&recs[i], pk);
        if (rc < 0) {
            err = e2ee_err_from_sg(rc);
            goto out;
        }
    }
    if (i != count) {
        err = VN_EINTERNAL;
        goto out;
    }

    err = vn_kv_begin(self->kv);
    if (err) goto out;
    for (i = 0; i < count && !err; i++)
        err = e2ee_err_from_sg(store_id_record(
            self, DB_PREKEY, pubs[i].id, signal_buffer_data(recs[i]), signal_buffer_len(recs[i])));
    if (!err) err = put_u32(self, KEY(K_PREKEY_NEXT), id_after(next, count));
    err = e2ee_txn_end(self, err);

out:
    if (recs)
        for (i = 0; i < count; i++)
            signal_buffer_bzero_free(recs[i]);
    free(recs);
    signal_protocol_key_helper_key_list_free(head);
    if (err) {
        free(pubs);
        return err;
    }
    *out = pubs;
    return VN_OK;
}

vn_err vn_e2ee_prekey_count(vn_e2ee *self, uint32_t *count)
{
    size_t n = 0;
    if (!count) return VN_EINVAL;
    vn_err err = vn_kv_count(self->kv, dbi(self, DB_PREKEY), &n);
    if (err) return err;
    *count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    return VN_OK;
}

vn_err vn_e2ee_rotate_signed_prekey(vn_e2ee *self, uint64_t now_ms, uint64_t max_age_ms,
                                    bool *rotated)
{
    session_signed_pre_key *cur = NULL, *fresh = NULL;
    ratchet_identity_key_pair *pair = NULL;
    signal_buffer *rec = NULL;
    uint32_t cur_id = 0, new_id = 0, prev_id = 0;
    bool has_prev;
    int rc;

    if (!rotated) return VN_EINVAL;
    *rotated = false;
    vn_err err = get_u32(self, KEY(K_SPK_CUR), &cur_id);
    if (!err) err = load_spk(self, cur_id, &cur);
    if (err) goto out;
    uint64_t born = session_signed_pre_key_get_timestamp(cur);
    /* A clock that went backwards makes the key look new, not ancient. */
    if (now_ms <= born || now_ms - born <= max_age_ms) goto out;

    err = get_u32(self, KEY(K_SPK_NEXT), &new_id);
    if (err == VN_ENOTFOUND) {
        new_id = id_after(cur_id, 1);
        err = VN_OK;
    }
    if (!err) err = get_u32(self, KEY(K_SPK_PREV), &prev_id);
    has_prev = err == VN_OK;
    if (err == VN_ENOTFOUND) err = VN_OK;
    if (err) goto out;
    rc = signal_protocol_identity_get_key_pair(self->store, &pair);
    if (rc >= 0)
        rc = signal_protocol_key_helper_generate_signed_pre_key(&fresh, pair, new_id, now_ms,
                                                                self->ctx);
    if (rc >= 0) rc = session_signed_pre_key_serialize(&rec, fresh);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }

    /* Keep exactly one previous key: a peer may have fetched the old bundle
     * just before the rotation, and its first message names that key. */
    err = vn_kv_begin(self->kv);
    if (err) goto out;
    err = e2ee_err_from_sg(
        store_id_record(self, DB_SPK, new_id, signal_buffer_data(rec), signal_buffer_len(rec)));
    if (!err && has_prev && prev_id != cur_id && prev_id != new_id)
        err = e2ee_err_from_sg(remove_id_record(self, DB_SPK, prev_id));
    if (!err) err = put_u32(self, KEY(K_SPK_PREV), cur_id);
    if (!err) err = put_u32(self, KEY(K_SPK_CUR), new_id);
    if (!err) err = put_u32(self, KEY(K_SPK_NEXT), id_after(new_id, 1));
    err = e2ee_txn_end(self, err);
    if (!err) *rotated = true;

out:
    signal_buffer_bzero_free(rec);
    SIGNAL_UNREF(fresh);
    SIGNAL_UNREF(pair);
    SIGNAL_UNREF(cur);
    return err;
}

/* ---- sessions ---------------------------------------------------------------- */

static bool peer_ok(const char *peer)
{
    return vn_account_valid(peer);
}

static signal_protocol_address peer_address(const char *peer)
{
    signal_protocol_address a = {peer, VN_ACCOUNT_HEX, DEVICE_ID};
    return a;
}

vn_err vn_e2ee_start_session(vn_e2ee *self, const char *peer, const vn_bundle *bundle)
{
    ec_public_key *identity = NULL, *spk = NULL, *prekey = NULL;
    session_pre_key_bundle *sb = NULL;
    session_builder *builder = NULL;
    int rc;

    if (!peer_ok(peer) || !bundle) return VN_EINVAL;
    signal_protocol_address addr = peer_address(peer);
    rc = curve_decode_point(&identity, bundle->identity_key, VN_E2EE_KEY_LEN, self->ctx);
    if (rc >= 0) rc = curve_decode_point(&spk, bundle->signed_prekey, VN_E2EE_KEY_LEN, self->ctx);
    if (rc >= 0 && bundle->has_prekey)
        rc = curve_decode_point(&prekey, bundle->prekey, VN_E2EE_KEY_LEN, self->ctx);
    if (rc < 0) goto out;
    /* libsignal checks trust before the signature, which would let a
     * forged bundle leave a pending key; check the signature first. */
    rc = curve_verify_signature(identity, bundle->signed_prekey, VN_E2EE_KEY_LEN,
                                bundle->signed_prekey_sig, VN_E2EE_SIG_LEN);
    if (rc == 0) rc = SG_ERR_INVALID_KEY;
    if (rc < 0) goto out;
    rc = session_pre_key_bundle_create(
        &sb, bundle->registration_id, DEVICE_ID, bundle->has_prekey ? bundle->prekey_id : 0, prekey,
        bundle->signed_prekey_id, spk, bundle->signed_prekey_sig, VN_E2EE_SIG_LEN, identity);
    if (rc < 0) goto out;
    rc = session_builder_create(&builder, self->store, &addr, self->ctx);
    if (rc < 0) goto out;
    vn_err err = vn_kv_begin(self->kv);
    if (err) {
        rc = err;
        goto out;
    }
    rc = session_builder_process_pre_key_bundle(builder, sb);
    rc = e2ee_txn_end(self, e2ee_err_from_sg(rc));

out:
    session_builder_free(builder);
    SIGNAL_UNREF(sb);
    SIGNAL_UNREF(prekey);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(identity);
    return e2ee_err_from_sg(rc);
}

bool vn_e2ee_has_session(vn_e2ee *self, const char *peer)
{
    if (!peer_ok(peer)) return false;
    signal_protocol_address addr = peer_address(peer);
    return contains_session(&addr, self) == 1;
}

vn_err vn_e2ee_encrypt(vn_e2ee *self, const char *peer, const uint8_t *pt, size_t ptlen,
                       uint8_t **ct, size_t *ctlen, bool *prekey_msg)
{
    session_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    int rc;

    if (!peer_ok(peer) || (!pt && ptlen) || !ct || !ctlen || !prekey_msg) return VN_EINVAL;
    if (ptlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    /* libsignal would "encrypt" with an empty record; refuse clearly. */
    if (!vn_e2ee_has_session(self, peer)) return VN_ENOSESSION;
    signal_protocol_address addr = peer_address(peer);
    rc = session_cipher_create(&cipher, self->store, &addr, self->ctx);
    if (rc >= 0) rc = session_cipher_encrypt(cipher, pt, ptlen, &msg);
    if (rc < 0) goto out;
    signal_buffer *ser = ciphertext_message_get_serialized(msg);
    size_t len = signal_buffer_len(ser);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        rc = SG_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, signal_buffer_data(ser), len);
    *ct = copy;
    *ctlen = len;
    *prekey_msg = ciphertext_message_get_type(msg) == CIPHERTEXT_PREKEY_TYPE;

out:
    SIGNAL_UNREF(msg);
    session_cipher_free(cipher);
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_decrypt(vn_e2ee *self, const char *peer, bool prekey_msg, const uint8_t *ct,
                       size_t ctlen, uint8_t **pt, size_t *ptlen)
{
    pre_key_signal_message *pkm = NULL;
    signal_message *sm = NULL;
    session_cipher *cipher = NULL;
    signal_buffer *plain = NULL;
    uint8_t *copy = NULL;
    vn_err err;
    int rc;

    if (!peer_ok(peer) || !ct || !pt || !ptlen) return VN_EINVAL;
    if (ctlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    if (prekey_msg)
        rc = pre_key_signal_message_deserialize(&pkm, ct, ctlen, self->ctx);
    else
        rc = signal_message_deserialize(&sm, ct, ctlen, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    signal_protocol_address addr = peer_address(peer);
    rc = session_cipher_create(&cipher, self->store, &addr, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }

    err = vn_kv_begin(self->kv);
    if (err) goto out;
    self->defer_identity = true;
    self->deferred = false;
    if (prekey_msg)
        rc = session_cipher_decrypt_pre_key_signal_message(cipher, pkm, NULL, &plain);
    else
        rc = session_cipher_decrypt_signal_message(cipher, sm, NULL, &plain);
    self->defer_identity = false;
    err = e2ee_err_from_sg(rc);
    /* The message authenticated: now the sender's key may be trusted. */
    if (!err && self->deferred)
        err = e2ee_err_from_sg(peer_save_first(self, addr.name, addr.name_len, self->deferred_key));
    self->deferred = false;
    if (!err) {
        size_t len = signal_buffer_len(plain);
        copy = malloc(len ? len : 1);
        if (!copy) {
            /* Committing now would advance the ratchet past a message the
             * caller never sees. */
            vn_kv_abort(self->kv);
            err = VN_ENOMEM;
            goto out;
        }
        memcpy(copy, signal_buffer_data(plain), len);
    }
    err = e2ee_txn_end(self, err);
    if (!err) {
        *pt = copy;
        *ptlen = signal_buffer_len(plain);
        copy = NULL;
    }

out:
    if (copy) {
        explicit_bzero(copy, signal_buffer_len(plain));
        free(copy);
    }
    signal_buffer_bzero_free(plain);
    session_cipher_free(cipher);
    SIGNAL_UNREF(sm);
    SIGNAL_UNREF(pkm);
    return err;
}

/* ---- verification ------------------------------------------------------------ */

vn_err vn_e2ee_safety_number(vn_e2ee *self, const char *peer, char *out, bool *pending)
{
    char account[VN_ACCOUNT_HEX + 1];
    uint8_t local_pub[VN_E2EE_KEY_LEN];
    ec_public_key *local = NULL, *remote = NULL;
    fingerprint_generator *gen = NULL;
    fingerprint *fp = NULL;
    peer_rec rec;
    int rc;

    if (!peer_ok(peer) || !out || !pending) return VN_EINVAL;
    vn_err err = get_exact(self, DB_SELF, KEY(K_ACCOUNT), account, VN_ACCOUNT_HEX);
    if (err == VN_ENOTFOUND) return VN_EINVAL;
    if (err) return err;
    account[VN_ACCOUNT_HEX] = '\0';
    err = peer_load(self, peer, VN_ACCOUNT_HEX, &rec);
    if (!err) err = get_exact(self, DB_SELF, KEY(K_ID_PUB), local_pub, sizeof local_pub);
    if (err) return err;
    bool use_pending = rec.flags & PEER_PENDING;

    rc = curve_decode_point(&local, local_pub, sizeof local_pub, self->ctx);
    if (rc >= 0)
        rc = curve_decode_point(&remote, use_pending ? rec.pending : rec.key, VN_E2EE_KEY_LEN,
                                self->ctx);
    if (rc >= 0)
        rc = fingerprint_generator_create(&gen, FP_ITERATIONS, FP_SCANNABLE_VERSION, self->ctx);
    /* Both sides pass (own id, own key, peer id, peer key); libsignal sorts
     * the two halves, so both show the same 60 digits. */
    if (rc >= 0) rc = fingerprint_generator_create_for(gen, account, local, peer, remote, &fp);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    const char *text = displayable_fingerprint_text(fingerprint_get_displayable(fp));
    if (!text || strlen(text) != VN_E2EE_SAFETY_LEN ||
        strspn(text, "0123456789") != VN_E2EE_SAFETY_LEN) {
        err = VN_EINTERNAL;
        goto out;
    }
    memcpy(out, text, VN_E2EE_SAFETY_LEN + 1);
    *pending = use_pending;

out:
    SIGNAL_UNREF(fp);
    fingerprint_generator_free(gen);
    SIGNAL_UNREF(remote);
    SIGNAL_UNREF(local);
    return err;
}

vn_err vn_e2ee_confirm_peer(vn_e2ee *self, const char *peer)
{
    peer_rec rec;

    if (!peer_ok(peer)) return VN_EINVAL;
    vn_err err = peer_load(self, peer, VN_ACCOUNT_HEX, &rec);
    if (err) return err;
    err = vn_kv_begin(self->kv);
    if (err) return err;
    if (rec.flags & PEER_PENDING) {
        memcpy(rec.key, rec.pending, VN_E2EE_KEY_LEN);
        memset(rec.pending, 0, VN_E2EE_KEY_LEN);
        rec.flags &= (uint8_t)~PEER_PENDING;
        /* The old session's ratchet belongs to the old key; the next
         * message starts fresh from the new key's bundle or prekey message. */
        err = delete_sessions_of(self, peer, VN_ACCOUNT_HEX, NULL);
    }
    rec.flags |= PEER_VERIFIED;
    if (!err) err = peer_store(self, peer, VN_ACCOUNT_HEX, &rec);
    return e2ee_txn_end(self, err);
}

bool vn_e2ee_peer_verified(vn_e2ee *self, const char *peer)
{
    peer_rec rec;
    if (!peer_ok(peer) || peer_load(self, peer, VN_ACCOUNT_HEX, &rec) != VN_OK) return false;
    return (rec.flags & PEER_VERIFIED) && !(rec.flags & PEER_PENDING);
}
