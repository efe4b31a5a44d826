/* vn_forge: a message whose sender certificate lies. It joins a care
 * network with an invite code, as a device with a real Signal identity (in
 * a temporary store), starts a session with RECIPIENT and sends it TEXT
 * sealed under a certificate that names CLAIMED with the forger's own
 * identity key. The server never sees the certificate; the recipient must
 * not believe it.
 *
 *   vn_forge INVITE_CODE RECIPIENT CLAIMED TEXT [SIGNING_KEY_HEX]
 *
 * Without SIGNING_KEY_HEX the certificate is signed by a key of the
 * forger's own (the recipient refuses it as forged). With it, by that key:
 * the server's own (64 bytes as the store keeps it), as a compromised server
 * could (the recipient then sees CLAIMED's identity key change, and holds
 * the message until the user verifies). Prints the forger's account id and
 * exits 0 once the server accepted the message, 1 otherwise. */
#include "testdevice.h"
#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/hex.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The signing key: the one given (hex), or a new one of our own. */
static int signing_key(const char *hex, uint8_t sec[VN_SEALED_SIGN_SEC_LEN])
{
    uint8_t pub[VN_SEALED_SIGN_PUB_LEN];
    if (!hex) return vn_sealed_signing_keypair(pub, sec) != VN_OK;
    return strlen(hex) != 2 * VN_SEALED_SIGN_SEC_LEN ||
           vn_hex_decode(hex, sec, VN_SEALED_SIGN_SEC_LEN) != VN_OK;
}

/* TEXT as a Signal message from this device to `to`, sealed under a
 * certificate for `claimed` with our identity key, and sent. */
static int send_forged(test_device *d, const char *to, const char *claimed, const char *text,
                       const char *key_hex)
{
    uint8_t sec[VN_SEALED_SIGN_SEC_LEN], sig[VN_SEALED_SIG_LEN], pt[1024];
    uint8_t *ct = NULL, *cert = NULL;
    size_t ctlen = 0, certlen = 0;
    bool prekey = false;
    vn_bundle own;
    vn_sender_cert c = {.expires_ms = vn_wallclock_ms() + 86400000};
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_wallclock_ms();
    if (vn__content__get_packed_size(&content) > sizeof pt) return 1;
    size_t ptlen = vn__content__pack(&content, pt);
    snprintf(c.account, sizeof c.account, "%s", claimed);
    int rc = signing_key(key_hex, sec) || vn_e2ee_public_bundle(d->e, &own) ||
             td_start_session(d, to) || vn_e2ee_encrypt(d->e, to, pt, ptlen, &ct, &ctlen, &prekey);
    if (!rc) memcpy(c.identity_key, own.identity_key, VN_E2EE_KEY_LEN);
    rc = rc || vn_sealed_cert_issue(sec, &c, &cert, &certlen, sig) ||
         td_send_sealed(d, to, cert, certlen, sig, prekey, ct, ctlen);
    free(ct);
    free(cert);
    return rc;
}

int main(int argc, char **argv)
{
    vn_invite inv;
    test_device d;
    if ((argc != 5 && argc != 6) || vn_invite_decode(argv[1], &inv) || !vn_account_valid(argv[2]) ||
        !vn_account_valid(argv[3])) {
        fprintf(stderr, "usage: vn_forge INVITE_CODE RECIPIENT CLAIMED TEXT [SIGNING_KEY_HEX]\n");
        return 2;
    }
    if (td_open(&d, "vn_forge", &inv)) {
        td_close(&d);
        return 2;
    }
    int rc = td_redeem(&d, &inv, NULL) || td_publish(&d, true) ||
             send_forged(&d, argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    if (td_close(&d)) rc = 1;
    return rc;
}
