/* Reading a profile of the scrypt era, to move it into the current format.
 *
 * Such a profile has profile.salt (16 bytes) and no profile.key; its store
 * keeps keys in clear and each value as AES-256-GCM (12-byte nonce,
 * ciphertext, 16-byte tag; the AAD is the database index as one byte, then
 * the key) under scrypt(passphrase, salt, N=2^14, r=8, p=1). This module
 * only reads it; client.c writes the new store and swaps it in. */
#ifndef VN_MIGRATE_H
#define VN_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/kv.h"

#define VN_MIGRATE_SALT_NAME "profile.salt"

/* The old store key from pass and dir/profile.salt. VN_ENOTFOUND when the
 * salt is missing, VN_ECRYPTO when it is not 16 bytes, VN_EIO. */
vn_err vn_migrate_old_key(const char *dir, const char *pass, uint8_t key[32]);
/* Checks dir/profile.salt without a passphrase: VN_OK, VN_ENOTFOUND,
 * VN_ECRYPTO (damaged), VN_EIO; why (may be NULL) says what is wrong. */
vn_err vn_migrate_salt_check(const char *dir, char *why, size_t size);

/* Called with each record of an old store, in the clear. */
typedef vn_err (*vn_migrate_fn)(void *ud, int db, const void *key, size_t klen, const void *val,
                                size_t vlen);
/* Calls fn for every record of databases [0, ndb) of old (opened without
 * sealing). A record that does not decrypt under key (a wrong passphrase)
 * ends the walk with VN_EUNTRUSTED; fn's own error ends it too. */
vn_err vn_migrate_each(vn_kv *old, int ndb, const uint8_t key[32], vn_migrate_fn fn, void *ud);

#endif
