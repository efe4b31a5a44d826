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

static int send_receipt(test_device *d, const char *to, const Vn__Receipt *r)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.receipt = (Vn__Receipt *)r;
    content.sent_ms = vn_wallclock_ms();
    return td_send_content(d, to, &content);
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
