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

/* Replies (and requests) queued per connection by vn_listen_open. */
#define VN_LISTEN_QUEUE_DEFAULT 64
/* The kernel's send buffer of each connection (SO_SNDBUF) by vn_listen_open. */
#define VN_LISTEN_SNDBUF_DEFAULT (256 * 1024)
/* The inproc endpoint on which the ROUTER's connection events are published. */
#define VN_LISTEN_MONITOR "inproc://vangnetd.monitor"

/* vn_listen_open with the per-connection queues bounded: at most queue
 * messages wait to be sent to one connection (ZMQ_SNDHWM) and at most
 * queue requests wait to be read from it (ZMQ_RCVHWM), and the kernel's
 * send buffer of each fixed at sndbuf bytes (ZMQ_SNDBUF). With
 * ZMQ_ROUTER_MANDATORY a send to a connection whose queue is full fails
 * with EAGAIN instead of blocking. If mon_p is not NULL, *mon_p owns a PAIR
 * socket that receives the ROUTER's ACCEPTED, ACCEPT_FAILED,
 * DISCONNECTED and HANDSHAKE_* events (zmq_socket_monitor, version 1 frames), set up
 * before the bind so that no connection goes uncounted. */
vn_err vn_listen_open_limited(void *zctx, const uint8_t secret[32], const char *endpoint,
                              size_t frame_max, int queue, int sndbuf, void **zap_p,
                              void **router_p, void **mon_p, char *msg, size_t msgsize);

/* One event read from the monitor socket of vn_listen_open_limited. */
typedef struct vn_listen_event {
    uint16_t event; /* ZMQ_EVENT_* */
    uint32_t value; /* the fd for ACCEPTED and DISCONNECTED, errno for ACCEPT_FAILED,
                       the ZAP status for HANDSHAKE_FAILED_AUTH, 0 for HANDSHAKE_SUCCEEDED */
} vn_listen_event;

/* Reads one pending monitor event without blocking; false when none. */
bool vn_listen_event_next(void *mon, vn_listen_event *ev);

/* True when sock has a message to read. ZMQ_FD is edge-triggered and any
 * send on the socket may consume the edge of a message that arrived
 * meanwhile, so after sending the loop asks this instead of waiting for
 * the fd (tests/unit/test_listen.c shows the edge going). */
bool vn_listen_readable(void *sock);

#endif
