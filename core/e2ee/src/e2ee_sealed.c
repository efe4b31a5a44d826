/* The device's side of sealed sender: opening a sealed message needs this
 * device's identity secret, which never leaves vn_e2ee, and checking the
 * sender needs the identity key its session holds. */
#include "e2ee_internal.h"

#include "vn/sealed.h"
#include "vn/account.h"

#include <string.h>

vn_err vn_e2ee_unseal(vn_e2ee *self, const uint8_t server_pub[VN_SEALED_SIGN_PUB_LEN],
                      uint64_t at_ms, const uint8_t *in, size_t len, vn_sealed_msg *msg)
{
    uint8_t pub[VN_E2EE_KEY_LEN], priv[PRIV_LEN];
    memset(msg, 0, sizeof *msg);
    vn_err err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PUB), pub, sizeof pub);
    if (!err) err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PRIV), priv, sizeof priv);
    if (!err) err = vn_sealed_open(pub, priv, server_pub, at_ms, in, len, msg);
    explicit_bzero(priv, sizeof priv);
    return err;
}

vn_err vn_e2ee_open_box(vn_e2ee *self, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                        size_t *outlen)
{
    uint8_t pub[VN_E2EE_KEY_LEN], priv[PRIV_LEN];
    *outlen = 0;
    if (len < VN_SEALED_BOX_OVERHEAD) return VN_ECRYPTO;
    if (len - VN_SEALED_BOX_OVERHEAD > cap) return VN_ETOOBIG;
    vn_err err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PUB), pub, sizeof pub);
    if (!err) err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PRIV), priv, sizeof priv);
    if (!err) err = vn_sealed_box_open(pub, priv, in, len, out);
    explicit_bzero(priv, sizeof priv);
    if (!err) *outlen = len - VN_SEALED_BOX_OVERHEAD;
    return err;
}

vn_err vn_e2ee_peer_identity(vn_e2ee *self, const char *peer, uint8_t key[VN_E2EE_KEY_LEN])
{
    peer_rec rec;
    if (!vn_account_valid(peer)) return VN_EINVAL;
    vn_err err = e2ee_peer_load(self, peer, strlen(peer), &rec);
    if (!err) memcpy(key, rec.key, VN_E2EE_KEY_LEN);
    return err;
}
