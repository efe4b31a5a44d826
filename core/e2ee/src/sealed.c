/* Sealed sender: certificates signed by the server (Ed25519) and the
 * anonymous box (crypto_box_seal) that carries them with the Signal
 * ciphertext. libsodium does the cryptography; this file only decides what
 * is inside and what must be checked before anyone trusts it. */
#include "vn/sealed.h"

#include "vangnet.pb-c.h"
#include "vn/account.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DJB_TYPE 0x05 /* the type byte of a serialized Signal Curve25519 key */

/* libsodium must be initialised once; it is safe to call again. */
static vn_err sodium_ready(void)
{
    return sodium_init() < 0 ? VN_ECRYPTO : VN_OK;
}

static bool key_ok(const uint8_t key[VN_E2EE_KEY_LEN])
{
    return key[0] == DJB_TYPE;
}

vn_err vn_sealed_signing_keypair(uint8_t pub[VN_SEALED_SIGN_PUB_LEN],
                                 uint8_t sec[VN_SEALED_SIGN_SEC_LEN])
{
    vn_err err = sodium_ready();
    if (err) return err;
    return crypto_sign_keypair(pub, sec) == 0 ? VN_OK : VN_ECRYPTO;
}

vn_err vn_sealed_cert_issue(const uint8_t sec[VN_SEALED_SIGN_SEC_LEN], const vn_sender_cert *cert,
                            uint8_t **body, size_t *len, uint8_t sig[VN_SEALED_SIG_LEN])
{
    *body = NULL;
    if (!vn_account_valid(cert->account) || !key_ok(cert->identity_key)) return VN_EINVAL;
    vn_err err = sodium_ready();
    if (err) return err;
    Vn__CertBody cb = VN__CERT_BODY__INIT;
    cb.account = (char *)cert->account;
    cb.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, (uint8_t *)cert->identity_key};
    cb.expires_ms = cert->expires_ms;
    *len = vn__cert_body__get_packed_size(&cb);
    if (!(*body = malloc(*len))) return VN_ENOMEM;
    vn__cert_body__pack(&cb, *body);
    crypto_sign_detached(sig, NULL, *body, *len, sec);
    return VN_OK;
}

vn_err vn_sealed_cert_verify(const uint8_t server_pub[VN_SEALED_SIGN_PUB_LEN], const uint8_t *body,
                             size_t len, const uint8_t *sig, size_t siglen, uint64_t at_ms,
                             vn_sender_cert *out)
{
    memset(out, 0, sizeof *out);
    vn_err err = sodium_ready();
    if (err) return err;
    /* The signature first: nothing in an unsigned certificate is read. */
    if (siglen != VN_SEALED_SIG_LEN || len > VN_SEALED_CERT_MAX ||
        crypto_sign_verify_detached(sig, body, len, server_pub) != 0)
        return VN_EFORGED;
    Vn__CertBody *cb = vn__cert_body__unpack(NULL, len, body);
    if (!cb) return VN_EFORGED;
    if (!vn_account_valid(cb->account) || cb->identity_key.len != VN_E2EE_KEY_LEN ||
        !key_ok(cb->identity_key.data)) {
        err = VN_EFORGED;
    } else {
        memcpy(out->account, cb->account, VN_ACCOUNT_HEX + 1);
        memcpy(out->identity_key, cb->identity_key.data, VN_E2EE_KEY_LEN);
        out->expires_ms = cb->expires_ms;
        /* Judged by when the server took the envelope, not by when it is
         * read: a message that waited in the mailbox is still good. */
        if (at_ms > cb->expires_ms) err = VN_EEXPIRED;
    }
    vn__cert_body__free_unpacked(cb, NULL);
    return err;
}

vn_err vn_sealed_seal(const uint8_t recipient_key[VN_E2EE_KEY_LEN], const uint8_t *cert,
                      size_t certlen, const uint8_t sig[VN_SEALED_SIG_LEN], vn_sealed_kind kind,
                      const char *case_id, const uint8_t *ct, size_t ctlen, uint8_t **out,
                      size_t *outlen)
{
    uint8_t *inner = NULL;
    *out = NULL;
    bool team = kind == VN_SEALED_TEAM;
    if (!key_ok(recipient_key) || kind < VN_SEALED_PREKEY || kind > VN_SEALED_TEAM ||
        team != (case_id != NULL) || (team && !vn_account_valid(case_id)) ||
        certlen > VN_SEALED_CERT_MAX)
        return VN_EINVAL;
    if (ctlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    vn_err err = sodium_ready();
    if (err) return err;
    Vn__SealedContent sc = VN__SEALED_CONTENT__INIT;
    sc.cert = (ProtobufCBinaryData){certlen, (uint8_t *)cert};
    sc.cert_sig = (ProtobufCBinaryData){VN_SEALED_SIG_LEN, (uint8_t *)sig};
    sc.kind = (uint32_t)kind;
    sc.case_id = team ? (char *)case_id : (char *)"";
    sc.ciphertext = (ProtobufCBinaryData){ctlen, (uint8_t *)ct};
    size_t n = vn__sealed_content__get_packed_size(&sc);
    if (!(inner = malloc(n)) || !(*out = malloc(n + crypto_box_SEALBYTES))) {
        err = VN_ENOMEM;
        goto cleanup;
    }
    vn__sealed_content__pack(&sc, inner);
    if (crypto_box_seal(*out, inner, n, recipient_key + 1) != 0) {
        err = VN_ECRYPTO;
        goto cleanup;
    }
    *outlen = n + crypto_box_SEALBYTES;
cleanup:
    if (err) {
        free(*out);
        *out = NULL;
    }
    free(inner);
    return err;
}

/* Checks and copies the inner fields of an opened box into msg. */
static vn_err take_content(const Vn__SealedContent *sc, const uint8_t server_pub[32],
                           uint64_t at_ms, vn_sealed_msg *msg)
{
    bool team = sc->kind == VN_SEALED_TEAM;
    if (sc->kind < VN_SEALED_PREKEY || sc->kind > VN_SEALED_TEAM ||
        (team && !vn_account_valid(sc->case_id)) || (!team && sc->case_id && sc->case_id[0]) ||
        sc->ciphertext.len == 0 || sc->ciphertext.len > VN_E2EE_MAX_MSG)
        return VN_EPROTO;
    vn_err err = vn_sealed_cert_verify(server_pub, sc->cert.data, sc->cert.len, sc->cert_sig.data,
                                       sc->cert_sig.len, at_ms, &msg->sender);
    if (err) return err;
    msg->kind = (vn_sealed_kind)sc->kind;
    if (team) memcpy(msg->case_id, sc->case_id, VN_ACCOUNT_HEX + 1);
    if (!(msg->ct = malloc(sc->ciphertext.len))) return VN_ENOMEM;
    memcpy(msg->ct, sc->ciphertext.data, sc->ciphertext.len);
    msg->ctlen = sc->ciphertext.len;
    return VN_OK;
}

vn_err vn_sealed_open(const uint8_t own_pub[VN_E2EE_KEY_LEN], const uint8_t own_priv[32],
                      const uint8_t server_pub[VN_SEALED_SIGN_PUB_LEN], uint64_t at_ms,
                      const uint8_t *in, size_t inlen, vn_sealed_msg *msg)
{
    uint8_t *inner = NULL;
    Vn__SealedContent *sc = NULL;
    memset(msg, 0, sizeof *msg);
    if (!key_ok(own_pub)) return VN_EINVAL;
    if (inlen < crypto_box_SEALBYTES || inlen > VN_E2EE_MAX_MSG + 1024) return VN_ECRYPTO;
    vn_err err = sodium_ready();
    if (err) return err;
    size_t n = inlen - crypto_box_SEALBYTES;
    if (!(inner = malloc(n ? n : 1))) return VN_ENOMEM;
    if (crypto_box_seal_open(inner, in, inlen, own_pub + 1, own_priv) != 0) {
        err = VN_ECRYPTO;
        goto cleanup;
    }
    if (!(sc = vn__sealed_content__unpack(NULL, n, inner))) {
        err = VN_EPROTO;
        goto cleanup;
    }
    err = take_content(sc, server_pub, at_ms, msg);
cleanup:
    if (sc) vn__sealed_content__free_unpacked(sc, NULL);
    sodium_memzero(inner, n ? n : 1);
    free(inner);
    if (err) vn_sealed_msg_clear(msg);
    return err;
}

void vn_sealed_msg_clear(vn_sealed_msg *msg)
{
    if (msg->ct) sodium_memzero(msg->ct, msg->ctlen);
    free(msg->ct);
    memset(msg, 0, sizeof *msg);
}

vn_err vn_sealed_check_identity(const vn_sealed_msg *msg,
                                const uint8_t session_key[VN_E2EE_KEY_LEN])
{
    return sodium_memcmp(msg->sender.identity_key, session_key, VN_E2EE_KEY_LEN) == 0 ? VN_OK
                                                                                      : VN_EFORGED;
}

/* A bare anonymous box, for records the server keeps for someone but must
 * not read itself (the participant's audit log): no certificate, no kind,
 * only the caller's bytes. */
vn_err vn_sealed_box(const uint8_t recipient_key[VN_E2EE_KEY_LEN], const uint8_t *in, size_t len,
                     uint8_t *out)
{
    if (!key_ok(recipient_key)) return VN_EINVAL;
    if (len > VN_SEALED_BOX_MAX) return VN_ETOOBIG;
    vn_err err = sodium_ready();
    if (err) return err;
    return crypto_box_seal(out, in, len, recipient_key + 1) == 0 ? VN_OK : VN_ECRYPTO;
}

vn_err vn_sealed_box_open(const uint8_t own_pub[VN_E2EE_KEY_LEN], const uint8_t own_priv[32],
                          const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (!key_ok(own_pub)) return VN_EINVAL;
    if (inlen < crypto_box_SEALBYTES || inlen > VN_SEALED_BOX_MAX + crypto_box_SEALBYTES)
        return VN_ECRYPTO;
    vn_err err = sodium_ready();
    if (err) return err;
    return crypto_box_seal_open(out, in, inlen, own_pub + 1, own_priv) == 0 ? VN_OK : VN_ECRYPTO;
}
