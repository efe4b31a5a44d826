/* The edge of a cluster (docs/CLUSTER.md): every node serves clients. A
 * follower hands each request of its clients to the writer over NATS
 * (forward.h) and delivers the reply; the writer serves those requests in
 * its own group commits as if they were its own; a push for an account
 * connected to another node goes there. Wired into batch.c at four
 * places: handle_request (forward), the batch's reading (take a forwarded
 * request), the reply (answer it) and push (another node's connection).
 * Outside cluster mode s->edge is NULL and every function here does
 * nothing. */
#ifndef VN_CLUSTER_EDGE_H
#define VN_CLUSTER_EDGE_H

#include "vn/account.h"
#include "vn/err.h"
#include "vangnet.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Named, not included: the server's own headers include this one. */
struct vn_server;
struct pending;
struct vn_peer;
struct vn_forward_call;

/* Whether this node hands its clients' requests to the writer. */
bool vn_edge_forwards(struct vn_server *s);
/* Hands the request frame of p's client (resolved here as peer) to the
 * writer; the reply reaches the client later. An error: p is answered
 * here with it. */
vn_err vn_edge_forward(struct vn_server *s, struct pending *p, const uint8_t *frame, size_t len,
                       const Vn__Request *req, const struct vn_peer *peer);
/* The next request forwarded to this writer, if any: its frame (malloc'd,
 * the caller frees) and the device key it came with. */
struct vn_forward_call *vn_edge_next(struct vn_server *s, uint8_t **frame, size_t *len,
                                     uint8_t key[32]);
/* Answers a forwarded request with its reply frame. */
void vn_edge_respond(struct vn_server *s, struct vn_forward_call *call, const uint8_t *buf,
                     size_t len);
/* A push for an account not connected here: to the node that holds its
 * connection, if this node is the writer. */
void vn_edge_push(struct vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                  size_t len);

#endif
