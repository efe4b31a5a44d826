/* vn_e2ee: end-to-end encryption for one device, over libsignal-protocol-c.
 *
 * All Signal state (identity key pair, registration id, signed prekeys,
 * one-time prekeys, sessions, peers' identity keys and their verified
 * state, group sender keys) lives in the caller's vn_kv store, in the
 * databases named by VN_E2EE_DBS. Writes go through vn_kv_put (and
 * vn_kv_del), so they join any write transaction the caller has open: the
 * caller decides when state is durable (for example, together with the
 * message it decrypted). As with
 * vn_kv_put, a failed write (VN_ESTORE, VN_EFULL) or VN_ENOMEM in the middle
 * of an operation aborts the whole write transaction; other failures keep
 * what was written (such as a pending identity key after VN_EUNTRUSTED).
 *
 * Peers are addressed by account id (32 hex chars), device id 1; a
 * malformed peer id gives VN_EINVAL (false from the predicates).
 *
 * The stores keep the first identity key seen for a peer (trust on first
 * use, unverified). A different key later is refused (VN_EUNTRUSTED) until
 * the user compares safety numbers and calls vn_e2ee_confirm_peer().
 *
 * Team messages use Signal sender keys (vn_e2ee_group_*): each member has
 * its own sending key per group, and hands it to every other member as a
 * distribution message over the 1:1 sessions above. */
#ifndef VN_E2EE_H
#define VN_E2EE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/kv.h"

/* Names of the databases e2ee needs; the caller opens its vn_kv with these
 * at indices [first, first + VN_E2EE_NDBS). */
#define VN_E2EE_DBS                                                                                \
    "e2ee_self", "e2ee_prekey", "e2ee_spk", "e2ee_session", "e2ee_peer", "e2ee_group"
#define VN_E2EE_NDBS 6

#define VN_E2EE_KEY_LEN          33 /* serialized Curve25519 public key (type byte + 32) */
#define VN_E2EE_SIG_LEN          64
#define VN_E2EE_SAFETY_LEN       60        /* digits of a safety number, shown in groups of 5 */
#define VN_E2EE_MAX_PREKEY_BATCH 1000      /* most one-time prekeys made in one call */
#define VN_E2EE_MAX_MSG          (1 << 20) /* longest plaintext or ciphertext accepted */

typedef struct vn_e2ee vn_e2ee;

/* What a device publishes so others can start a session with it. */
typedef struct vn_bundle {
    uint32_t registration_id;
    uint8_t identity_key[VN_E2EE_KEY_LEN];
    uint32_t signed_prekey_id;
    uint8_t signed_prekey[VN_E2EE_KEY_LEN];
    uint8_t signed_prekey_sig[VN_E2EE_SIG_LEN];
    bool has_prekey; /* a one-time prekey is optional */
    uint32_t prekey_id;
    uint8_t prekey[VN_E2EE_KEY_LEN];
} vn_bundle;

/* One one-time prekey to upload. */
typedef struct vn_prekey_pub {
    uint32_t id;
    uint8_t key[VN_E2EE_KEY_LEN];
} vn_prekey_pub;

/* Opens the Signal context over kv (borrowed; must outlive the e2ee).
 * first_db is the index of "e2ee_self" in kv's database list; VN_EINVAL if
 * kv has no database at first_db + VN_E2EE_NDBS - 1. On success *out owns
 * the e2ee; free it with vn_e2ee_close(). Not thread-safe: use one e2ee
 * from one thread, like its kv. */
vn_err vn_e2ee_open(vn_e2ee **out, vn_kv *kv, int first_db);
/* Safe on NULL and twice; sets *self_p to NULL. */
void vn_e2ee_close(vn_e2ee **self_p);

/* Records this device's own account id (32 hex chars), which the safety
 * number needs as this side's stable identifier. Call it once the account
 * is known; it is kept in the store. VN_EINVAL if account is malformed. */
vn_err vn_e2ee_set_account(vn_e2ee *self, const char *account);

/* True once vn_e2ee_create_identity() has run on this store. */
bool vn_e2ee_has_identity(vn_e2ee *self);
/* Creates the identity key pair, registration id and the first signed
 * prekey. VN_EEXISTS if an identity exists already. */
vn_err vn_e2ee_create_identity(vn_e2ee *self);
/* Fills the public part of this device's bundle (without a one-time prekey). */
vn_err vn_e2ee_public_bundle(vn_e2ee *self, vn_bundle *out);

/* Generates count new one-time prekeys (ids continue from the last) and
 * returns their public halves in a malloc'd array *out (caller frees).
 * VN_EINVAL if count is 0, VN_ETOOBIG above VN_E2EE_MAX_PREKEY_BATCH. */
vn_err vn_e2ee_generate_prekeys(vn_e2ee *self, uint32_t count, vn_prekey_pub **out);
/* Number of one-time prekeys still held locally (not yet used by a peer). */
vn_err vn_e2ee_prekey_count(vn_e2ee *self, uint32_t *count);

/* How long a signed prekey is kept after it was made: a peer's first
 * message names the key of the bundle it fetched, maybe long before (a
 * session prepared ahead, a message waiting 30 days on the server). */
#define VN_E2EE_SPK_KEEP_MS (60ULL * 86400000)
/* Rotates the signed prekey if the current one is older than max_age_ms
 * (now_ms is the current time). *rotated tells whether it did. Earlier
 * signed prekeys are kept until they are VN_E2EE_SPK_KEEP_MS old (the one
 * just replaced in any case), so first messages made from an older bundle
 * still open. */
vn_err vn_e2ee_rotate_signed_prekey(vn_e2ee *self, uint64_t now_ms, uint64_t max_age_ms,
                                    bool *rotated);

/* Starts a session with peer from its bundle. VN_EUNTRUSTED if the bundle's
 * identity key differs from the one stored for peer (nothing is changed; the
 * new key is remembered as pending for vn_e2ee_safety_number). VN_ECRYPTO if
 * the signed prekey signature is bad or a key does not decode; the signature
 * is checked first, so a forged bundle never leaves a pending key. */
vn_err vn_e2ee_start_session(vn_e2ee *self, const char *peer, const vn_bundle *bundle);
bool vn_e2ee_has_session(vn_e2ee *self, const char *peer);

/* Encrypts for peer. *ct is malloc'd (caller frees); *prekey_msg tells
 * whether it is a PreKeySignalMessage (first messages of a session).
 * VN_ENOSESSION if no session exists, VN_ETOOBIG above VN_E2EE_MAX_MSG. */
vn_err vn_e2ee_encrypt(vn_e2ee *self, const char *peer, const uint8_t *pt, size_t ptlen,
                       uint8_t **ct, size_t *ctlen, bool *prekey_msg);
/* Decrypts a message from peer. *pt is malloc'd (caller frees). A first
 * prekey message stores the sender's key (trust on first use) only once it
 * has authenticated.
 * VN_EUNTRUSTED if the peer's identity key changed (the new key is kept as
 * pending), VN_EDUPLICATE for a message already decrypted, VN_ENOSESSION for
 * a non-prekey message without a session, VN_ECRYPTO for anything that
 * fails to parse or authenticate (also a prekey message naming a signed
 * prekey that was rotated out), VN_ETOOBIG above VN_E2EE_MAX_MSG. */
vn_err vn_e2ee_decrypt(vn_e2ee *self, const char *peer, bool prekey_msg, const uint8_t *ct,
                       size_t ctlen, uint8_t **pt, size_t *ptlen);

/* Safety number between this device and peer: 60 digits, NUL-terminated,
 * into out (size >= VN_E2EE_SAFETY_LEN + 1). Uses the pending (changed)
 * identity key if there is one, so the user verifies what they will trust.
 * *pending tells whether that is the case. VN_ENOTFOUND if peer's key is unknown,
 * VN_EINVAL if vn_e2ee_set_account() was never called. */
vn_err vn_e2ee_safety_number(vn_e2ee *self, const char *peer, char *out, bool *pending);
/* The user compared the safety number: marks peer's key verified, and if a
 * changed key was pending, replaces the stored key with it and drops the old
 * session so the next message starts a fresh one. */
vn_err vn_e2ee_confirm_peer(vn_e2ee *self, const char *peer);
/* Whether peer's current key was verified by the user; false while a
 * changed key is pending. */
bool vn_e2ee_peer_verified(vn_e2ee *self, const char *peer);

/* ---- team (group) messages with sender keys ----
 *
 * group is a case id and sender an account id (32 lowercase hex chars
 * each); a malformed one gives VN_EINVAL. A receiver keeps, per group and
 * sender, up to 5 of that sender's keys (libsignal's limit), newest first:
 * messages made under a key that was rotated out still decrypt while it is
 * among the last 5. A sender key message is signed, so a message is bound
 * to the sender whose key verifies it; which member sent it is told by the
 * caller (the server's envelope), and a message handed over under the wrong
 * sender gives VN_ENOSESSION. A receiver keeps up to 2000 skipped message
 * keys per sender key and can skip at most 2000 messages ahead; further
 * ahead gives VN_ECRYPTO until a fresh distribution is processed. */

/* This device's current sender key for group as a serialized
 * SenderKeyDistributionMessage (creating the key on first use); send it to
 * every member over 1:1 sessions. *msg is malloc'd (caller frees) and is
 * secret: anyone holding it can read the group's messages from this device
 * until the next rotation. Calling it again without a rotation gives the
 * same key at its current position, for a member who joined later: it
 * cannot read messages sent before (they give VN_EDUPLICATE, as libsignal
 * cannot tell them from replays). */
vn_err vn_e2ee_group_distribution(vn_e2ee *self, const char *group, uint8_t **msg, size_t *len);
/* Forgets this device's own sender key for group (after a member left), so
 * the next vn_e2ee_group_distribution() creates a fresh key that former
 * members never receive. Until then vn_e2ee_group_encrypt() gives
 * VN_ENOSESSION, so nothing is sent under a key nobody holds. VN_OK also
 * when there was no key. */
vn_err vn_e2ee_group_rotate(vn_e2ee *self, const char *group);
/* Stores sender's key from a distribution message received (over a 1:1
 * session) from sender; only call it with what that session authenticated.
 * A distribution of a new key becomes sender's current key, and the older
 * keys stay for messages still in flight (see above). A distribution of a
 * key already held is a no-op, unless it starts more than 2000 messages
 * past where we are (then it replaces that key, so we can catch up): an
 * older copy can never re-open messages already decrypted.
 * VN_ECRYPTO if msg does not parse, VN_ETOOBIG above VN_E2EE_MAX_MSG. */
vn_err vn_e2ee_group_process(vn_e2ee *self, const char *group, const char *sender,
                             const uint8_t *msg, size_t len);
/* Encrypts for the whole group with our sender key. *ct is malloc'd
 * (caller frees). VN_ENOSESSION if no distribution was made yet (or none
 * since vn_e2ee_group_rotate()), VN_ETOOBIG above VN_E2EE_MAX_MSG. This
 * device cannot decrypt its own group messages: keep the plaintext. */
vn_err vn_e2ee_group_encrypt(vn_e2ee *self, const char *group, const uint8_t *pt, size_t ptlen,
                             uint8_t **ct, size_t *ctlen);
/* Decrypts sender's group message. *pt is malloc'd (caller frees).
 * VN_ENOSESSION if we hold no key of sender's for the message (none at all,
 * or it was made after a rotation we were not given, or under a key
 * dropped from the last 5), VN_EDUPLICATE for a replay, VN_ECRYPTO if it
 * fails to parse or verify (or is too far ahead, see above), VN_ETOOBIG
 * above VN_E2EE_MAX_MSG. Nothing is stored unless it decrypts. */
vn_err vn_e2ee_group_decrypt(vn_e2ee *self, const char *group, const char *sender,
                             const uint8_t *ct, size_t ctlen, uint8_t **pt, size_t *ptlen);

/* ---- sealed sender (see vn/sealed.h) ---- */

struct vn_sealed_msg;
/* Opens a sealed message (the unpadded body of an envelope) with this
 * device's identity key and checks its sender certificate against the
 * pinned server_pub (32 bytes) at at_ms, the envelope's time; as
 * vn_sealed_open. */
vn_err vn_e2ee_unseal(vn_e2ee *self, const uint8_t server_pub[32], uint64_t at_ms,
                      const uint8_t *in, size_t len, struct vn_sealed_msg *msg);
/* Opens a box sealed to this device's identity key (vn_sealed_box: the
 * participant's audit entries) into out (cap bytes); *outlen gets its
 * length. VN_ECRYPTO if it does not open, VN_ETOOBIG if out is too small. */
vn_err vn_e2ee_open_box(vn_e2ee *self, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                        size_t *outlen);
/* The identity key stored (trusted) for peer; VN_ENOTFOUND if none. */
vn_err vn_e2ee_peer_identity(vn_e2ee *self, const char *peer, uint8_t key[VN_E2EE_KEY_LEN]);

/* Signs msg with this device's identity key (XEdDSA, 64 bytes). */
vn_err vn_e2ee_sign(vn_e2ee *self, const uint8_t *msg, size_t len, uint8_t sig[VN_E2EE_SIG_LEN]);
/* Checks a signature made by vn_e2ee_sign against a published identity
 * key. VN_OK if valid, VN_ECRYPTO if not. Needs no store. */
vn_err vn_e2ee_verify(const uint8_t key[VN_E2EE_KEY_LEN], const uint8_t *msg, size_t len,
                      const uint8_t *sig, size_t siglen);

#endif
