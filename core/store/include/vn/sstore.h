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

#include "vn/err.h"
#include "vn/kv.h"

typedef struct vn_sstore vn_sstore;

/* Opens the store in dir (which must exist). mapsize 0 means 1 GiB. On
 * success *out owns the store; free it with vn_sstore_close(). */
vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize);
/* Safe on NULL and twice; sets *self_p to NULL. */
void vn_sstore_close(vn_sstore **self_p);
/* The underlying kv (borrowed, valid until the store is closed), for
 * transactions (vn_kv_begin, vn_kv_commit, vn_kv_sub_begin, ...) and
 * vn_kv_usage only: reads and writes of tables go through the store's
 * modules. */
vn_kv *vn_sstore_kv(vn_sstore *self);

#endif
