/* vn_meta: the store's own small values: whether its clock may be moved
 * for tests, the test clock's offset, and the server's signing key for
 * sender certificates. */
#ifndef VN_META_H
#define VN_META_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"

#define VN_META_SIGN_PUB_LEN 32 /* Ed25519 public key */
#define VN_META_SIGN_SEC_LEN 64 /* Ed25519 secret key, libsodium's form */

/* Whether the server that last ran on this store had --test-clock (so
 * `vangnetd clock` may move its time). */
bool vn_meta_test_clock(vn_sstore *st);
/* Records whether the server runs with --test-clock. */
vn_err vn_meta_set_test_clock(vn_sstore *st, bool on);
/* The test clock's offset from real time; 0 if never set. */
vn_err vn_meta_clock_offset(vn_sstore *st, uint64_t *offset_ms);
vn_err vn_meta_set_clock_offset(vn_sstore *st, uint64_t offset_ms);
/* The server's Ed25519 key for sender certificates (vn/sealed.h), made
 * and stored on the first call (*made tells; call it inside a write
 * transaction). The secret is the caller's to wipe. */
vn_err vn_meta_signing_key(vn_sstore *st, uint8_t pub[VN_META_SIGN_PUB_LEN],
                           uint8_t sec[VN_META_SIGN_SEC_LEN], bool *made);

/* The format of the store's records, kept in meta as "format" (4 bytes,
 * big-endian). A store of the release before format versions has no such
 * record: it is format 0. Each later format moves an older store forward;
 * one this build does not know is refused. */
#define VN_META_FORMAT 1

/* What vn_meta_open found of a store's format. */
typedef struct vn_meta_format_info {
    uint32_t found;  /* the format the store had (a new store: VN_META_FORMAT) */
    bool newer;      /* found is newer than this build knows: refused (VN_EVERSION) */
    bool upgraded;   /* moved forward to VN_META_FORMAT */
    char kept[4096]; /* the copy of the store as it was, kept before moving it */
} vn_meta_format_info;

/* Opens the store as vn_sstore_open does, then looks at its format: a new
 * store (nothing but its key check) gets VN_META_FORMAT; a newer format is
 * refused (VN_EVERSION, info->newer); an older one, with upgrade, is first
 * copied (compacted, vn_kv_copy) to dir/data-format<N>-<time>.mdb and then
 * moved forward in one write transaction; without upgrade it is opened as
 * it is, for a look (status, a backup's check), and must not be written.
 * info is filled either way. Every program opens the store this way once
 * before its work (vangnetd's prepare_store), so the server's own
 * vn_sstore_open finds it current. */
vn_err vn_meta_open(vn_sstore **out, const char *dir, size_t mapsize, const uint8_t key[32],
                    bool upgrade, vn_meta_format_info *info);
/* The store's format version; 0 when it has none. */
vn_err vn_meta_format(vn_sstore *st, uint32_t *version);

/* The sequence of the last entry of the cluster's replicated log this
 * store holds (server/cluster.c): 0 for a store that never took part in
 * a cluster. Written in the transaction that applies the entry, so the
 * store and its position in the log never disagree; copied with the store
 * by `vangnetd backup`, so a node restored from it goes on from there. */
vn_err vn_meta_log_seq(vn_sstore *st, uint64_t *seq);
vn_err vn_meta_set_log_seq(vn_sstore *st, uint64_t seq);

#endif
