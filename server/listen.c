/* The order matters: the ZAP handler is bound before the ROUTER exists,
 * and the ROUTER enforces its domain, so there is no moment in which a
 * handshake would be accepted without asking the handler. */
#include "listen.h"

#include <errno.h>
#include <stdio.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft option in libzmq 4.3; present in Debian's build */
#endif

static vn_err fail(void **zap, void **router, char *msg, size_t msgsize, const char *what)
{
    snprintf(msg, msgsize, "%s: %s", what, zmq_strerror(errno));
    if (*router) zmq_close(*router);
    if (*zap) zmq_close(*zap);
    *router = *zap = NULL;
    return VN_ETRANSPORT;
}

vn_err vn_listen_open(void *zctx, const uint8_t secret[32], const char *endpoint, size_t frame_max,
                      void **zap_p, void **router_p, char *msg, size_t msgsize)
{
    int one = 1, zero = 0;
    int64_t maxmsg = (int64_t)frame_max * 4;
    void *zap = NULL, *router = NULL;
    zap = zmq_socket(zctx, ZMQ_REP);
    if (!zap || zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_bind(zap, "inproc://zeromq.zap.01") != 0)
        return fail(&zap, &router, msg, msgsize, "cannot bind the ZAP handler");
    router = zmq_socket(zctx, ZMQ_ROUTER);
    if (!router) return fail(&zap, &router, msg, msgsize, "cannot make the ROUTER socket");
    if (zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, secret, 32) ||
        zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, VN_ZAP_DOMAIN, sizeof VN_ZAP_DOMAIN - 1) ||
        zmq_setsockopt(router, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
        zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero))
        return fail(&zap, &router, msg, msgsize, "cannot configure the ROUTER socket");
    if (zmq_bind(router, endpoint) != 0) {
        char what[300];
        snprintf(what, sizeof what, "cannot listen on %s", endpoint);
        return fail(&zap, &router, msg, msgsize, what);
    }
    *zap_p = zap;
    *router_p = router;
    return VN_OK;
}

bool vn_listen_readable(void *sock)
{
    int ev = 0;
    size_t len = sizeof ev;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN);
}
