/* vn_listen: vangnetd's client-facing sockets. A ZAP handler socket bound
 * first, then a CURVE ROUTER that enforces its ZAP domain, so that without
 * an answering handler no connection is accepted (libzmq would accept
 * every key otherwise). Its own small library (vn_server_net) so the
 * fail-closed unit test exercises exactly this set-up. */
#ifndef VN_LISTEN_H
#define VN_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* The ZAP domain the ROUTER insists on. */
#define VN_ZAP_DOMAIN "vangnet"

/* Binds the ZAP handler (REP on inproc://zeromq.zap.01) in zctx, then a
 * ROUTER with the server's CURVE secret on endpoint, refusing frames over
 * 4 * frame_max. On success *zap_p and *router_p own the sockets (close
 * them with zmq_close). On failure nothing is left open, msg says what
 * failed, and the result is VN_ETRANSPORT: in particular no ROUTER exists
 * when the ZAP handler could not be bound. */
vn_err vn_listen_open(void *zctx, const uint8_t secret[32], const char *endpoint, size_t frame_max,
                      void **zap_p, void **router_p, char *msg, size_t msgsize);

/* True when sock has a message to read. ZMQ_FD is edge-triggered and any
 * send on the socket may consume the edge of a message that arrived
 * meanwhile, so after sending the loop asks this instead of waiting for
 * the fd (tests/unit/test_listen.c shows the edge going). */
bool vn_listen_readable(void *sock);

#endif
