/* vn_keys: the public Signal keys accounts publish for others to start
 * end-to-end sessions: an identity key and signed prekey per account, and
 * one-time prekeys, each handed out once. */
#ifndef VN_KEYS_H
#define VN_KEYS_H

#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* A Signal public key (type byte and 32 bytes), and a signature. */
#define VN_KEYS_PUBLIC_LEN 33
#define VN_KEYS_SIG_LEN    64

/* Stores an account's identity and signed prekey and adds its one-time
 * prekeys. VN_EINVAL for keys of the wrong size; VN_EDENIED if a different
 * identity key was published before (an account's identity never changes
 * on the server). With keys->replace_prekeys the one-time prekeys held
 * before are dropped first. *left gets the number of one-time prekeys now
 * held. */
vn_err vn_keys_publish(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                       const Vn__PublishKeys *keys, uint32_t *left);
/* Number of one-time prekeys held for account. */
vn_err vn_keys_prekeys_held(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint32_t *n);
/* Fills *out (a zeroed Vn__Bundle whose byte fields it mallocs; free with
 * vn_keys_bundle_clear) and consumes one one-time prekey if any is left.
 * VN_ENOTFOUND if the account never published keys. */
vn_err vn_keys_bundle_take(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], Vn__Bundle *out);
void vn_keys_bundle_clear(Vn__Bundle *b);
/* The Signal identity key (VN_KEYS_PUBLIC_LEN bytes) an account published. */
vn_err vn_keys_identity(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                        uint8_t key[VN_KEYS_PUBLIC_LEN]);
/* Deletes an account's keys and one-time prekeys. */
vn_err vn_keys_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
