/* vn_conns: what bounds vangnetd's client connections. The descriptor
 * limit (raised at start), the most connections at once (counted from the
 * ROUTER's monitor events and enforced by the ZAP handler), and the
 * replies dropped because a client does not read them.
 *
 * Memory per connection is bounded by the queues of listen.c: at most
 * send_queue replies of at most 2 * frame_max bytes wait to be sent, and
 * at most send_queue requests of at most 4 * frame_max bytes (ZMQ_MAXMSGSIZE)
 * wait to be read. With the defaults (64, 64 KiB) that is 8 MiB + 16 MiB in
 * the worst case, and the total is max_connections times that. The worst
 * case needs an account (replies to an unregistered key are errors of a
 * few hundred bytes) and a loop slower than the network (it reads requests
 * as they come); measured, 8 connections that never read add about 1.5 MiB
 * (tests/e2e/slow_readers.sh). The kernel's socket buffers come on top,
 * outside the process: listen.c fixes each send buffer at --socket-buffer
 * (256 KiB; the kernel doubles it) instead of letting TCP grow it to 4 MiB.
 *
 * An idle connection costs about 39 KiB of the server's memory (bench_relay
 * --idle), nearly all of it libzmq 4.3's, fixed at build time there: a
 * decoder buffer of 18 KiB (8 KiB read batch and its reference counts), an
 * encoder buffer of 8 KiB, and a 16 KiB chunk for each of the connection's
 * two pipes; our records of it (subs.c, peers.c) are under 100 bytes. The
 * queue lengths above do not change it (they bound growth, not the first
 * chunk). When connections close, libzmq frees that, and the server gives
 * the pages back to the system after a wave of them (VN_CONNS_TRIM_CHURN). */
#ifndef VN_CONNS_H
#define VN_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listen.h"
#include "vn/err.h"

typedef struct vn_conns vn_conns;

/* Where the module logs: one line per call, like vn_log. */
typedef void (*vn_conns_log_fn)(const char *fmt, ...);

/* Raises the soft RLIMIT_NOFILE to the hard limit and logs the result,
 * then fits wanted (--max-connections) into it: each connection takes one
 * descriptor, and a margin is kept for the store, libzmq and connections
 * still being refused. Logs the maximum it will enforce, through log. */
vn_err vn_conns_open(vn_conns **out, size_t wanted, size_t send_queue, vn_conns_log_fn log);
/* Logs what is still uncounted. Safe on NULL and twice. */
void vn_conns_close(vn_conns **self_p);

/* The maximum in force (wanted, or lower if the descriptors do not fit it). */
size_t vn_conns_max(const vn_conns *self);
/* Applies one event of the ROUTER's monitor: ACCEPTED, DISCONNECTED,
 * ACCEPT_FAILED, HANDSHAKE_SUCCEEDED and the HANDSHAKE_FAILED_* ones. */
void vn_conns_event(vn_conns *self, const vn_listen_event *ev, uint64_t now_ms);
/* Whether ZAP may admit the connection being authenticated: fewer than
 * the maximum are established or admitted, and the open connections
 * (those in their handshake too) fit in the descriptors. An admission
 * holds a place until its handshake succeeds (then the connection is
 * established) or for at most 30 s. A refusal is counted and logged, at
 * most one line a second. */
bool vn_conns_admit(vn_conns *self, uint64_t now_ms);
/* Connections opened or closed after which the server gives freed memory
 * back to the system (malloc_trim): libzmq frees a closed connection's
 * buffers, but malloc keeps the pages of a freed heap for later. */
#define VN_CONNS_TRIM_CHURN 256
/* Whether VN_CONNS_TRIM_CHURN connections opened or closed since the last
 * vn_conns_trimmed. */
bool vn_conns_trim_due(const vn_conns *self);
/* The memory was given back: churn counts anew. */
void vn_conns_trimmed(vn_conns *self);
/* Connections open now (accepted and not yet closed). */
size_t vn_conns_open_now(const vn_conns *self);
/* Counts a reply or push dropped because route's send queue was full. */
void vn_conns_dropped(vn_conns *self, const uint8_t *route, size_t route_len, uint64_t now_ms);
/* Counts a reply replaced by an error because it would exceed the frame limit. */
void vn_conns_too_large(vn_conns *self);
/* Logs the counts since the last report if there are any and, unless
 * force, the last one is at least 10 s old. */
void vn_conns_report(vn_conns *self, uint64_t now_ms, bool force);

#endif
