/* vn_storekey: the file that holds the store key (see vn_sstore_open and
 * docs/THREAT-MODEL.md). The file is the key as 64 hex characters and a
 * newline, so it can be made, read and checked with ordinary tools and
 * handed over by systemd (LoadCredentialEncrypted=vangnetd-store-key, which
 * systemd-creds can bind to the machine's TPM). It must never lie in the
 * state directory: a copy of that directory is exactly what the key is
 * meant to make useless. */
#ifndef VN_STOREKEY_H
#define VN_STOREKEY_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_STOREKEY_LEN        32
#define VN_STOREKEY_CREDENTIAL "vangnetd-store-key"

/* The key file to use: path if given, else the systemd credential
 * ($CREDENTIALS_DIRECTORY/vangnetd-store-key) when CREDENTIALS_DIRECTORY is
 * set. Writes it into out; VN_ENOTFOUND (with a message) when there is
 * neither, VN_ETOOBIG when it does not fit. */
vn_err vn_storekey_path(const char *path, char *out, size_t size, char *msg, size_t msglen);

/* Reads the key from the file at path into key, after checking that it
 * lies outside state_dir, is a regular file no group or other may read, and
 * holds exactly one key. On error key is wiped and msg says what was wrong
 * and what to do: VN_ENOTFOUND, VN_EIO (unreadable), VN_EDENIED (inside the
 * state directory, or open to group or others), VN_EINVAL (size, format). */
vn_err vn_storekey_load(const char *path, const char *state_dir, uint8_t key[VN_STOREKEY_LEN],
                        char *msg, size_t msglen);

/* Makes a new random key and writes it to a new file at path (mode 0600;
 * never over an existing file: VN_EEXISTS), which must lie outside
 * state_dir (VN_EDENIED). On success key holds it; on error it is wiped. */
vn_err vn_storekey_create(const char *path, const char *state_dir, uint8_t key[VN_STOREKEY_LEN],
                          char *msg, size_t msglen);

#endif
