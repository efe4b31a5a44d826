/* The order matters: the ZAP handler is bound before the ROUTER exists,
 * and the ROUTER enforces its domain, so there is no moment in which a
 * handshake would be accepted without asking the handler. */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft option in libzmq 4.3; present in Debian's build */
#endif

static vn_err fail(void **zap, void **router, void **mon, char *msg, size_t msgsize,
                   const char *what)
{
    snprintf(msg, msgsize, "%s: %s", what, zmq_strerror(errno));
    if (*mon) zmq_close(*mon);
    if (*router) zmq_close(*router);
    if (*zap) zmq_close(*zap);
    *mon = *router = *zap = NULL;
    return VN_ETRANSPORT;
}

/* Connection events go over an inproc PAIR. Its receive queue is
 * unbounded (RCVHWM 0), because libzmq drops events that do not fit, and
 * a lost DISCONNECTED would leave a connection counted forever. Each event
 * is a few bytes and the loop reads them as they come. */
static int open_monitor(void *zctx, void *router, void **mon)
{
    int zero = 0;
    int events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED |
                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(router, VN_LISTEN_MONITOR, events) != 0) return -1;
    *mon = zmq_socket(zctx, ZMQ_PAIR);
    if (!*mon) return -1;
    if (zmq_setsockopt(*mon, ZMQ_RCVHWM, &zero, sizeof zero) ||
        zmq_setsockopt(*mon, ZMQ_LINGER, &zero, sizeof zero))
        return -1;
    return zmq_connect(*mon, VN_LISTEN_MONITOR);
}

vn_err vn_listen_open(void *zctx, const uint8_t secret[32], const char *endpoint, size_t frame_max,
                      void **zap_p, void **router_p, char *msg, size_t msgsize)
{
    return vn_listen_open_limited(zctx, secret, endpoint, frame_max, VN_LISTEN_QUEUE_DEFAULT,
                                  VN_LISTEN_SNDBUF_DEFAULT, zap_p, router_p, NULL, msg, msgsize);
}

vn_err vn_listen_open_limited(void *zctx, const uint8_t secret[32], const char *endpoint,
                              size_t frame_max, int queue, int sndbuf, void **zap_p,
                              void **router_p, void **mon_p, char *msg, size_t msgsize)
{
    /* libzmq's default accept queue is 100: in a burst the kernel drops
     * the SYNs past it and the clients retry after 1, 3, 7, 15 s. The
     * kernel caps this at net.core.somaxconn. */
    int one = 1, zero = 0, backlog = 4096;
    /* The kernel's send buffer of each connection (sndbuf, --socket-buffer)
     * is fixed instead of grown by TCP autotuning (up to 4 MiB here): what
     * a client that does not read holds in the kernel stays bounded too,
     * and the send queue above it fills, and is counted, soon enough to be
     * seen. */
    int64_t maxmsg = (int64_t)frame_max * 4;
    void *zap = NULL, *router = NULL, *mon = NULL;
    zap = zmq_socket(zctx, ZMQ_REP);
    if (!zap || zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_bind(zap, "inproc://zeromq.zap.01") != 0)
        return fail(&zap, &router, &mon, msg, msgsize, "cannot bind the ZAP handler");
    router = zmq_socket(zctx, ZMQ_ROUTER);
    if (!router) return fail(&zap, &router, &mon, msg, msgsize, "cannot make the ROUTER socket");
    /* The queues are set before the bind: a listener copies the socket's
     * options when it is bound, and its connections get that copy. */
    if (zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, secret, 32) ||
        zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, VN_ZAP_DOMAIN, sizeof VN_ZAP_DOMAIN - 1) ||
        zmq_setsockopt(router, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
        zmq_setsockopt(router, ZMQ_SNDHWM, &queue, sizeof queue) ||
        zmq_setsockopt(router, ZMQ_SNDBUF, &sndbuf, sizeof sndbuf) ||
        zmq_setsockopt(router, ZMQ_RCVHWM, &queue, sizeof queue) ||
        zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(router, ZMQ_BACKLOG, &backlog, sizeof backlog))
        return fail(&zap, &router, &mon, msg, msgsize, "cannot configure the ROUTER socket");
    if (mon_p && open_monitor(zctx, router, &mon) != 0)
        return fail(&zap, &router, &mon, msg, msgsize, "cannot monitor the ROUTER socket");
    if (zmq_bind(router, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "cannot listen on %s", endpoint);
        return fail(&zap, &router, &mon, msg, msgsize, what);
    }
    *zap_p = zap;
    *router_p = router;
    if (mon_p) *mon_p = mon;
    return VN_OK;
}

bool vn_listen_event_next(void *mon, vn_listen_event *ev)
{
    zmq_msg_t part;
    bool got = false, more = true;
    for (int i = 0; more; i++) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, mon, i == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        /* Frame 1: a 16-bit event and a 32-bit value, in host order;
         * frame 2: the endpoint, which we do not need. */
        if (i == 0 && zmq_msg_size(&part) == 6) {
            memcpy(&ev->event, zmq_msg_data(&part), 2);
            memcpy(&ev->value, (uint8_t *)zmq_msg_data(&part) + 2, 4);
            got = true;
        }
        zmq_msg_close(&part);
    }
    return got;
}

bool vn_listen_readable(void *sock)
{
    int ev = 0;
    size_t len = sizeof ev;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN);
}
