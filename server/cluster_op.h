/* vn_cluster_op: the operator's writes in a cluster (docs/CLUSTER.md,
 * "Operator commands"). `vangnetd invite` and `vangnetd intake-code` open
 * a node's store themselves; in a cluster their write must reach every
 * node, so it goes through the log like every other write:
 *
 *  - the command runs its write in a transaction of the node's store whose
 *    write-set is captured (core/kv, as for the commit hook) and is NOT
 *    committed there;
 *  - it sends the write-set to the writer over NATS request-reply, on a
 *    subject that is a keyed hash, with an HMAC under a key derived from
 *    the store key, a time and a nonce (cluster_opreq.h); the write-set
 *    itself records the nonce (vn/opnonce.h), so every node that applied
 *    it refuses the request sent again: a replay is refused by any writer,
 *    after a failover or a restart too;
 *  - the writer applies it in a transaction of its own, appended to the log
 *    as every transaction is, and answers after the log's acknowledgement;
 *  - the command prints its result only then.
 *
 * The write-set holds what the disk would hold: keyed hashes and sealed
 * boxes; an invite's secret never leaves the command. */
#ifndef VN_CLUSTER_OP_H
#define VN_CLUSTER_OP_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>
#include <uv.h>

#include "vn/err.h"
#include "vn/sstore.h"

struct vn_cluster;

/* How long the command waits for its store to have applied the log, and
 * then for a writer to take and confirm its write. */
#define VN_CLUSTER_OP_WAIT_MS 5000

/* The write the command makes, inside an open transaction of store. */
typedef vn_err (*vn_cluster_op_fn)(vn_sstore *store, void *ud);

/* The command's side: connects to the NATS servers of urls, waits until
 * store (a node's, opened by the command) has applied the log to its end
 * as it stood, runs fn in a transaction whose write-set is captured and
 * discarded locally, has the writer append it and waits for its answer.
 * VN_OK: the write is in the log (its sequence in *seq) and so on every
 * node. Otherwise msg says what was wrong, naming what to do; nothing is
 * done (or, after a writer took it without answering, nothing the
 * command's output can use). */
vn_err vn_cluster_op_write(const char *urls, const uint8_t store_key[32], vn_sstore *store,
                           vn_cluster_op_fn fn, void *ud, uint64_t *seq, char *msg, size_t size);

/* The writer's side, on every node (cluster.c opens it): while this node
 * holds the lease it takes operators' write-sets and appends them. */
typedef struct vn_cluster_op vn_cluster_op;

/* On nc (borrowed), with keys derived from the store key (kept only so
 * derived). */
vn_err vn_cluster_op_open(vn_cluster_op **out, struct vn_cluster *cluster, vn_sstore *store,
                          natsConnection *nc, const uint8_t store_key[32]);
/* Starts following the lease on loop: listens while this node writes. */
void vn_cluster_op_start(vn_cluster_op *self, uv_loop_t *loop);
/* Unsubscribes and starts closing the handles (the loop must run once
 * more). Safe on NULL. */
void vn_cluster_op_close(vn_cluster_op **self_p);

#endif
