/* vn_alertflood: many requests of one account, many in flight at once, as a
 * flooding member of a case would send them: the alerts-at-scale test and
 * the alert benchmark use it to store thousands of alerts in seconds (one
 * `vangnet signal` process per alert would take minutes).
 *
 *   vn_alertflood raise INVITE_CODE CASE COUNT
 *     redeems the invite (a naaste, buddy or participant of CASE), then
 *     raises COUNT signals in CASE, severities in turn concern, urgent,
 *     crisis. Prints "raised N in MS ms".
 *   vn_alertflood read INVITE_CODE CASE COUNT
 *     redeems the invite (a medical lead, say), then asks COUNT times to
 *     see CASE (case-show: each read goes into the participant's audit
 *     log). Prints "read N in MS ms".
 *
 * It speaks the wire protocol over its own DEALER under CURVE with a fresh
 * key, with up to WINDOW requests in flight, so the server commits many in
 * one transaction. Any error reply ends it: exit 1 with the server's
 * words; 2 on bad usage. */
#include "vn/conn.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/parse.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define WINDOW    32      /* requests in flight: half the server's default send queue */
#define WAIT_MS   30000   /* longest wait for one reply */
#define COUNT_MAX 1000000 /* most requests one run sends */
#define REPLY_MAX (2 * VN_FRAME_MAX_DEFAULT)
#define REDEEM_ID 1
#define FIRST_ID  2

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_req(void *sock, Vn__Request *req, uint64_t id)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    req->version = VN_PROTOCOL_VERSION;
    req->request_id = id;
    if (vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &buf, &len)) return -1;
    int rc = zmq_send(sock, buf, len, 0);
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* Waits for one reply (pushes, id 0, are skipped). 0 and *rep on success. */
static int recv_reply(void *sock, Vn__Reply **rep)
{
    for (;;) {
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, WAIT_MS) <= 0) {
            fprintf(stderr, "vn_alertflood: no reply within %d s\n", WAIT_MS / 1000);
            return -1;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        vn_err err = vn_frame_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), REPLY_MAX, rep);
        zmq_msg_close(&m);
        if (err) {
            fprintf(stderr, "vn_alertflood: a malformed reply (%s)\n", vn_err_name(err));
            return -1;
        }
        if ((*rep)->request_id != 0) return 0;
        vn_frame_reply_free(*rep);
    }
}

/* An error reply ends the run, with the server's words. */
static int check_reply(const Vn__Reply *rep, Vn__Reply__BodyCase want)
{
    if (rep->body_case == want) return 0;
    if (rep->body_case == VN__REPLY__BODY_ERROR)
        fprintf(stderr, "vn_alertflood: the server refused: %s: %s\n",
                vn_err_name(rep->error->code), rep->error->message ? rep->error->message : "");
    else
        fprintf(stderr, "vn_alertflood: unexpected reply %d\n", (int)rep->body_case);
    return -1;
}

static void *connect_to(void *ctx, const vn_invite *inv)
{
    uint8_t pub[32], sec[32];
    int zero = 0;
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    bool ok = s && vn_conn_curve_keypair(pub, sec) == VN_OK &&
              !zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, inv->server_key, 32) &&
              !zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32) &&
              !zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32) &&
              !zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) && !zmq_connect(s, inv->endpoint);
    if (!ok && s) zmq_close(s);
    return ok ? s : NULL;
}

static int redeem(void *sock, const vn_invite *inv)
{
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){sizeof inv->secret, (uint8_t *)inv->secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    Vn__Reply *rep = NULL;
    if (send_req(sock, &req, REDEEM_ID) || recv_reply(sock, &rep)) return -1;
    int rc = check_reply(rep, VN__REPLY__BODY_REDEEMED);
    vn_frame_reply_free(rep);
    return rc;
}

/* Request number i of the run. */
static int send_one(void *sock, bool raise, const char *case_id, size_t i)
{
    static const char *const sev[] = {"concern", "urgent", "crisis"};
    Vn__AlertRaise ar = VN__ALERT_RAISE__INIT;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (raise) {
        ar.case_id = (char *)case_id;
        ar.kind = "signal";
        ar.severity = (char *)sev[i % 3];
        req.body_case = VN__REQUEST__BODY_ALERT_RAISE;
        req.alert_raise = &ar;
    } else {
        cs.case_id = (char *)case_id;
        req.body_case = VN__REQUEST__BODY_CASE_SHOW;
        req.case_show = &cs;
    }
    return send_req(sock, &req, FIRST_ID + i);
}

static int run(void *sock, bool raise, const char *case_id, size_t count)
{
    size_t sent = 0, done = 0;
    Vn__Reply__BodyCase want = raise ? VN__REPLY__BODY_ALERT_INFO : VN__REPLY__BODY_CASE_INFO;
    while (done < count) {
        while (sent < count && sent - done < WINDOW)
            if (send_one(sock, raise, case_id, sent++)) return -1;
        Vn__Reply *rep = NULL;
        if (recv_reply(sock, &rep)) return -1;
        int rc = check_reply(rep, want);
        vn_frame_reply_free(rep);
        if (rc) return -1;
        done++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    vn_invite inv;
    uint64_t count = 0;
    if (argc != 5 || (strcmp(argv[1], "raise") && strcmp(argv[1], "read")) ||
        vn_parse_u64(argv[4], 1, COUNT_MAX, &count) || !vn_account_valid(argv[3])) {
        fprintf(stderr, "usage: vn_alertflood raise|read INVITE_CODE CASE COUNT (1..%d)\n",
                COUNT_MAX);
        return 2;
    }
    if (vn_invite_decode(argv[2], &inv)) {
        fprintf(stderr, "vn_alertflood: %s is not an invite code\n", argv[2]);
        return 2;
    }
    bool raise = strcmp(argv[1], "raise") == 0;
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? connect_to(ctx, &inv) : NULL;
    int rc = 1;
    long long t0 = 0;
    if (!sock) {
        fprintf(stderr, "vn_alertflood: cannot connect to %s\n", inv.endpoint);
        goto out;
    }
    if (redeem(sock, &inv)) goto out;
    t0 = mono_ms();
    if (run(sock, raise, argv[3], (size_t)count)) goto out;
    printf("%s %llu in %lld ms\n", raise ? "raised" : "read", (unsigned long long)count,
           mono_ms() - t0);
    rc = 0;
out:
    if (sock) zmq_close(sock);
    if (ctx) zmq_ctx_term(ctx);
    return rc;
}
