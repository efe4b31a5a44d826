/* What the cluster (cluster.c) and `vangnetd cluster status`
 * (cluster_status.c) share of NATS: the names, the connection, and the
 * stream and bucket they find or make (cluster_nats.c). */
#ifndef VN_CLUSTER_NATS_H
#define VN_CLUSTER_NATS_H

#include <nats/nats.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* The stream and the bucket have fixed names (one Vangnet cluster per NATS
 * account); the log's subject and each node's key are keyed hashes. */
#define VN_CLUSTER_STREAM        "VANGNET_LOG"
#define VN_CLUSTER_BUCKET        "VANGNET_LEASE"
#define VN_CLUSTER_LEASE_KEY     "writer"
#define VN_CLUSTER_NODE_PREFIX   "node_"
#define VN_CLUSTER_SUBJECT_MAX   64
#define VN_CLUSTER_KEY_MAX       40
#define VN_CLUSTER_URLS_N        16   /* most NATS servers in --cluster */
#define VN_CLUSTER_NATS_URLS_MAX 1024 /* longest --cluster (VN_CLUSTER_URLS_MAX) */

/* The log's subject ("vn.log.<32 hex>") and this node's report key
 * ("node_<24 hex>"), keyed hashes under a key derived from the store key:
 * the same on every node of a cluster, and naming nothing. */
void vn_cluster_names(const uint8_t store_key[32], const char *node,
                      char subject[VN_CLUSTER_SUBJECT_MAX], char node_key[VN_CLUSTER_KEY_MAX]);
/* Connects to the servers of urls (reconnecting on its own afterwards);
 * jetstream calls wait up to wait_ms. */
vn_err vn_cluster_connect(const char *urls, uint64_t wait_ms, natsConnection **nc, jsCtx **js,
                          char *msg, size_t size);
/* Ends what a command opened with vn_cluster_connect (either may be NULL)
 * and libnats' own threads: for a process that is done with NATS. */
void vn_cluster_disconnect(natsConnection *nc, jsCtx *js);
/* How many replicas the cluster's stream and buckets get: 3, or 1 with
 * fewer than three NATS servers in urls (comma-separated). */
int vn_cluster_replicas(const char *urls);
/* Finds the key-value bucket name, or makes it (file-backed, one value a
 * key, entries expiring after ttl_ms); another node making it at the same
 * moment is no error. */
natsStatus vn_cluster_bucket(kvStore **bucket, jsCtx *js, const char *name, uint64_t ttl_ms,
                             int replicas);
/* Finds or makes the log stream (file-backed, R3, or R1 with fewer than
 * three servers in urls) for subject, refusing one made for another
 * subject, and the lease bucket with a TTL of lease_ms. */
vn_err vn_cluster_setup(jsCtx *js, const char *urls, const char *subject, uint64_t lease_ms,
                        kvStore **bucket, char *msg, size_t size);
/* The log's first and last sequence (0 and 0 when it is empty). */
natsStatus vn_cluster_log_ends(jsCtx *js, uint64_t *first, uint64_t *last);

/* ---- where the nodes and the backups stand (cluster_snap.c) ---------- */

/* A node's report in the lease bucket (it expires with the lease's TTL, so
 * only running nodes are there). */
#define VN_CLUSTER_REPORTS_MAX 64
typedef struct vn_cluster_report {
    char name[65];
    char role[16];
    uint64_t applied;
} vn_cluster_report;
/* The nodes' reports, sorted by name; how many. */
size_t vn_cluster_reports(kvStore *lease_bucket, vn_cluster_report *out, size_t max);

/* Backups (snapshots) registered by `vangnetd backup` in cluster mode: a
 * key-value bucket whose entries expire after --snapshot-keep. Each key is
 * a keyed hash of where the backup was made (host and directory), so a
 * backup made again in the same place replaces its entry. */
#define VN_CLUSTER_SNAPSHOTS   "VANGNET_SNAPSHOTS"
#define VN_CLUSTER_SNAP_PREFIX "snap_"
#define VN_CLUSTER_SNAPS_MAX   256
typedef struct vn_cluster_snap {
    uint64_t seq;     /* the log entry the backup's store had applied */
    uint64_t time_ms; /* when it was registered (wall clock) */
} vn_cluster_snap;
/* Finds the bucket, or makes it (entries kept keep_ms) if create; update
 * sets a bucket found to keep_ms too. VN_ENOTFOUND: absent and not made. */
vn_err vn_cluster_snap_bucket(jsCtx *js, const char *urls, uint64_t keep_ms, bool create,
                              bool update, kvStore **bucket, char *msg, size_t size);
/* The registered backups, oldest position first; how many. */
size_t vn_cluster_snaps(kvStore *snap_bucket, vn_cluster_snap *out, size_t max);
/* The first log entry to keep: just after the oldest registered backup,
 * and never past what a reporting node has applied; 0 (trim nothing) when
 * no backup is registered or no node reports. */
uint64_t vn_cluster_trim_point(const vn_cluster_snap *snaps, size_t ns,
                               const vn_cluster_report *nodes, size_t nn);
/* Registers a backup made at place (host and directory) whose store had
 * applied the log up to seq. */
vn_err vn_cluster_snap_register(const char *urls, const uint8_t store_key[32], uint64_t keep_ms,
                                const char *place, uint64_t seq, char *msg, size_t size);

#endif
