/* vn_forward: in a cluster (docs/CLUSTER.md), how a node that does not hold
 * the write lease has its clients' requests served by the writer, and how
 * a push reaches the node that holds the recipient's connection. Both go
 * over NATS core request-reply and publish-subscribe on one connection the
 * caller owns; nothing here is stored (JetStream is the cluster's log, not
 * this).
 *
 * Subjects carry no account and no case in clear: the writer's subject and
 * every account's push subject are keyed hashes (BLAKE2b under a key derived
 * from the subject key all nodes share), replies go to a random inbox of
 * the asking node. Every payload is sealed (XChaCha20-Poly1305) under
 * another key derived from the same secret, with its subject (for a
 * request, its reply subject) as associated data, so that only a node
 * holding the key can read it, have a request served, a reply taken or a
 * push delivered; anything else on these subjects is refused and counted
 * (vn_forward_refused). Sealed rather than only signed: the payloads are
 * the frames the clients' CURVE connections carry, decrypted at the node
 * (recipients' ids, a case's members, alert levels), and NATS may run
 * without TLS. What NATS still sees: subjects (keyed hashes), sizes and
 * times.
 *
 * Payloads (version byte 2; a nonce is 24 random bytes, a box the
 * plaintext and a 16-byte tag):
 *   request: [2][nonce][box of: 32 device CURVE key | request frame]
 *            associated data: reply-subject | 0 | [2]
 *   reply:   [2][1 status: 0 served, 1 refused][nonce][box of: reply frame or text]
 *            associated data: reply-subject | 0 | [2][status]
 *   push:    [2][nonce][box of: push frame], associated data: subject | 0 | [2]
 *
 * Threads: libnats calls its handlers on its own threads; they only queue
 * the message and wake the loop (uv_async_t). Every callback of this module
 * runs on the loop thread, and every function here is called on it.
 *
 * HOW IT IS WIRED INTO vangnetd (the lead does this after cluster and edge
 * are merged; nothing calls this module yet):
 *  0. The natsConnection should be made with natsOptions_SetSendAsap(true):
 *     left to libnats' flusher a forwarded round trip took about 2 ms at
 *     p50 against 0.3 ms written at once (bench_forward, loopback).
 *  1. server.c, cluster start-up: after the cluster's natsConnection is up,
 *     vn_forward_open(&s->fwd, nc, key, loop, serve_forwarded, deliver_push,
 *     s), key derived from the cluster secret (not the store key itself).
 *     When the lease is won: vn_forward_serve_start(s->fwd); when it is lost
 *     or given up: vn_forward_serve_stop(s->fwd) (before the node stops
 *     committing, so no forwarded request is served by a deposed writer).
 *  2. batch.c, handle_frame() on a follower: after the frame is decoded and
 *     the User-Id resolved to peer.key (resolve_peer), instead of
 *     handle_isolated(): vn_forward_request(s->fwd, frame, len, peer.key,
 *     forwarded_reply, ctx) with ctx holding the client's routing id, and
 *     the reply callback sends the reply frame to that routing id with
 *     send_frame() (or, on an error, the error reply built from err and why
 *     with the client's request id, which the frame carries). The follower
 *     does not decode the writer's reply beyond what it needs for 3.
 *  3. A forwarded `subscribe`: the writer cannot bind a push to a
 *     connection it does not hold. The follower keeps the binding: when the
 *     request is a Subscribe and the writer's reply is Subscribed, the
 *     follower calls vn_server_subscribe() for the client's connection
 *     (as the writer does today for its own) and vn_forward_watch(account)
 *     for the account named in the reply (or resolved from peer.key in
 *     the follower's own replicated store); vn_subs_closed/remove for that
 *     connection calls vn_forward_unwatch(account). Watches count: one
 *     account with two connections on a node is watched once.
 *  4. batch.c push(): when vn_subs_route() finds no local connection for
 *     the account and the node is the writer, vn_forward_push(s->fwd,
 *     account, frame, len) publishes it; the deliver_push callback on the
 *     watching node calls the same local push() (which finds the route).
 *     A push lost on the way costs nothing: the envelope stays stored.
 *  5. serve_forwarded(ud, call, frame, len, key) on the writer: the frame
 *     goes through handle_frame() like one read from the ROUTER, with the
 *     peer resolved from key (vn_accounts_by_device) instead of User-Id, in
 *     the same group commit; where send_reply() would send to a routing id
 *     it calls vn_forward_respond(s->fwd, call, reply frame, len) once the
 *     batch is committed (and replicated). A writer that cannot serve
 *     (lease lost mid-batch) calls vn_forward_drop(call): the follower's
 *     timeout then tells its client to try again, and the client resends
 *     (sends are de-duplicated by message id).
 */
#ifndef VN_FORWARD_H
#define VN_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>
#include <uv.h>

#include "vn/account.h"
#include "vn/err.h"

#define VN_FORWARD_KEY_LEN 32
/* Largest frame forwarded either way (a reply may exceed a request). */
#define VN_FORWARD_FRAME_MAX (256u * 1024)
/* Longest subject this module names, with its NUL. */
#define VN_FORWARD_SUBJECT_MAX 64

typedef struct vn_forward vn_forward;
/* A forwarded request the writer is serving; answered once with
 * vn_forward_respond() or let go with vn_forward_drop(). */
typedef struct vn_forward_call vn_forward_call;

/* On the writer: a client's request frame, from the device whose CURVE key
 * is device_key, to serve exactly as one of its own. frame is valid only
 * during the call. */
typedef void (*vn_forward_serve_fn)(void *ud, vn_forward_call *call, const uint8_t *frame,
                                    size_t len, const uint8_t device_key[32]);
/* On the asking node: the writer's reply frame (err VN_OK), or err
 * (VN_ETIMEOUT: no writer answered in time, or none listens; VN_EPROTO: the
 * writer refused it) with why, a sentence for the client. */
typedef void (*vn_forward_reply_fn)(void *ud, vn_err err, const char *why, const uint8_t *frame,
                                    size_t len);
/* On a watching node: a push for account, to send to its connection. */
typedef void (*vn_forward_push_fn)(void *ud, const uint8_t account[VN_ACCOUNT_LEN],
                                   const uint8_t *frame, size_t len);

/* Opens on nc (borrowed; it must outlive the vn_forward) with the cluster's
 * shared key, on loop. serve and push may be NULL on a node that never
 * serves or watches. Subscribes to this node's reply inbox. */
vn_err vn_forward_open(vn_forward **out, natsConnection *nc, const uint8_t key[VN_FORWARD_KEY_LEN],
                       uv_loop_t *loop, vn_forward_serve_fn serve, vn_forward_push_fn push,
                       void *ud);
/* Unsubscribes, waits for libnats' handlers to finish, fails every request
 * still waiting (VN_ETIMEOUT) and frees. Calls not yet answered are
 * dropped. The loop must run once more afterwards to close the handles. */
void vn_forward_close(vn_forward **self_p);

/* How long a forwarded request waits for the writer (default 5 s). */
void vn_forward_set_timeout(vn_forward *self, int timeout_ms);

/* This node holds the lease: it takes forwarded requests (serve), or no
 * longer does. */
vn_err vn_forward_serve_start(vn_forward *self);
void vn_forward_serve_stop(vn_forward *self);

/* Forwards a client's request frame with its device key to the writer; cb
 * is called exactly once, on the loop thread, never from inside this call.
 * VN_ETOOBIG for a frame over VN_FORWARD_FRAME_MAX, VN_ETRANSPORT if NATS
 * would not take it (then cb is not called). */
vn_err vn_forward_request(vn_forward *self, const uint8_t *frame, size_t len,
                          const uint8_t device_key[32], vn_forward_reply_fn cb, void *ud);

/* Answers a call with the reply frame and frees it. */
vn_err vn_forward_respond(vn_forward *self, vn_forward_call *call, const uint8_t *frame,
                          size_t len);
/* Frees a call without an answer (the asking node times out). */
void vn_forward_drop(vn_forward_call *call);

/* Takes pushes for account on this node (counted: as many unwatch calls
 * end it), or no longer. */
vn_err vn_forward_watch(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN]);
void vn_forward_unwatch(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN]);
/* Publishes a push for account to whichever node watches it (none: it is
 * dropped, as a push to a gone connection is). */
vn_err vn_forward_push(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN],
                       const uint8_t *frame, size_t len);

/* The writer's subject and an account's push subject (tests, operations). */
const char *vn_forward_writer_subject(const vn_forward *self);
void vn_forward_push_subject(const vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN],
                             char out[VN_FORWARD_SUBJECT_MAX]);
/* Messages refused so far: malformed, or not sealed under the cluster's key. */
uint64_t vn_forward_refused(const vn_forward *self);

#endif
