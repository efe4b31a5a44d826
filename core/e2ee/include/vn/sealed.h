/* vn_sealed: sealed sender. The server stores and delivers a message
 * without knowing who sent it; the sender travels inside an outer layer
 * that only the recipient can open.
 *
 * The server signs sender certificates (account, Signal identity key,
 * expiry) with an Ed25519 key of its own. A sender wraps its Signal
 * ciphertext, the content kind and its certificate in crypto_box_seal to
 * the recipient's identity key (Signal identity keys are X25519 keys with
 * a 0x05 type byte). The recipient opens the box, checks the certificate
 * against the server key it pinned, decrypts the inner message with the
 * session of the certificate's account, and checks with
 * vn_sealed_check_identity() that this session's identity key is the
 * certificate's.
 *
 * Pure functions: no store, no I/O. */
#ifndef VN_SEALED_H
#define VN_SEALED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/e2ee.h"
#include "vn/err.h"
#include "vn/account.h"

#define VN_SEALED_SIGN_PUB_LEN 32   /* the server's Ed25519 public key */
#define VN_SEALED_SIGN_SEC_LEN 64   /* its secret key (libsodium's form, seed and public key) */
#define VN_SEALED_SIG_LEN      64   /* an Ed25519 signature */
#define VN_SEALED_CERT_MAX     256  /* longest packed certificate accepted */
#define VN_SEALED_BOX_OVERHEAD 48   /* what vn_sealed_box adds (crypto_box_SEALBYTES) */
#define VN_SEALED_BOX_MAX      1024 /* longest content vn_sealed_box takes */

/* What the inner ciphertext is, so the recipient knows how to decrypt it. */
typedef enum vn_sealed_kind {
    VN_SEALED_PREKEY = 1,  /* a Signal PreKeySignalMessage (first messages of a session) */
    VN_SEALED_WHISPER = 2, /* a Signal message of an established session */
    VN_SEALED_TEAM = 3,    /* a sender-key message for a case's care team */
} vn_sealed_kind;

/* What a sender certificate says. */
typedef struct vn_sender_cert {
    char account[VN_ACCOUNT_HEX + 1];      /* the sender's account id */
    uint8_t identity_key[VN_E2EE_KEY_LEN]; /* its Signal identity public key */
    uint64_t expires_ms;                   /* not valid for envelopes stored after this */
} vn_sender_cert;

/* An opened sealed message. ct is malloc'd; vn_sealed_msg_clear frees it. */
typedef struct vn_sealed_msg {
    vn_sender_cert sender;            /* who sent it, as the server certified */
    vn_sealed_kind kind;              /* how to decrypt ct */
    char case_id[VN_ACCOUNT_HEX + 1]; /* the case of a team message, else "" */
    uint8_t *ct;                      /* the inner Signal ciphertext */
    size_t ctlen;
} vn_sealed_msg;

/* A new server signing key pair. */
vn_err vn_sealed_signing_keypair(uint8_t pub[VN_SEALED_SIGN_PUB_LEN],
                                 uint8_t sec[VN_SEALED_SIGN_SEC_LEN]);

/* Server: signs cert. *body (malloc'd, caller frees) is the packed
 * certificate, sig its signature. VN_EINVAL for a malformed account or
 * identity key. */
vn_err vn_sealed_cert_issue(const uint8_t sec[VN_SEALED_SIGN_SEC_LEN], const vn_sender_cert *cert,
                            uint8_t **body, size_t *len, uint8_t sig[VN_SEALED_SIG_LEN]);

/* Checks a certificate's signature against server_pub and that it had not
 * expired at at_ms (the time the server stored the envelope), and fills
 * *out. VN_EFORGED for a bad signature or a malformed certificate,
 * VN_EEXPIRED for an expired one. */
vn_err vn_sealed_cert_verify(const uint8_t server_pub[VN_SEALED_SIGN_PUB_LEN], const uint8_t *body,
                             size_t len, const uint8_t *sig, size_t siglen, uint64_t at_ms,
                             vn_sender_cert *out);

/* Sender: seals ct (of kind, with case_id for VN_SEALED_TEAM, else NULL)
 * and the certificate (body and sig, as vn_sealed_cert_issue gave them) to
 * the recipient's identity key. *out is malloc'd (caller frees); pad it
 * before sending. VN_EINVAL for a malformed key, kind or case id,
 * VN_ETOOBIG above VN_E2EE_MAX_MSG. */
vn_err vn_sealed_seal(const uint8_t recipient_key[VN_E2EE_KEY_LEN], const uint8_t *cert,
                      size_t certlen, const uint8_t sig[VN_SEALED_SIG_LEN], vn_sealed_kind kind,
                      const char *case_id, const uint8_t *ct, size_t ctlen, uint8_t **out,
                      size_t *outlen);

/* Recipient: opens in with this device's identity key pair (own_pub as
 * published, own_priv the 32-byte X25519 secret), checks the certificate
 * as vn_sealed_cert_verify does, and fills *msg (clear it with
 * vn_sealed_msg_clear, also after a failure). VN_ECRYPTO if the box does
 * not open (not for us, or altered), VN_EPROTO if what is inside does not
 * parse, VN_EFORGED or VN_EEXPIRED for the certificate. */
vn_err vn_sealed_open(const uint8_t own_pub[VN_E2EE_KEY_LEN], const uint8_t own_priv[32],
                      const uint8_t server_pub[VN_SEALED_SIGN_PUB_LEN], uint64_t at_ms,
                      const uint8_t *in, size_t inlen, vn_sealed_msg *msg);
/* Frees msg->ct and wipes msg. Safe on a zeroed msg and twice. */
void vn_sealed_msg_clear(vn_sealed_msg *msg);

/* Seals len bytes of in to an identity key (as published: type byte and
 * 32 bytes), so that only the holder of its secret opens them; whoever
 * seals cannot open the result either. out must hold len +
 * VN_SEALED_BOX_OVERHEAD bytes. VN_EINVAL for a malformed key, VN_ETOOBIG
 * above VN_SEALED_BOX_MAX. */
vn_err vn_sealed_box(const uint8_t recipient_key[VN_E2EE_KEY_LEN], const uint8_t *in, size_t len,
                     uint8_t *out);
/* Opens a box of vn_sealed_box with an identity key pair (own_pub as
 * published, own_priv the 32-byte X25519 secret). out must hold inlen -
 * VN_SEALED_BOX_OVERHEAD bytes. VN_ECRYPTO if the box does not open (not
 * for this key, altered, or too short), VN_EINVAL for a malformed own_pub. */
vn_err vn_sealed_box_open(const uint8_t own_pub[VN_E2EE_KEY_LEN], const uint8_t own_priv[32],
                          const uint8_t *in, size_t inlen, uint8_t *out);

/* After the inner message decrypted under the session of
 * msg->sender.account: VN_OK if that session's identity key (session_key)
 * is the certified one, VN_EFORGED if not. */
vn_err vn_sealed_check_identity(const vn_sealed_msg *msg,
                                const uint8_t session_key[VN_E2EE_KEY_LEN]);

#endif
