/* Internals shared by e2ee.c (identity, prekeys, 1:1 sessions),
 * e2ee_store.c (kv records and the libsignal stores over them) and
 * e2ee_group.c (sender keys). Not installed; nothing outside core/src
 * includes it. */
#ifndef VN_E2EE_INTERNAL_H
#define VN_E2EE_INTERNAL_H

#include <signal/signal_protocol.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/crypto.h"
#include "vn/e2ee.h"

/* Offsets of our databases from first_db, in VN_E2EE_DBS order. */
enum { DB_SELF, DB_PREKEY, DB_SPK, DB_SESSION, DB_PEER, DB_GROUP };

/* Every peer, and this device, is device 1 of its account. */
#define DEVICE_ID 1

#define PRIV_LEN 32 /* serialized Curve25519 private key */

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
#define PEER_VERIFIED 0x01
#define PEER_PENDING  0x02

typedef struct peer_rec {
    uint8_t flags;                    /* PEER_VERIFIED, PEER_PENDING */
    uint8_t key[VN_E2EE_KEY_LEN];     /* the trusted identity key */
    uint8_t pending[VN_E2EE_KEY_LEN]; /* a changed key seen later, if PEER_PENDING */
} peer_rec;

struct vn_e2ee {
    vn_kv *kv;                             /* borrowed from the caller */
    int first_db;                          /* index of e2ee_self in kv */
    vn_crypto *crypto;                     /* owns the libsignal context and its lock */
    signal_context *ctx;                   /* borrowed from crypto */
    signal_protocol_store_context *store;  /* our callbacks over kv */
    bool defer_identity;                   /* inside decrypt: hold back identity saves */
    bool deferred;                         /* deferred_key holds a key to save */
    uint8_t deferred_key[VN_E2EE_KEY_LEN]; /* the sender's key, saved once it authenticates */
};

/* Index in kv of one of our databases (DB_*). */
static inline int dbi(const vn_e2ee *self, int which)
{
    return self->first_db + which;
}

/* ---- e2ee.c ---- */

/* Maps a libsignal return code (or one of ours passed through it) to a vn_err. */
vn_err e2ee_err_from_sg(int rc);
/* Ends a transaction level opened with vn_kv_begin(); returns err, or the
 * commit's error if err is VN_OK. */
vn_err e2ee_txn_end(vn_e2ee *self, vn_err err);

/* ---- e2ee_store.c ---- */

/* Reads a value of database which (DB_*) that must be exactly len bytes;
 * VN_ESTORE if it has another length. The copy kv made is wiped. */
vn_err e2ee_get_exact(vn_e2ee *self, int which, const void *key, size_t klen, void *out,
                      size_t len);
/* Big-endian u32 values in e2ee_self. */
vn_err e2ee_get_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t *out);
vn_err e2ee_put_u32(vn_e2ee *self, const char *key, size_t klen, uint32_t v);
/* Copies a stored record into a new signal_buffer (the copy kv made is
 * wiped). Returns 1 if found, 0 if absent, or a negative error. */
int e2ee_load_buffer(vn_e2ee *self, int which, const void *key, size_t klen, signal_buffer **out);
/* The peer record of name; VN_ENOTFOUND if none, VN_ESTORE if malformed. */
vn_err e2ee_peer_load(vn_e2ee *self, const char *name, size_t name_len, peer_rec *rec);
vn_err e2ee_peer_store(vn_e2ee *self, const char *name, size_t name_len, const peer_rec *rec);
/* Stores key for name if it has no record yet; SG_ERR_UNTRUSTED_IDENTITY
 * if the record holds another key. */
int e2ee_peer_save_first(vn_e2ee *self, const char *name, size_t name_len,
                         const uint8_t key[VN_E2EE_KEY_LEN]);
/* The session store's contains callback: 1 if address has a session. */
int e2ee_contains_session(const signal_protocol_address *address, void *user_data);
/* Deletes every session of name; *n (if n is not NULL) gets how many. */
vn_err e2ee_delete_sessions_of(vn_e2ee *self, const char *name, size_t name_len, size_t *n);
/* Writes or removes (absent is fine) record id of DB_PREKEY or DB_SPK. */
int e2ee_store_id_record(vn_e2ee *self, int which, uint32_t id, const uint8_t *record, size_t len);
int e2ee_remove_id_record(vn_e2ee *self, int which, uint32_t id);
/* Installs all our stores into self->store, the group one included. */
vn_err e2ee_store_install(vn_e2ee *self);

/* ---- e2ee_group.c ---- */

/* Ends a decrypt's transaction (level opened by the caller) and, if err is
 * VN_OK, hands a malloc'd copy of plain to *pt. Out of memory aborts the
 * transaction, so no state advances past a message the caller never sees. */
vn_err e2ee_finish_decrypt(vn_e2ee *self, vn_err err, const signal_buffer *plain, uint8_t **pt,
                           size_t *ptlen);
/* Installs the sender key store into self->store. */
vn_err e2ee_group_install(vn_e2ee *self);

#endif
