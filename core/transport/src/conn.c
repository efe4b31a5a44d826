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
/* Handshakes failed without a refusal before an endpoint counts as another
 * server: one may be a server stopping half-way; libzmq tries again within
 * 100 ms, so the second comes quickly. */
#define WRONG_KEY_FAILS 2
/* The least time spent at an endpoint once every one has failed in a row,
 * so that a call with every server down does not spin over sockets. */
#define ROUND_DWELL_MS 250
#define EVENTS                                                                                     \
    (ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |          \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* What a call found at one endpoint, for the error message. */
enum ep_state { EP_UNTRIED, EP_DEAD, EP_SILENT, EP_WRONG_KEY, EP_BUSY };

struct vn_conn {
    void *ctx;                                /* ZeroMQ context, owned */
    void *sock;                               /* DEALER socket, to eps.ep[cur] */
    void *mon;                                /* its connection events (PAIR) */
    unsigned mon_gen;                         /* names each socket's monitor */
    vn_endpoints eps;                         /* the server's endpoints */
    size_t cur;                               /* the one sock is connected to */
    int worked;                               /* the one that last answered, or -1 */
    uint8_t server_key[32], pub[32], sec[32]; /* to connect elsewhere; sec wiped at close */
    bool shook;                               /* a handshake succeeded on sock */
    int failed_shakes;                        /* handshakes failed on sock, not refused */
    bool leave;                               /* sock's endpoint failed: try the next */
    int64_t at_since;                         /* since when sock's endpoint has not answered */
    int64_t silent_before;                    /* of that, waited in earlier calls */
    size_t fails_in_row;                      /* endpoints left in a row without a reply */
    uint8_t state[VN_INVITE_ENDPOINTS_MAX];   /* what this call found at each */
    uint64_t next_id;                         /* next request id */
    int timeout_ms;                           /* total time a call may take */
    int resend_ms;                            /* resend interval */
    int failover_ms;                          /* silence before the next endpoint */
    char refusal[200];                        /* the last handshake refusal, said */
    char errmsg[1024];                        /* message of the last error */
    uint64_t retry_after_ms;                  /* its retry-after */
    Vn__Reply *push[PUSH_QUEUE_MAX];          /* pushes received during calls */
    size_t npush;                             /* how many are queued */
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

static void close_socket(vn_conn *c)
{
    if (c->mon) zmq_close(c->mon);
    if (c->sock) zmq_close(c->sock);
    c->mon = c->sock = NULL;
}

/* Connects a fresh DEALER to eps.ep[cur]; what the last one queued is
 * dropped (the caller sends again). */
static vn_err open_socket(vn_conn *c)
{
    int zero = 0;
    char mon_ep[64];
    close_socket(c);
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!c->sock) return VN_ETRANSPORT;
    if (zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, c->server_key, 32) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->pub, 32) ||
        zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->sec, 32) ||
        zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero))
        goto fail;
    /* A server that refuses the handshake (ZAP, e.g. "server busy: too many
     * connections"), one that cannot be reached and one under another key
     * (the handshake fails) are told only to the socket's monitor; without
     * it a call would wait for its whole timeout and blame the network. */
    snprintf(mon_ep, sizeof mon_ep, "inproc://vn-conn-monitor-%u", c->mon_gen++);
    if (zmq_socket_monitor(c->sock, mon_ep, EVENTS) != 0) goto fail;
    c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
    if (!c->mon || zmq_setsockopt(c->mon, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_connect(c->mon, mon_ep) != 0)
        goto fail;
    if (zmq_connect(c->sock, c->eps.ep[c->cur]) != 0) goto fail;
    c->shook = false;
    c->failed_shakes = 0;
    c->leave = false;
    return VN_OK;
fail:
    close_socket(c);
    return VN_ETRANSPORT;
}

vn_err vn_conn_open_list(vn_conn **out, const vn_endpoints *eps, size_t first,
                         const uint8_t server_key[32], const uint8_t pub[32], const uint8_t sec[32])
{
    if (eps->n == 0 || eps->n > VN_INVITE_ENDPOINTS_MAX) return VN_EINVAL;
    vn_conn *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->timeout_ms = 10000;
    c->resend_ms = 1000;
    c->failover_ms = 3000;
    c->eps = *eps;
    c->cur = first < eps->n ? first : 0;
    c->worked = -1;
    memcpy(c->server_key, server_key, 32);
    memcpy(c->pub, pub, 32);
    memcpy(c->sec, sec, 32);
    if (vn_rand_bytes(&c->next_id, sizeof c->next_id)) goto err_free;
    c->next_id = (c->next_id >> 16) | 1; /* never 0: that id marks pushes */
    c->ctx = zmq_ctx_new();
    if (!c->ctx) goto err_free;
    if (open_socket(c)) goto err_ctx;
    *out = c;
    return VN_OK;
err_ctx:
    zmq_ctx_term(c->ctx);
err_free:
    explicit_bzero(c->sec, sizeof c->sec);
    free(c);
    return VN_ETRANSPORT;
}

vn_err vn_conn_open(vn_conn **out, const char *endpoint, const uint8_t server_key[32],
                    const uint8_t pub[32], const uint8_t sec[32])
{
    vn_endpoints one = {.n = 1};
    size_t len = strlen(endpoint);
    if (len > VN_ENDPOINT_MAX) return VN_EINVAL;
    memcpy(one.ep[0], endpoint, len + 1);
    return vn_conn_open_list(out, &one, 0, server_key, pub, sec);
}

void vn_conn_close(vn_conn **self_p)
{
    if (!self_p || !*self_p) return;
    vn_conn *c = *self_p;
    for (size_t i = 0; i < c->npush; i++)
        vn_frame_reply_free(c->push[i]);
    close_socket(c);
    zmq_ctx_term(c->ctx);
    explicit_bzero(c->sec, sizeof c->sec);
    free(c);
    *self_p = NULL;
}

void vn_conn_set_timeout(vn_conn *self, int timeout_ms, int resend_ms)
{
    self->timeout_ms = timeout_ms;
    self->resend_ms = resend_ms;
}

void vn_conn_set_failover(vn_conn *self, int failover_ms)
{
    self->failover_ms = failover_ms;
}

const char *vn_conn_error(const vn_conn *self, uint64_t *retry_after_ms)
{
    if (retry_after_ms) *retry_after_ms = self->retry_after_ms;
    return self->errmsg;
}

const char *vn_conn_endpoint(const vn_conn *self)
{
    return self->worked >= 0 ? self->eps.ep[self->worked] : NULL;
}

/* Says a refused handshake. Its status is the ZAP status code; vangnetd
 * refuses honest clients only when it is busy. */
static void say_refusal(vn_conn *c, uint32_t status)
{
    /* After a refused handshake libzmq does not connect again, so nothing
     * was sent and nothing will be: the user has to try again. */
    if (status == 400)
        snprintf(c->refusal, sizeof c->refusal,
                 "the server refused the connection (status 400): it is busy (too many "
                 "connections); nothing was sent, try again in a minute");
    else
        snprintf(c->refusal, sizeof c->refusal,
                 "the server refused the connection (status %u): it could not check this "
                 "device's key; nothing was sent, try again later",
                 (unsigned)status);
}

/* Reads one monitor event and notes what it says of the current endpoint.
 * VN_ETRANSPORT for a refused handshake, else VN_ETIMEOUT (no reply yet). */
static vn_err take_event(vn_conn *c)
{
    uint16_t event = 0;
    uint32_t value = 0;
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
            memcpy(&value, (uint8_t *)zmq_msg_data(&part) + 2, 4);
        }
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        c->shook = true;
        c->failed_shakes = 0;
        return VN_ETIMEOUT;
    case ZMQ_EVENT_DISCONNECTED:
        c->shook = false;
        return VN_ETIMEOUT;
    case ZMQ_EVENT_CONNECT_RETRIED:
        /* Nothing takes connections there (now). */
        if (c->state[c->cur] != EP_WRONG_KEY) c->state[c->cur] = EP_DEAD;
        c->leave = true;
        return VN_ETIMEOUT;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        /* A server answered but could not complete the handshake under the
         * pinned key: another server, or none that speaks CURVE. */
        if (++c->failed_shakes >= WRONG_KEY_FAILS) {
            c->state[c->cur] = EP_WRONG_KEY;
            c->leave = true;
        }
        return VN_ETIMEOUT;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        say_refusal(c, value);
        c->state[c->cur] = EP_BUSY;
        c->leave = true;
        return VN_ETRANSPORT;
    default:
        return VN_ETIMEOUT;
    }
}

/* Receives one frame within wait_ms. VN_ETIMEOUT if none came (events of
 * the connection are noted); VN_ETRANSPORT if the server refused the
 * handshake. */
static vn_err recv_reply(vn_conn *c, int wait_ms, Vn__Reply **rep)
{
    zmq_pollitem_t it[2] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0}};
    *rep = NULL;
    int rc = zmq_poll(it, 2, wait_ms);
    if (rc < 0) return errno == EINTR ? VN_ETIMEOUT : VN_ETRANSPORT;
    if (rc == 0) return VN_ETIMEOUT;
    if (it[1].revents & ZMQ_POLLIN) return take_event(c);
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

/* Writes what this call found at each endpoint into errmsg. */
static void say_endpoints(vn_conn *c)
{
    size_t used = 0;
    c->errmsg[0] = '\0';
    for (size_t k = 0; k < c->eps.n; k++) {
        const char *what = NULL;
        switch (c->state[k]) {
        case EP_DEAD:
            what = "nothing answers there (connection refused)";
            break;
        case EP_SILENT:
            what = "no answer in time";
            break;
        case EP_WRONG_KEY:
            what = "a server answers there under another key than the one this profile "
                   "pinned (or it is no Vangnet server): refused, nothing was sent";
            break;
        case EP_BUSY:
            what = c->refusal;
            break;
        default:
            continue;
        }
        int n = snprintf(c->errmsg + used, sizeof c->errmsg - used, "%s%s: %s", used ? "; " : "",
                         c->eps.ep[k], what);
        if (n < 0 || (size_t)n >= sizeof c->errmsg - used) break;
        used += (size_t)n;
    }
}

/* True when no endpoint is left that may still answer in this call:
 * each holds another key or refused the handshake. */
static bool none_left(const vn_conn *c)
{
    for (size_t k = 0; k < c->eps.n; k++)
        if (c->state[k] != EP_WRONG_KEY && c->state[k] != EP_BUSY) return false;
    return true;
}

/* Whether to move on from the current endpoint now. */
static bool move_on(vn_conn *c, int64_t now)
{
    if (c->eps.n < 2) return false;
    int64_t dwell = now - c->at_since;
    if (c->fails_in_row >= c->eps.n && dwell < ROUND_DWELL_MS) return false;
    if (c->leave) return true;
    if (dwell >= c->failover_ms) {
        if (c->state[c->cur] == EP_UNTRIED) c->state[c->cur] = EP_SILENT;
        return true;
    }
    return false;
}

static vn_err next_endpoint(vn_conn *c, int64_t now)
{
    c->fails_in_row++;
    c->cur = (c->cur + 1) % c->eps.n;
    c->at_since = now;
    c->silent_before = 0;
    return open_socket(c);
}

/* Sends frame and waits for the reply to request id, resending, and moving
 * to the next endpoint when the current one fails. */
static vn_err exchange(vn_conn *c, const uint8_t *buf, size_t len, uint64_t id, int timeout_ms,
                       bool any_reply, Vn__Reply **rep)
{
    int64_t deadline = mono_ms() + timeout_ms, next_send = 0;
    memset(c->state, EP_UNTRIED, sizeof c->state);
    /* Silence counts over calls: a daemon's short calls to a mute server
     * add up to the failover time. Idle time between calls does not. */
    c->at_since = mono_ms() - c->silent_before;
    c->fails_in_row = 0;
    for (;;) {
        int64_t now = mono_ms();
        if (now >= deadline) {
            c->silent_before = now - c->at_since;
            if (c->eps.n > 1 && c->state[c->cur] == EP_UNTRIED) c->state[c->cur] = EP_SILENT;
            say_endpoints(c);
            return VN_ETIMEOUT;
        }
        if (none_left(c)) {
            say_endpoints(c);
            return VN_ETRANSPORT;
        }
        if (move_on(c, now)) {
            if (next_endpoint(c, now)) return VN_ETRANSPORT;
            next_send = 0;
        }
        if (now >= next_send) {
            /* DONTWAIT: a full pipe just means we try again later. */
            zmq_send(c->sock, buf, len, ZMQ_DONTWAIT);
            next_send = now + c->resend_ms;
        }
        int64_t until = next_send < deadline ? next_send : deadline;
        if (c->eps.n > 1 && c->at_since + c->failover_ms < until)
            until = c->at_since + c->failover_ms;
        int64_t wait = until - now;
        Vn__Reply *r = NULL;
        vn_err err = recv_reply(c, (int)(wait > 0 ? wait : 0), &r);
        if (err == VN_ETIMEOUT) continue;
        if (err == VN_ETRANSPORT && c->eps.n > 1) continue; /* the next may take us */
        if (err == VN_ETRANSPORT) snprintf(c->errmsg, sizeof c->errmsg, "%s", c->refusal);
        if (err) return err;
        c->worked = (int)c->cur;
        c->fails_in_row = 0;
        c->at_since = mono_ms(); /* an endpoint that answers is not silent */
        c->silent_before = 0;
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

/* ZMQ_FD of the socket and of its monitor: edge-triggered, re-armed by
 * asking ZMQ_EVENTS, which vn_conn_ready() does. */
size_t vn_conn_fds(vn_conn *self, int fds[2])
{
    size_t n = 0;
    void *socks[2] = {self->sock, self->mon};
    for (size_t i = 0; i < 2; i++) {
        int fd;
        size_t len = sizeof fd;
        if (socks[i] && zmq_getsockopt(socks[i], ZMQ_FD, &fd, &len) == 0) fds[n++] = fd;
    }
    return n;
}

bool vn_conn_ready(vn_conn *self)
{
    if (self->npush > 0) return true;
    void *socks[2] = {self->sock, self->mon};
    for (size_t i = 0; i < 2; i++) {
        int ev = 0;
        size_t len = sizeof ev;
        if (socks[i] && zmq_getsockopt(socks[i], ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN))
            return true;
    }
    return false;
}
