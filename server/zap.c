/* The ZAP handler (ZeroMQ RFC 27). libzmq asks it about every CURVE
 * handshake on the ROUTER. It accepts registered device keys and — so that
 * a new device can join — unknown keys too, marking each with the key as
 * its User-Id; the request handlers then allow an unknown key nothing but
 * redeeming an invite. Anything not CURVE, or for another domain, is
 * refused, and so is any connection past the maximum (--max-connections,
 * counted over admitted connections: see conns.c), with status 400
 * "server busy: too many connections". Because the ROUTER enforces its ZAP domain,
 * a missing handler means no connection at all: the server fails closed. */
#include "server.h"

#include "vn/hex.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <string.h>
#include <zmq.h>

#define ZAP_PARTS 7

static void send_str(void *sock, const char *s, int more)
{
    zmq_send(sock, s, strlen(s), more ? ZMQ_SNDMORE : 0);
}

void vn_zap_handle(vn_server *srv, void *zap)
{
    zmq_msg_t parts[ZAP_PARTS];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&part);
            if (n == 0) return;
            break;
        }
        more = zmq_msg_more(&part);
        if (n < ZAP_PARTS)
            parts[n++] = part;
        else
            zmq_msg_close(&part);
    }
    const char *status = "400", *text = "refused";
    char user[65] = "";
    /* parts: version, request id, domain, address, routing id, mechanism, credentials */
    bool ok = n == ZAP_PARTS && zmq_msg_size(&parts[0]) == 3 &&
              memcmp(zmq_msg_data(&parts[0]), "1.0", 3) == 0;
    bool curve = ok && zmq_msg_size(&parts[2]) == 7 &&
                 memcmp(zmq_msg_data(&parts[2]), "vangnet", 7) == 0 &&
                 zmq_msg_size(&parts[5]) == 5 && memcmp(zmq_msg_data(&parts[5]), "CURVE", 5) == 0 &&
                 zmq_msg_size(&parts[6]) == 32;
    if (curve && !vn_server_conn_admit(srv)) {
        /* Over the connection limit: refused before the store is asked.
         * The status text stays on this side (the client sees only the
         * code, as a failed handshake); vn_server_conn_admit logs counts. */
        text = "server busy: too many connections";
    } else if (curve) {
        uint8_t account[VN_ACCOUNT_LEN];
        vn_role role;
        vn_err err =
            vn_accounts_by_device(vn_server_store(srv), zmq_msg_data(&parts[6]), account, &role);
        if (err == VN_OK || err == VN_ENOTFOUND) {
            status = "200";
            text = err == VN_OK ? "registered device" : "unregistered device: invite only";
            vn_hex_encode(zmq_msg_data(&parts[6]), 32, user);
        } else {
            status = "500";
            text = "store unavailable";
        }
    }
    if (n >= 2) {
        send_str(zap, "1.0", 1);
        zmq_send(zap, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), ZMQ_SNDMORE);
        send_str(zap, status, 1);
        send_str(zap, text, 1);
        send_str(zap, user, 1);
        send_str(zap, "", 0);
    }
    /* A busy refusal is logged, in aggregate, by vn_server_conn_admit. */
    if (strcmp(status, "200") != 0 && strcmp(text, "server busy: too many connections") != 0)
        vn_log("connection refused by ZAP: %s", text);
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
}
