/* Internals shared by e2ee.c (identity, prekeys, 1:1 sessions) and
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

/* Maps a libsignal return code (or one of ours passed through it) to a vn_err. */
vn_err e2ee_err_from_sg(int rc);
/* Ends a transaction level opened with vn_kv_begin(); returns err, or the
 * commit's error if err is VN_OK. */
vn_err e2ee_txn_end(vn_e2ee *self, vn_err err);
/* Copies a stored record into a new signal_buffer (the copy kv made is
 * wiped). Returns 1 if found, 0 if absent, or a negative error. */
int e2ee_load_buffer(vn_e2ee *self, int which, const void *key, size_t klen, signal_buffer **out);
/* Installs the sender key store (e2ee_group.c) into self->store. */
vn_err e2ee_group_install(vn_e2ee *self);

#endif
