/* vn_sstore: the server's LMDB store. Every field it keeps is listed in
 * docs/METADATA.md; nothing else may be written here.
 *
 * Writes join the caller's open write transaction if there is one (see
 * vn_kv_begin), which is how the server groups a loop turn's writes. */
#ifndef VN_SSTORE_H
#define VN_SSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/invite.h"
#include "vn/kv.h"
#include "vn/role.h"
#include "vn/util.h"

/* Database indices; their names are in sstore.c and docs/METADATA.md. */
enum {
    VN_DB_META,        /* store format version, test clock offset, message sequence */
    VN_DB_INVITES,     /* sha256(secret) -> role, expiry, redeemed time */
    VN_DB_ACCOUNTS,    /* account -> role, created time, device CURVE key */
    VN_DB_DEVICES,     /* device CURVE key -> account */
    VN_DB_KEYS,        /* account -> Signal public identity and signed prekey */
    VN_DB_PREKEYS,     /* account|prekey id -> one-time prekey (public) */
    VN_DB_MAILBOX,     /* recipient|seq -> time, envelope (ciphertext) */
    VN_DB_MSGINDEX,    /* recipient|message id -> seq */
    VN_DB_CASES,       /* case -> state, casemanager, created, closed */
    VN_DB_MEMBERS,     /* case|account -> role, added */
    VN_DB_MEMBEROF,    /* account -> case */
    VN_DB_CMCASES,     /* casemanager|case -> (empty) */
    VN_DB_AUDIT,       /* participant|minute|reader|what -> (empty) */
    VN_DB_CONTRACTS,   /* case|version -> canonical contract, signature, times */
    VN_DB_EVENTS,      /* case|day|kind -> count */
    VN_DB_ABSENCES,    /* case|from day|kind -> to day */
    VN_DB_SCHED,       /* case -> last day the scheduler closed */
    VN_DB_NOTICES,     /* case|kind|item|day -> (empty): notices already sent */
    VN_DB_ALERTS,      /* alert -> case, kind, severity, state, level, times, claimer */
    VN_DB_ATTEST,      /* case|role -> time: one attestation of both disclosure gates */
    VN_DB_DISCLOSURES, /* case|time -> (empty): a disclosure attested by both */
    VN_DB_QUIET,       /* account -> quiet hours (start, end minute) */
    VN_DB_DEFERRED,    /* account|alert|notice kind -> (empty): held during quiet hours */
    VN_DB_COUNT
};

typedef struct vn_sstore vn_sstore;

/* Opens the store in dir (which must exist). mapsize 0 means 1 GiB. */
vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize);
void vn_sstore_close(vn_sstore **self_p);
/* The underlying kv, for transactions and the clock (borrowed). */
vn_kv *vn_sstore_kv(vn_sstore *self);

/* Creates an invite for role, into case_id (NULL for staff roles), that
 * expires ttl_ms after now; secret[] gets the one-time secret for the code
 * (only its hash is stored). */
vn_err vn_sstore_invite_create(vn_sstore *self, vn_role role, const uint8_t *case_id, uint64_t now,
                               uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN]);
/* Redeems secret for the device key: creates an account with a random id
 * and, for an invite into a case, makes it a member. VN_EINVITE_BAD
 * (unknown), VN_EINVITE_USED, VN_EINVITE_EXPIRED, VN_EDENIED (the case was
 * closed), or VN_EEXISTS if the device key already belongs to an account. */
vn_err vn_sstore_invite_redeem(vn_sstore *self, const uint8_t secret[VN_INVITE_SECRET_LEN],
                               const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                               uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
/* Deletes every invite into a case (with its purge). */
vn_err vn_sstore_invites_purge_case(vn_sstore *self, const uint8_t case_id[VN_ACCOUNT_LEN]);
/* Removes the account, its device, keys, prekeys and mailbox, and every
 * envelope it sent that still waits in another mailbox. */
vn_err vn_sstore_account_delete(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN]);
/* The role of an account; VN_ENOTFOUND if there is no such account. */
vn_err vn_sstore_account_role(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                              vn_role *role);

/* Looks up the account of a device key. VN_ENOTFOUND if unregistered. */
vn_err vn_sstore_device_lookup(vn_sstore *self, const uint8_t device_key[VN_CURVE_KEY_LEN],
                               uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
bool vn_sstore_account_exists(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN]);

/* Stores an account's identity and signed prekey and adds its one-time
 * prekeys. VN_EDENIED if a different identity key was published before
 * (an account's identity never changes on the server). *left gets the
 * number of one-time prekeys now held. */
vn_err vn_sstore_keys_publish(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                              const Vn__PublishKeys *keys, uint32_t *left);
/* Number of one-time prekeys held for account. */
vn_err vn_sstore_prekeys_held(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], uint32_t *n);
/* Fills *out (a zeroed Vn__Bundle whose byte fields it mallocs; free with
 * vn_sstore_bundle_clear) and consumes one one-time prekey if any is left.
 * VN_ENOTFOUND if the account never published keys. */
vn_err vn_sstore_bundle_take(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                             Vn__Bundle *out);
void vn_sstore_bundle_clear(Vn__Bundle *b);

/* The Signal identity key (33 bytes) an account published. */
vn_err vn_sstore_identity_key(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                              uint8_t key[33]);

/* Stores an envelope for recipient `to`. A second put with the same id is
 * not stored again: *dup is set and *time_ms gets the first one's time. */
vn_err vn_sstore_mail_put(vn_sstore *self, const uint8_t to[VN_ACCOUNT_LEN],
                          const Vn__Envelope *env, bool *dup, uint64_t *time_ms);
/* Calls fn with up to max envelopes for account, oldest first; *more tells
 * whether others wait. The envelope is valid only during the call. */
typedef vn_err (*vn_sstore_mail_fn)(void *ud, const Vn__Envelope *env);
vn_err vn_sstore_mail_fetch(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], size_t max,
                            vn_sstore_mail_fn fn, void *ud, bool *more);
/* Deletes a delivered envelope. VN_ENOTFOUND if there is none with that id. */
vn_err vn_sstore_mail_ack(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN],
                          const uint8_t id[VN_MSGID_LEN]);
/* Number of envelopes waiting for account. */
vn_err vn_sstore_mail_count(vn_sstore *self, const uint8_t account[VN_ACCOUNT_LEN], size_t *count);
/* Deletes envelopes stored before now - ttl_ms, and invites past expiry;
 * *expired gets the number of envelopes removed. */
vn_err vn_sstore_expire(vn_sstore *self, uint64_t now, uint64_t ttl_ms, size_t *expired);

#endif
