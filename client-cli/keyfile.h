/* The profile's key file (profile.key): the profile's random 32-byte
 * master key, wrapped by a key derived from the passphrase with Argon2id.
 * Changing the passphrase rewrites this small file only; the store itself,
 * sealed under keys derived from the master key, is not touched.
 *
 * Layout, version 2 (120 bytes; integers big-endian):
 *   0  "VNPK"           magic
 *   4  2                version (1: the same without the checksum, read still)
 *   5  1                KDF: Argon2id v1.3 (libsodium crypto_pwhash)
 *   6  0 0              reserved
 *   8  u32 ops          Argon2id passes (opslimit)
 *  12  u32 mem_kib      Argon2id memory in KiB (memlimit / 1024)
 *  16  salt[16]
 *  32  nonce[24]        XChaCha20-Poly1305
 *  56  wrapped[48]      the master key and its tag; the AAD is bytes 0..32,
 *                       so the version and the cost cannot be altered
 * 104  sum[16]          BLAKE2b-128 of bytes 0..104, unkeyed: tells a
 *                       damaged file from a wrong passphrase */
#ifndef VN_KEYFILE_H
#define VN_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_KEYFILE_NAME    "profile.key"
#define VN_KEYFILE_KEY_LEN 32

/* The standard cost: libsodium's "moderate" Argon2id limits. One unlock
 * took about 0.75 s on the quiet 2-core development machine (docs/CLIENT-STORE.md). */
#define VN_KEYFILE_OPS     3u
#define VN_KEYFILE_MEM_KIB (256u * 1024u)

/* What one passphrase guess costs. */
typedef struct vn_keyfile_cost {
    uint32_t ops;     /* Argon2id passes */
    uint32_t mem_kib; /* Argon2id memory, KiB */
} vn_keyfile_cost;

/* Wraps master under a key from pass at cost, with a fresh salt and nonce,
 * into dir/profile.key, atomically: a temporary file, fsync, rename, fsync
 * of dir; a crash leaves the old file or the new one. VN_EINVAL for a cost
 * libsodium refuses, VN_ENOMEM, VN_EIO. */
vn_err vn_keyfile_write(const char *dir, const char *pass, const uint8_t master[32],
                        const vn_keyfile_cost *cost);
/* Unwraps dir/profile.key with pass into master; *cost (may be NULL) gets
 * the file's cost. VN_ENOTFOUND if there is no key file, VN_EUNTRUSTED for
 * a wrong passphrase, VN_EVERSION for a version or KDF this client does not
 * know, VN_ECRYPTO for a file of the wrong shape or absurd cost, VN_ENOMEM
 * when the KDF's memory cannot be had, VN_EIO. */
vn_err vn_keyfile_read(const char *dir, const char *pass, uint8_t master[32],
                       vn_keyfile_cost *cost);
/* Checks dir/profile.key without the passphrase: VN_OK if it looks whole,
 * VN_ENOTFOUND if it is missing, VN_EVERSION, VN_ECRYPTO if it is damaged
 * (wrong size, magic or checksum, absurd cost), VN_EIO; why gets a phrase
 * saying what is wrong ("it is missing", ...). */
vn_err vn_keyfile_check(const char *dir, char *why, size_t size);

/* The least a new passphrase typed on the terminal must be: at least
 * VN_PASS_MIN_CHARS characters (UTF-8 characters, not bytes) or at least
 * VN_PASS_MIN_WORDS words separated by white space. Argon2id makes each
 * guess dear, but not dear enough for "a". */
#define VN_PASS_MIN_CHARS 12
#define VN_PASS_MIN_WORDS 4
#define VN_PASS_RULE      "at least 12 characters or 4 words"
bool vn_keyfile_pass_strong(const char *pass);

#endif
