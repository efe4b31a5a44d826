#include "vn/conn.h"

#include "vn/frame.h"
#include "vn/rand.h"
#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <zmq.h>

#define PUSH_QUEUE_MAX 4096
#define REPLY_MAX      (VN_FRAME_MAX_DEFAULT * 2)
/* Each conn has its own context, so one name serves every conn. */
#define MONITOR_EP "inproc://vn-conn-monitor"

struct vn_conn {
    void *ctx;                       /* ZeroMQ context, owned */
    void *sock;                      /* DEALER socket */
    void *mon;                       /* its handshake events (PAIR), to tell a refusal */
    uint64_t next_id;                /* next request id */
    int timeout_ms;                  /* total time a call may take */
    int resend_ms;                   /* resend interval */
    char errmsg[256];                /* message of the last error reply */
    uint64_t retry_after_ms;         /* its retry-after */
    Vn__Reply *push[PUSH_QUEUE_MAX]; /* pushes received during calls */
    size_t npush;                    /* how many are queued */
};

vn_err vn_conn_curve_keypair(uint8_t pub[32], uint8_t sec[32])
{
    char zpub[41], zsec[41];
    if (zmq_curve_keypair(zpub, zsec) != 0) return VN_ECRYPTO;
    vn_err err = VN_OK;
    if (!zmq_z85_decode(pub, zpub) || !zmq_z85_decode(sec, zsec)) err = VN_ECRYPTO;
    explicit_bzero(zsec, sizeof zsec);
    return err;
}

vn_err vn_conn_open(vn_conn **out, const char *endpoint, const uint8_t server_key[32],
                    const uint8_t pub[32], const uint8_t sec[32])
{
    int zero = 0;
    vn_conn *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->timeout_ms = 10000;
    c->resend_ms = 1000;
    if (vn_rand_bytes(&c->next_id, sizeof c->next_id)) goto err_free;
    c->next_id = (c->next_id >> 16) | 1; /* never 0: that id marks pushes */
    c->ctx = zmq_ctx_new();
    if (!c->ctx) goto err_free;
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock) goto err_ctx;
    if (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, server_key, 32) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, pub, 32) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, sec, 32) ||
        zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero))
        goto err_sock;
    /* A server that refuses the handshake (ZAP, e.g. "server busy: too many
     * connections") only tells the socket's monitor; without it a call
     * would wait for its whole timeout and blame the network. */
    if (zmq_socket_monitor(c->sock, MONITOR_EP, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        goto err_sock;
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    if (!c->mon || zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_connect(c->mon, MONITOR_EP) != 0)
        goto err_sock;
    if (zmq_connect(c->sock, endpoint) != 0) goto err_sock;
    *out = c;
    return VN_OK;
err_sock:
    if (c->mon) zmq_close(c->mon);
    zmq_close(c->sock);
err_ctx:
    zmq_ctx_term(c->ctx);
err_free:
    free(c);
    return VN_ETRANSPORT;
}

void vn_conn_close(vn_conn **self_p)
{
    if (!self_p || !*self_p) return;
    vn_conn *c = *self_p;
    for (size_t i = 0; i < c->npush; i++)
        vn_frame_reply_free(c->push[i]);
    zmq_close(c->mon);
    zmq_close(c->sock);
    zmq_ctx_term(c->ctx);
    free(c);
    *self_p = NULL;
}

void vn_conn_set_timeout(vn_conn *self, int timeout_ms, int resend_ms)
{
    self->timeout_ms = timeout_ms;
    self->resend_ms = resend_ms;
}

const char *vn_conn_error(const vn_conn *self, uint64_t *retry_after_ms)
{
    if (retry_after_ms) *retry_after_ms = self->retry_after_ms;
    return self->errmsg;
}

/* Reads one monitor event: a refused handshake. Its value is the ZAP
 * status code; vangnetd refuses honest clients only when it is busy. */
static vn_err take_refusal(vn_conn *c)
{
    uint16_t event = 0;
    uint32_t status = 0;
    int more = 1;
    for (int i = 0; more; i++) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, c->mon, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        if (i == 0 && zmq_msg_size(&part) == 6) {
            memcpy(&event, zmq_msg_data(&part), 2);
            memcpy(&status, (uint8_t *)zmq_msg_data(&part) + 2, 4);
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    if (event != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return VN_ETIMEOUT;
    /* After a refused handshake libzmq does not connect again, so nothing
     * was sent and nothing will be: the user has to try again. */
    if (status == 400)
        snprintf(c->errmsg, sizeof c->errmsg,
                 "the server refused the connection (status 400): it is busy (too many "
                 "connections); nothing was sent, try again in a minute");
    else
        snprintf(c->errmsg, sizeof c->errmsg,
                 "the server refused the connection (status %u): it could not check this "
                 "device's key; nothing was sent, try again later",
                 (unsigned)status);
    return VN_ETRANSPORT;
}

/* Receives one frame within wait_ms. VN_ETIMEOUT if none came;
 * VN_ETRANSPORT with errmsg set if the server refused the handshake. */
static vn_err recv_reply(vn_conn *c, int wait_ms, Vn__Reply **rep)
{
    zmq_pollitem_t it[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
    *rep = NULL;
    int rc = zmq_poll(it, 2, wait_ms);
    if (rc < 0) return errno == EINTR ? VN_ETIMEOUT : VN_ETRANSPORT;
    if (rc == 0) return VN_ETIMEOUT;
    if (it[1].revents & ZMQ_POLLIN) return take_refusal(c);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, c->sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return errno == EAGAIN ? VN_ETIMEOUT : VN_ETRANSPORT;
    }
    /* Drain any further parts: a reply is one part. */
    int more = zmq_msg_more(&msg);
    vn_err err = vn_frame_reply_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), REPLY_MAX, rep);
    zmq_msg_close(&msg);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, c->sock, 0) < 0)
            more = 0;
        else
            more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    if (err) {
        vn_frame_reply_free(*rep);
        *rep = NULL;
    }
    return err;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void queue_push(vn_conn *c, Vn__Reply *rep)
{
    if (c->npush < PUSH_QUEUE_MAX)
        c->push[c->npush++] = rep;
    else
        vn_frame_reply_free(rep); /* still stored on the server; a fetch gets it */
}

/* Sends frame and waits for the reply to request id, resending. */
static vn_err exchange(vn_conn *c, const uint8_t *buf, size_t len, uint64_t id, int timeout_ms,
                       bool any_reply, Vn__Reply **rep)
{
    int64_t deadline = mono_ms() + timeout_ms, next_send = 0;
    for (;;) {
        int64_t now = mono_ms();
        if (now >= deadline) return VN_ETIMEOUT;
        if (now >= next_send) {
            /* DONTWAIT: a full pipe just means we try again later. */
            zmq_send(c->sock, buf, len, ZMQ_DONTWAIT);
            next_send = now + c->resend_ms;
        }
        int64_t wait = (next_send < deadline ? next_send : deadline) - now;
        Vn__Reply *r = NULL;
        vn_err err = recv_reply(c, (int)(wait > 0 ? wait : 0), &r);
        if (err == VN_ETIMEOUT) continue;
        if (err) return err;
        if (r->request_id == 0 && r->body_case == VN__REPLY__BODY_ENVELOPES && !any_reply) {
            queue_push(c, r);
            continue;
        }
        if (!any_reply && r->request_id != id) {
            vn_frame_reply_free(r); /* a late answer to an earlier call */
            continue;
        }
        *rep = r;
        return VN_OK;
    }
}

static vn_err take_error(vn_conn *c, Vn__Reply *r)
{
    const Vn__Error *e = r->error;
    vn_err code = vn_err_is_known(e->code) && e->code != VN_OK ? (vn_err)e->code : VN_EPROTO;
    snprintf(c->errmsg, sizeof c->errmsg, "%s", e->message ? e->message : vn_err_str(code));
    c->retry_after_ms = e->retry_after_ms;
    return code;
}

vn_err vn_conn_call(vn_conn *self, Vn__Request *req, Vn__Reply **rep)
{
    uint8_t *buf = NULL;
    size_t len;
    Vn__Reply *r = NULL;
    *rep = NULL;
    self->errmsg[0] = '\0';
    self->retry_after_ms = 0;
    req->version = VN_PROTOCOL_VERSION;
    req->request_id = self->next_id++;
    vn_err err = vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &buf, &len);
    if (err) return err;
    err = exchange(self, buf, len, req->request_id, self->timeout_ms, false, &r);
    free(buf);
    if (err) return err;
    if (r->body_case == VN__REPLY__BODY_ERROR) {
        err = take_error(self, r);
        vn_frame_reply_free(r);
        return err;
    }
    *rep = r;
    return VN_OK;
}

vn_err vn_conn_next_push(vn_conn *self, int timeout_ms, Vn__Reply **rep)
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (self->npush > 0) {
            *rep = self->push[0];
            memmove(self->push, self->push + 1, --self->npush * sizeof self->push[0]);
            return VN_OK;
        }
        int64_t wait = deadline - mono_ms();
        if (wait < 0) return VN_ETIMEOUT;
        Vn__Reply *r = NULL;
        vn_err err = recv_reply(self, (int)wait, &r);
        if (err) return err;
        if (r->request_id == 0 && r->body_case == VN__REPLY__BODY_ENVELOPES)
            queue_push(self, r);
        else
            vn_frame_reply_free(r);
    }
}

vn_err vn_conn_raw(vn_conn *self, const void *frame, size_t len, int timeout_ms, Vn__Reply **rep)
{
    self->errmsg[0] = '\0';
    vn_err err = exchange(self, frame, len, 0, timeout_ms, true, rep);
    if (!err && (*rep)->body_case == VN__REPLY__BODY_ERROR) {
        err = take_error(self, *rep);
    }
    return err;
}
