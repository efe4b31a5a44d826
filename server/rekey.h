/* vn_rekey: moves a server store to a new store key. Every record is read
 * with the old key and written with the new one into a fresh environment,
 * in one write transaction, which then replaces the old data file in one
 * rename: a crash leaves either the old store (and the old key opens it) or
 * the new one, never a mix. server.key, sealed under the store key
 * (serverkey.h), is sealed anew under the new key and moved into place right
 * after the store. */
#ifndef VN_REKEY_H
#define VN_REKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* Rewrites the store in state_dir from old_key to new_key. Refuses
 * (VN_EEXISTS) while vangnetd runs on state_dir. Errors of opening the old
 * store are vn_sstore_open's (VN_ECRYPTO: old_key is wrong). msg names
 * what failed. *moved tells, also on error, whether the store is under the
 * new key now (the rename happened). */
vn_err vn_rekey_run(const char *state_dir, const uint8_t old_key[32], const uint8_t new_key[32],
                    bool *moved, char *msg, size_t msglen);

#endif
