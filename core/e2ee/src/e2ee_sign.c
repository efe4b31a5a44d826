/* Signatures with the Signal identity key: a participant signs the
 * canonical bytes of their monitoring contract, and the server checks the
 * signature against the identity key the account published. */
#include "e2ee_internal.h"

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <string.h>

vn_err vn_e2ee_sign(vn_e2ee *self, const uint8_t *msg, size_t len, uint8_t sig[VN_E2EE_SIG_LEN])
{
    ratchet_identity_key_pair *pair = NULL;
    signal_buffer *out = NULL;
    int rc = signal_protocol_identity_get_key_pair(self->store, &pair);
    if (rc < 0) return e2ee_err_from_sg(rc);
    rc = curve_calculate_signature(self->ctx, &out, ratchet_identity_key_pair_get_private(pair),
                                   msg, len);
    vn_err err = rc < 0 ? e2ee_err_from_sg(rc) : VN_OK;
    if (!err && signal_buffer_len(out) != VN_E2EE_SIG_LEN) err = VN_ECRYPTO;
    if (!err) memcpy(sig, signal_buffer_data(out), VN_E2EE_SIG_LEN);
    signal_buffer_bzero_free(out);
    SIGNAL_UNREF(pair);
    return err;
}

vn_err vn_e2ee_verify(const uint8_t key[VN_E2EE_KEY_LEN], const uint8_t *msg, size_t len,
                      const uint8_t *sig, size_t siglen)
{
    vn_crypto *crypto = NULL;
    ec_public_key *pub = NULL;
    if (siglen != VN_E2EE_SIG_LEN) return VN_ECRYPTO;
    vn_err err = vn_crypto_open(&crypto);
    if (err) return err;
    int rc = curve_decode_point(&pub, key, VN_E2EE_KEY_LEN, vn_crypto_context(crypto));
    if (rc < 0)
        err = VN_ECRYPTO;
    else
        err = curve_verify_signature(pub, msg, len, sig, siglen) == 1 ? VN_OK : VN_ECRYPTO;
    SIGNAL_UNREF(pub);
    vn_crypto_close(&crypto);
    return err;
}
