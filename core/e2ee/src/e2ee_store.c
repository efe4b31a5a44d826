/* How a vn_e2ee keeps its state in kv: the record helpers, the peer trust
 * records, and the libsignal session, prekey, signed prekey and identity
 * key stores over them, installed into the store context at open. Split
 * from e2ee.c so that file holds only the protocol operations; the sender
 * key store lives with the group code in e2ee_group.c. */
#include "e2ee_internal.h"

#include <signal/signal_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "vn/be.h"
#include <stdbool.h>
#include <stdint.h>

/* Address names are account ids; anything longer is refused before it can
 * become an LMDB key (511 bytes at most). */
#define NAME_MAX_LEN    64
#define SESSION_KEY_MAX (NAME_MAX_LEN + 1 + 4)

/* A peer record's layout; see peer_rec in e2ee_internal.h. */
#define PEER_FORMAT  1
#define PEER_REC_LEN (2 + 2 * VN_E2EE_KEY_LEN)

/* ---- kv records --------------------------------------------------------- */

/* Reads a value that must be exactly len bytes. The copy kv made is wiped
 * because some of these values are private keys. */
vn_err e2ee_get_exact(vn_e2ee *self, int which, const void *key, size_t klen, void *out, size_t len)
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

vn_err e2ee_get_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t *out)
{
    uint8_t be[4];
    vn_err err = e2ee_get_exact(self, DB_SELF, key, klen, be, sizeof be);
    if (!err) *out = vn_be_get32(be);
    return err;
}

vn_err e2ee_put_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t v)
{
    uint8_t be[4];
    vn_be_put32(be, v);
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

/* ---- peer records --------------------------------------------------- */

vn_err e2ee_peer_load(vn_e2ee *self, const char *name, size_t name_len, peer_rec *rec)
{
    uint8_t raw[PEER_REC_LEN];
    vn_err err = e2ee_get_exact(self, DB_PEER, name, name_len, raw, sizeof raw);
    if (err) return err;
    if (raw[0] != PEER_FORMAT) return VN_ESTORE;
    rec->flags = raw[1];
    memcpy(rec->key, raw + 2, VN_E2EE_KEY_LEN);
    memcpy(rec->pending, raw + 2 + VN_E2EE_KEY_LEN, VN_E2EE_KEY_LEN);
    return VN_OK;
}

vn_err e2ee_peer_store(vn_e2ee *self, const char *name, size_t name_len, const peer_rec *rec)
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
int e2ee_peer_save_first(vn_e2ee *self, const char *name, size_t name_len,
                         const uint8_t key[VN_E2EE_KEY_LEN])
{
    peer_rec rec;
    vn_err err = e2ee_peer_load(self, name, name_len, &rec);
    if (err == VN_ENOTFOUND) {
        memset(&rec, 0, sizeof rec);
        memcpy(rec.key, key, VN_E2EE_KEY_LEN);
        return e2ee_peer_store(self, name, name_len, &rec);
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
    vn_be_put32(key + name_len + 1, (uint32_t)device);
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

static vn_err collect_device(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                             bool *stop)
{
    device_walk *w = ud;
    if (klen != w->plen + 4) return VN_OK;
    int32_t device = (int32_t)vn_be_get32((const uint8_t *)key + w->plen);
    return signal_int_list_push_back(w->list, device) < 0 ? VN_ENOMEM : VN_OK;
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

int e2ee_contains_session(const signal_protocol_address *address, void *user_data)
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

vn_err e2ee_delete_sessions_of(vn_e2ee *self, const char *name, size_t name_len, size_t *n)
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
    vn_err err = e2ee_delete_sessions_of(user_data, name, name_len, &n);
    if (err) return err == VN_EINVAL ? SG_ERR_INVAL : err;
    return (int)n;
}

/* ---- one-time and signed prekey stores -------------------------------- */

static int load_id_record(vn_e2ee *self, int which, uint32_t id, signal_buffer **record)
{
    uint8_t key[4];
    vn_be_put32(key, id);
    int rc = e2ee_load_buffer(self, which, key, sizeof key, record);
    if (rc < 0) return rc;
    /* libsignal expects this code, not 0, for a key it does not have. */
    return rc == 1 ? SG_SUCCESS : SG_ERR_INVALID_KEY_ID;
}

int e2ee_store_id_record(vn_e2ee *self, int which, uint32_t id, const uint8_t *record, size_t len)
{
    uint8_t key[4];
    vn_be_put32(key, id);
    return vn_kv_put(self->kv, dbi(self, which), key, sizeof key, record, len);
}

static int contains_id_record(vn_e2ee *self, int which, uint32_t id)
{
    uint8_t key[4];
    vn_be_put32(key, id);
    return vn_kv_has(self->kv, dbi(self, which), key, sizeof key);
}

int e2ee_remove_id_record(vn_e2ee *self, int which, uint32_t id)
{
    uint8_t key[4];
    vn_be_put32(key, id);
    vn_err err = vn_kv_del(self->kv, dbi(self, which), key, sizeof key);
    return err == VN_ENOTFOUND ? SG_SUCCESS : err;
}

static int load_pre_key(signal_buffer **record, uint32_t id, void *user_data)
{
    return load_id_record(user_data, DB_PREKEY, id, record);
}

static int store_pre_key(uint32_t id, uint8_t *record, size_t len, void *user_data)
{
    return e2ee_store_id_record(user_data, DB_PREKEY, id, record, len);
}

static int contains_pre_key(uint32_t id, void *user_data)
{
    return contains_id_record(user_data, DB_PREKEY, id);
}

static int remove_pre_key(uint32_t id, void *user_data)
{
    return e2ee_remove_id_record(user_data, DB_PREKEY, id);
}

static int load_signed_pre_key(signal_buffer **record, uint32_t id, void *user_data)
{
    return load_id_record(user_data, DB_SPK, id, record);
}

static int store_signed_pre_key(uint32_t id, uint8_t *record, size_t len, void *user_data)
{
    return e2ee_store_id_record(user_data, DB_SPK, id, record, len);
}

static int contains_signed_pre_key(uint32_t id, void *user_data)
{
    return contains_id_record(user_data, DB_SPK, id);
}

static int remove_signed_pre_key(uint32_t id, void *user_data)
{
    return e2ee_remove_id_record(user_data, DB_SPK, id);
}

/* ---- identity key store ------------------------------------------------ */

static int get_identity_key_pair(signal_buffer **public_data, signal_buffer **private_data,
                                 void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t pub[VN_E2EE_KEY_LEN], priv[PRIV_LEN];
    int rc = SG_ERR_NOMEM;

    vn_err err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PUB), pub, sizeof pub);
    if (!err) err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PRIV), priv, sizeof priv);
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
    return e2ee_get_u32(user_data, KEY(K_REG_ID), registration_id);
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
    return e2ee_peer_save_first(self, address->name, address->name_len, key_data);
}

static int is_trusted_identity(const signal_protocol_address *address, uint8_t *key_data,
                               size_t key_len, void *user_data)
{
    vn_e2ee *self = user_data;
    peer_rec rec;

    if (!name_ok(address->name, address->name_len)) return SG_ERR_INVAL;
    if (!key_data || key_len != VN_E2EE_KEY_LEN) return SG_ERR_INVALID_KEY;
    vn_err err = e2ee_peer_load(self, address->name, address->name_len, &rec);
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
    err = e2ee_peer_store(self, address->name, address->name_len, &rec);
    return err ? err : 0;
}

/* ---- installation -------------------------------------------------------- */

vn_err e2ee_store_install(vn_e2ee *self)
{
    signal_protocol_session_store ss = {
        .load_session_func = load_session,
        .get_sub_device_sessions_func = get_sub_device_sessions,
        .store_session_func = store_session,
        .contains_session_func = e2ee_contains_session,
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
