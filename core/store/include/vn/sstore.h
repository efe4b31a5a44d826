/* vn_sstore: the server's LMDB store. Every field it keeps is listed in
 * docs/METADATA.md; nothing else may be written here.
 *
 * The tables are private to the store: each is read and written by one
 * module with typed functions (vn/accounts.h, vn/cases.h, ...), and what
 * spans several tables (redeeming an invite, deleting an account, purging
 * a case) is in vn/lifecycle.h.
 *
 * Writes join the caller's open write transaction if there is one (see
 * vn_kv_begin), which is how the server groups a loop turn's writes. */
#ifndef VN_SSTORE_H
#define VN_SSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/kv.h"

typedef struct vn_sstore vn_sstore;

/* Opens the store in dir (which must exist), sealed under key (32 bytes,
 * read only during the call; see vn_kv_seal): nothing of it reaches the
 * disk in the clear. mapsize 0 means 1 GiB. A store with no record yet is
 * given a key check, a sealed record that only this key reads back; an
 * existing store must hold it. On success *out owns the store; free it
 * with vn_sstore_close().
 *
 * Errors: VN_ECRYPTO when key does not open the store (wrong key, or the
 * store was tampered with); VN_EVERSION when the store predates sealing (no
 * key check, readable keys): it cannot be opened as it is; VN_EIO,
 * VN_ESTORE, VN_ENOMEM from the environment. */
vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize, const uint8_t key[32]);
/* Safe on NULL and twice; sets *self_p to NULL. */
void vn_sstore_close(vn_sstore **self_p);
/* The underlying kv (borrowed, valid until the store is closed), for
 * transactions (vn_kv_begin, vn_kv_commit, vn_kv_sub_begin, ...) and
 * vn_kv_usage only: reads and writes of tables go through the store's
 * modules. */
vn_kv *vn_sstore_kv(vn_sstore *self);

/* For tools that handle the store as a whole (a new key, a test's
 * plaintext copy), never for the server's work: the number of tables, the
 * name of table t (0 <= t < count), and a walk over every record of table
 * t in the clear, in key order, as vn_kv_each. */
int vn_sstore_table_count(void);
const char *vn_sstore_table_name(int t);
vn_err vn_sstore_walk(vn_sstore *self, int t, vn_kv_each_fn fn, void *ud);
/* Copies every record of from into to, in one write transaction of to:
 * how a store moves to a new key (open the new one empty under the new
 * key). On error to is left as it was. */
vn_err vn_sstore_copy(vn_sstore *from, vn_sstore *to);

#endif
