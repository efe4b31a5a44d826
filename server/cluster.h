/* vn_cluster: cluster mode (`vangnetd run --cluster URLS --node NAME`,
 * docs/CLUSTER.md). Every node keeps a whole store of its own; the one
 * node that holds the write lease (a key in a NATS JetStream key-value
 * bucket, with a TTL) executes requests, and the write-set of each of its
 * transactions is appended to a replicated JetStream stream before it
 * commits locally. Every other node (a follower) applies that log, in
 * order, to its own store. NATS does the consensus; nothing here votes.
 *
 * Threads: the loop thread commits (the commit hook publishes and waits
 * for the stream's acknowledgement, bounded) and applies entries; one
 * thread of this module renews or takes the lease, reads the log and
 * reports this node's position, and hands entries to the loop through a
 * uv_async_t. Without --cluster none of this exists (vn_server keeps a
 * NULL vn_cluster, and every function below accepts NULL as "not in a
 * cluster": a single node that may always write). */
#ifndef VN_CLUSTER_H
#define VN_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "vn/err.h"
#include "vn/sstore.h"

typedef struct vn_cluster vn_cluster;

#define VN_CLUSTER_NODE_MAX 64   /* longest node name */
#define VN_CLUSTER_URLS_MAX 1024 /* longest --cluster list */

typedef struct vn_cluster_config {
    const char *urls;          /* nats://HOST:PORT,nats://... */
    const char *node;          /* this node's name: [A-Za-z0-9_-], 1..64 */
    uint64_t lease_ms;         /* the lease's TTL; renewed every third of it */
    const uint8_t *store_key;  /* 32 bytes: the names in NATS are keyed hashes under it */
    uint64_t snapshot_keep_ms; /* backups stay registered this long (0: 30 days) */
    uint64_t trim_every_ms;    /* the writer trims the log this often (0: every minute) */
} vn_cluster_config;

/* Checks a node name and a URL list without connecting; msg says what is
 * wrong. */
vn_err vn_cluster_check(const char *urls, const char *node, char *msg, size_t size);

/* Connects to NATS, creates the log stream and the lease bucket if they
 * are absent (waiting a while for a JetStream cluster that has just
 * started), and reads the store's position in the log. msg says what
 * failed. On success *out owns the cluster; close it with
 * vn_cluster_close() before the loop and the store. */
vn_err vn_cluster_open(vn_cluster **out, const vn_cluster_config *cfg, vn_sstore *store, char *msg,
                       size_t size);
/* Starts the node as a follower, on loop (it becomes the writer on its
 * own once the lease is free and it has applied the whole log): the
 * thread, the hand-over to the loop, and the store's commit hook. */
vn_err vn_cluster_start(vn_cluster *self, uv_loop_t *loop, char *msg, size_t size);
/* Stops the thread, gives the lease up if held, removes the commit hook
 * and starts closing the uv handle: the loop must run once more (the
 * server's close does) to free it. Safe on NULL. */
void vn_cluster_close(vn_cluster **self_p);

/* The cluster's NATS connection (borrowed, for forwarding: forward.h), or
 * NULL when not in a cluster. */
struct __natsConnection *vn_cluster_nats(vn_cluster *self);

/* True when this node may write now: not in a cluster, or the writer. */
bool vn_cluster_may_write(const vn_cluster *self);
/* The name of the node that holds the lease, as last seen ("" if none
 * or unknown), into buf. */
void vn_cluster_writer(vn_cluster *self, char *buf, size_t size);

/* The writer appends an operator's write-set (cluster_op.h) in a
 * transaction of its own, applied to its store and recorded with its
 * sequence (*seq), as a follower applies an entry. check (may be NULL)
 * runs in that transaction once the write-set is applied, before the
 * append: an error of its own refuses the write-set (nothing appended,
 * nothing kept) and is returned. VN_EUNAVAILABLE: not the writer, or the
 * append failed (the node steps down); VN_EINVAL: a transaction is open
 * (try after it); VN_EPROTO: a malformed write-set. Loop thread. */
typedef vn_err (*vn_cluster_ws_check)(vn_sstore *store, void *ud);
vn_err vn_cluster_append_ws(vn_cluster *self, const uint8_t *ws, size_t len,
                            vn_cluster_ws_check check, void *ud, uint64_t *seq);

/* `vangnetd cluster status`: reads the stream, the lease and the nodes'
 * reports from NATS (no store needed) and prints them, as JSON with json.
 * msg says what failed. */
vn_err vn_cluster_status(const char *urls, bool json, FILE *out, char *msg, size_t size);
/* `vangnetd cluster trim SEQ`: removes the log's entries before SEQ, if
 * every node reporting has applied them (VN_EDENIED otherwise). A node
 * or backup whose position lies before what remains must be restored
 * from a newer backup; the operator keeps backups newer than SEQ. */
vn_err vn_cluster_trim(const char *urls, uint64_t before, bool json, FILE *out, char *msg,
                       size_t size);

#endif
