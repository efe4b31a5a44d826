/* vn_receiptforge: a receipt from someone the message did not go to. It
 * joins the network with an invite code as an honest device (a real
 * Signal identity in a temporary store, a real sender certificate) and
 * sends RECIPIENT one end-to-end message whose content is a Receipt naming
 * the given message ids as delivered or read. Only the real recipient of a
 * message may move its state: RECIPIENT's client must ignore this one (and
 * a receipt for an id it never sent), and show nothing.
 *
 *   vn_receiptforge INVITE_CODE RECIPIENT delivered|read ID_HEX...
 *
 * Prints the sender's account id and exits 0 once the server accepted the
 * message, 1 otherwise, 2 on bad usage. */
#include "testdevice.h"
#include "vn/account.h"
#include "vn/frame.h"
#include "vn/hex.h"
#include "vn/sealed.h"
#include "vn/wallclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDS_MAX 16

static int sender_cert(test_device *d, uint8_t *cert, size_t *len, uint8_t sig[VN_SEALED_SIG_LEN])
{
    Vn__Reply *rep = NULL;
    Vn__SenderCertGet g = VN__SENDER_CERT_GET__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SENDER_CERT;
    req.sender_cert = &g;
    int rc = td_call(d, &req, VN__REPLY__BODY_SENDER_CERT, &rep);
    if (!rc) {
        const Vn__SenderCert *sc = rep->sender_cert;
        rc = sc->cert.len > VN_SEALED_CERT_MAX || sc->signature.len != VN_SEALED_SIG_LEN;
        if (!rc) {
            memcpy(cert, sc->cert.data, sc->cert.len);
            *len = sc->cert.len;
            memcpy(sig, sc->signature.data, VN_SEALED_SIG_LEN);
        }
    }
    vn_frame_reply_free(rep);
    return rc;
}

static int send_receipt(test_device *d, const char *to, const Vn__Receipt *r)
{
    uint8_t cert[VN_SEALED_CERT_MAX], sig[VN_SEALED_SIG_LEN], pt[1024], *ct = NULL;
    size_t certlen = 0, ctlen = 0;
    bool prekey = false;
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.receipt = (Vn__Receipt *)r;
    content.sent_ms = vn_wallclock_ms();
    if (vn__content__get_packed_size(&content) > sizeof pt) return 1;
    size_t ptlen = vn__content__pack(&content, pt);
    int rc = sender_cert(d, cert, &certlen, sig) || td_start_session(d, to) ||
             vn_e2ee_encrypt(d->e, to, pt, ptlen, &ct, &ctlen, &prekey) ||
             td_send_sealed(d, to, cert, certlen, sig, prekey, ct, ctlen);
    free(ct);
    return rc;
}

int main(int argc, char **argv)
{
    vn_invite inv;
    test_device d;
    uint8_t ids[IDS_MAX][VN_MSGID_LEN];
    ProtobufCBinaryData bin[IDS_MAX];
    Vn__Receipt r = VN__RECEIPT__INIT;
    bool ok = argc >= 5 && argc - 4 <= IDS_MAX && vn_invite_decode(argv[1], &inv) == VN_OK &&
              vn_account_valid(argv[2]) &&
              (strcmp(argv[3], "delivered") == 0 || strcmp(argv[3], "read") == 0);
    for (int i = 4; ok && i < argc; i++)
        ok = strlen(argv[i]) == 2 * VN_MSGID_LEN &&
             vn_hex_decode(argv[i], ids[i - 4], VN_MSGID_LEN) == VN_OK;
    if (!ok) {
        fprintf(stderr, "usage: vn_receiptforge INVITE_CODE RECIPIENT delivered|read ID_HEX...\n");
        return 2;
    }
    for (int i = 4; i < argc; i++)
        bin[i - 4] = (ProtobufCBinaryData){VN_MSGID_LEN, ids[i - 4]};
    r.state = strcmp(argv[3], "read") == 0 ? 4 : 3;
    r.n_ids = (size_t)(argc - 4);
    r.ids = bin;
    if (td_open(&d, "vn_receiptforge", &inv)) {
        td_close(&d);
        return 2;
    }
    int rc = td_redeem(&d, &inv, NULL) || td_publish(&d, false) || send_receipt(&d, argv[2], &r);
    if (td_close(&d)) rc = 1;
    return rc;
}
