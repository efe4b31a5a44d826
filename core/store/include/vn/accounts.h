/* vn_accounts: accounts and the device key each one connects with. An
 * account id is random; the server keeps its role, when it was created and
 * its device's CURVE public key (and the reverse lookup from that key).
 * Creating one from an invite, and deleting one with everything it owns,
 * are in vn/lifecycle.h. */
#ifndef VN_ACCOUNTS_H
#define VN_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/invite.h"
#include "vn/role.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most accounts vn_accounts_with_role lists. */
#define VN_ACCOUNTS_LIST_MAX 4096

/* Creates an account with role for device_key, with a fresh random id in
 * account[]. VN_EEXISTS if the device key already belongs to an account. */
vn_err vn_accounts_create(vn_sstore *st, vn_role role, const uint8_t device_key[VN_CURVE_KEY_LEN],
                          uint64_t now, uint8_t account[VN_ACCOUNT_LEN]);
/* Deletes the account and its device key. VN_ENOTFOUND if there is none. */
vn_err vn_accounts_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);
bool vn_accounts_exists(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);
/* Whether device_key belongs to an account. */
bool vn_accounts_has_device(vn_sstore *st, const uint8_t device_key[VN_CURVE_KEY_LEN]);
/* The role of an account; VN_ENOTFOUND if there is no such account. */
vn_err vn_accounts_role(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
/* Looks up the account of a device key. VN_ENOTFOUND if unregistered. */
vn_err vn_accounts_by_device(vn_sstore *st, const uint8_t device_key[VN_CURVE_KEY_LEN],
                             uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
/* A cache of vn_accounts_by_device (the server keeps one per connection)
 * stays right with these two. The generation changes with every write to
 * the accounts and devices tables (an account created or deleted, a
 * device or a role changed): an entry noted at another generation is
 * stale. An entry read while a write to them is still uncommitted in the
 * open transaction (not settled) must not be kept at all: that write may
 * yet be discarded, and then nothing would change the generation again. */
uint64_t vn_accounts_generation(const vn_sstore *st);
/* Records written to the store by other means than this module (a cluster
 * follower applying the writer's log, docs/CLUSTER.md) may have changed
 * accounts or devices: the generation changes as for a write here. */
void vn_accounts_written_raw(vn_sstore *st);
bool vn_accounts_settled(const vn_sstore *st);
/* Every account with role (such as the medical leads): *out gets a
 * malloc'd array of *n ids (NULL when none; caller frees). VN_ETOOBIG if
 * there are more than VN_ACCOUNTS_LIST_MAX. */
vn_err vn_accounts_with_role(vn_sstore *st, vn_role role, uint8_t (**out)[VN_ACCOUNT_LEN],
                             size_t *n);

#endif
