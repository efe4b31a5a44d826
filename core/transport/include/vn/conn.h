/* vn_conn: the client side of the wire protocol over a ZeroMQ DEALER socket
 * under CURVE. Calls are synchronous: send a request, wait for the reply
 * with the same request id, and resend the same frame (same id) while none
 * comes, so a restarted server or a lost reply costs only time. Every
 * request is safe to resend: sends carry a message id the server
 * de-duplicates, acks and fetches are idempotent.
 *
 * Pushes (replies with request id 0) that arrive during a call are queued
 * for vn_conn_next_push().
 *
 * A server may have several endpoints (the nodes of a cluster, or one
 * server's addresses: vn_endpoints, from the invite). The conn talks to one
 * at a time and moves to the next, still pinned to the same server key, when
 * the one it uses refuses connections, answers with another key (or is no
 * Vangnet server), refuses the handshake (busy), or stays silent for the
 * failover time; the same frame is sent there (safe, as above). A server
 * that answers under another key gets nothing: it cannot complete the CURVE
 * handshake, and the error names its endpoint. */
#ifndef VN_CONN_H
#define VN_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/invite.h"

typedef struct vn_conn vn_conn;

/* Connects to endpoint, pinning server_key; pub/sec are this device's CURVE
 * key pair (raw 32 bytes each). The ZeroMQ context is owned by the conn. */
vn_err vn_conn_open(vn_conn **out, const char *endpoint, const uint8_t server_key[32],
                    const uint8_t pub[32], const uint8_t sec[32]);
/* The same for a server with several endpoints, starting at eps->ep[first]
 * (the one that last worked, which the caller remembers). */
vn_err vn_conn_open_list(vn_conn **out, const vn_endpoints *eps, size_t first,
                         const uint8_t server_key[32], const uint8_t pub[32],
                         const uint8_t sec[32]);
void vn_conn_close(vn_conn **self_p);

/* The endpoint that answered the last call, or NULL while none has. */
const char *vn_conn_endpoint(const vn_conn *self);

/* Total time a call may take (default 10 s) and the resend interval
 * (default 1 s). */
void vn_conn_set_timeout(vn_conn *self, int timeout_ms, int resend_ms);
/* With several endpoints: how long one may stay silent (no reply, no
 * refusal) before the next is tried (default 3 s). */
void vn_conn_set_failover(vn_conn *self, int failover_ms);

/* Fills req's version and request id, sends it and waits for the reply.
 * On VN_OK *rep holds a non-error reply (free with vn_frame_reply_free).
 * If the server answered with an error, returns its code, and
 * vn_conn_error() gives its message and retry-after. VN_ETIMEOUT if no reply
 * came in time; VN_ETRANSPORT, with vn_conn_error() saying so, if the server
 * refused the connection's handshake (it is busy, or refuses this key), or
 * if every endpoint holds a server under another key than the pinned one.
 * After a failure, vn_conn_error() says what happened at each endpoint. */
vn_err vn_conn_call(vn_conn *self, Vn__Request *req, Vn__Reply **rep);
/* The server's message for the last error reply ("" if none); valid until
 * the next call. */
const char *vn_conn_error(const vn_conn *self, uint64_t *retry_after_ms);

/* Waits up to timeout_ms for a push. VN_ETIMEOUT if none came. */
vn_err vn_conn_next_push(vn_conn *self, int timeout_ms, Vn__Reply **rep);

/* For a poll(2) loop that waits on other descriptors too: the descriptors
 * to wait on for input (at most 2; they change when the connection moves
 * to another endpoint, so ask again before each wait), and whether
 * something can be taken now without waiting. Ask vn_conn_ready() before
 * each wait: the descriptors signal only what changed since it was asked
 * (ZeroMQ's ZMQ_FD), so a wait without it may sleep through a push. */
size_t vn_conn_fds(vn_conn *self, int fds[2]);
bool vn_conn_ready(vn_conn *self);

/* Sends raw bytes as one frame and waits for any reply (tests and fuzzing
 * of the server use it to send what no honest client would). */
vn_err vn_conn_raw(vn_conn *self, const void *frame, size_t len, int timeout_ms, Vn__Reply **rep);

/* Makes a fresh CURVE key pair (raw bytes). */
vn_err vn_conn_curve_keypair(uint8_t pub[32], uint8_t sec[32]);

#endif
