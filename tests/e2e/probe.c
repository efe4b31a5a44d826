/* vn_probe: sends what no honest client would, to check that the server
 * answers bad input with a clear error and keeps serving.
 *
 *   vn_probe ENDPOINT SERVER_PUB_FILE MODE
 *
 * MODE is garbage, oversize, version, unregistered, utf8 (a case id that is
 * not UTF-8), multipart-free
 * (bundle-unregistered). Prints "CODE: message" of the server's error
 * reply and exits 0 when one came, 1 otherwise. A fresh, unregistered CURVE
 * key is used each time.
 *
 * MODE redeem:INVITE redeems an invite code and publishes no keys, as a
 * device that stopped between joining and its first publish; it prints
 * "REDEEMED account" and exits 0 when the server took it. */
#include "serverpub.h"
#include "vn/conn.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv)
{
    uint8_t server[32], pub[32], sec[32];
    vn_conn *conn = NULL;
    Vn__Reply *rep = NULL;
    uint8_t *frame = NULL;
    size_t len = 0;
    vn_err err;
    if (argc != 4 || serverpub_read(argv[2], server) != 0) {
        fprintf(stderr, "usage: vn_probe ENDPOINT SERVER_PUB_FILE MODE\n");
        return 2;
    }
    const char *mode = argv[3];
    if (vn_conn_curve_keypair(pub, sec) || vn_conn_open(&conn, argv[1], server, pub, sec)) {
        fprintf(stderr, "vn_probe: cannot connect\n");
        return 2;
    }
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    Vn__Redeem rd = VN__REDEEM__INIT;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    vn_invite inv;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 42;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    if (strcmp(mode, "garbage") == 0) {
        len = 300;
        frame = malloc(len);
        for (size_t i = 0; i < len; i++)
            frame[i] = (uint8_t)(0xff - i % 7);
    } else if (strcmp(mode, "oversize") == 0) {
        len = 100 * 1024;
        frame = calloc(1, len);
    } else if (strcmp(mode, "version") == 0) {
        req.version = 7;
        vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len);
    } else if (strcmp(mode, "empty-request") == 0) {
        req.body_case = VN__REQUEST__BODY__NOT_SET;
        vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len);
    } else if (strcmp(mode, "unregistered") == 0) {
        vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len);
    } else if (strcmp(mode, "utf8") == 0) {
        cs.case_id = "0123\xed\xa0\x80\x1b[2J";
        req.body_case = VN__REQUEST__BODY_CASE_SHOW;
        req.case_show = &cs;
        vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len);
    } else if (strncmp(mode, "redeem:", 7) == 0) {
        if (vn_invite_decode(mode + 7, &inv)) {
            fprintf(stderr, "vn_probe: not an invite code\n");
            return 2;
        }
        rd.secret = (ProtobufCBinaryData){VN_INVITE_SECRET_LEN, inv.secret};
        req.body_case = VN__REQUEST__BODY_REDEEM;
        req.redeem = &rd;
        vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len);
    } else {
        fprintf(stderr, "vn_probe: unknown mode %s\n", mode);
        return 2;
    }
    err = vn_conn_raw(conn, frame, len, 5000, &rep);
    free(frame);
    int rc = 1;
    if (err == VN_ETIMEOUT) {
        printf("TIMEOUT: no reply\n");
    } else if (err) {
        printf("%s: %s\n", vn_err_name(err), vn_conn_error(conn, NULL));
        rc = 0;
    } else if (rep->body_case == VN__REPLY__BODY_REDEEMED) {
        printf("REDEEMED %s\n", rep->redeemed->account);
        rc = 0;
    } else {
        printf("OK: no error for mode %s\n", mode);
    }
    vn_frame_reply_free(rep);
    vn_conn_close(&conn);
    return rc;
}
