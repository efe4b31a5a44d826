/* `vangnetd cluster status`: the writer, the log's end, and where each
 * node that reported within the lease's TTL stands; `vangnetd cluster
 * trim`: the log's entries before one every node has applied (cluster.h). */
#include "cluster_nats.h"

#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODES_MAX VN_CLUSTER_REPORTS_MAX

typedef vn_cluster_report node_report;

/* The NATS server that leads the log's Raft group ("" if unknown). */
static void log_leader(jsCtx *js, char *buf, size_t size)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    buf[0] = '\0';
    if (js_GetStreamInfo(&si, js, VN_CLUSTER_STREAM, NULL, &jerr) != NATS_OK) return;
    if (si->Cluster && si->Cluster->Leader &&
        strspn(si->Cluster->Leader,
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
            strlen(si->Cluster->Leader))
        snprintf(buf, size, "%s", si->Cluster->Leader);
    jsStreamInfo_Destroy(si);
}

/* What the status shows. */
typedef struct view {
    const char *writer, *leader;
    uint64_t first, last;
    const node_report *nodes;
    size_t n;
    const vn_cluster_snap *snaps;
    size_t ns;
    uint64_t trim_point; /* 0: the writer trims nothing now */
} view;

static void print_json(FILE *out, const view *v)
{
    fprintf(out, "{\"writer\": ");
    if (v->writer[0])
        fprintf(out, "\"%s\"", v->writer);
    else
        fprintf(out, "null");
    fprintf(out, ", \"log_leader\": \"%s\"", v->leader);
    fprintf(out, ", \"first_seq\": %" PRIu64 ", \"last_seq\": %" PRIu64 ", \"nodes\": [", v->first,
            v->last);
    for (size_t i = 0; i < v->n; i++)
        fprintf(out,
                "%s{\"node\": \"%s\", \"role\": \"%s\", \"applied\": %" PRIu64 ", \"lag\": %" PRIu64
                "}",
                i ? ", " : "", v->nodes[i].name, v->nodes[i].role, v->nodes[i].applied,
                v->last > v->nodes[i].applied ? v->last - v->nodes[i].applied : 0);
    fprintf(out, "], \"snapshots\": [");
    for (size_t i = 0; i < v->ns; i++)
        fprintf(out, "%s{\"seq\": %" PRIu64 ", \"time_ms\": %" PRIu64 "}", i ? ", " : "",
                v->snaps[i].seq, v->snaps[i].time_ms);
    fprintf(out, "], \"trim_point\": ");
    if (v->trim_point)
        fprintf(out, "%" PRIu64 "}\n", v->trim_point);
    else
        fprintf(out, "null}\n");
}

static void print(FILE *out, bool json, const view *v)
{
    if (json) {
        print_json(out, v);
        return;
    }
    fprintf(out, "writer:   %s\n", v->writer[0] ? v->writer : "none (the lease is free)");
    fprintf(out, "log:      entries %" PRIu64 "..%" PRIu64 ", led by NATS server %s\n", v->first,
            v->last, v->leader[0] ? v->leader : "(unknown)");
    for (size_t i = 0; i < v->n; i++)
        fprintf(out, "node %-16s %-8s applied %" PRIu64 ", lag %" PRIu64 "\n", v->nodes[i].name,
                v->nodes[i].role, v->nodes[i].applied,
                v->last > v->nodes[i].applied ? v->last - v->nodes[i].applied : 0);
    for (size_t i = 0; i < v->ns; i++) {
        char when[32] = "?";
        time_t t = (time_t)(v->snaps[i].time_ms / 1000);
        struct tm tm;
        if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(out, "backup   at entry %" PRIu64 ", registered %s\n", v->snaps[i].seq, when);
    }
    if (v->trim_point)
        fprintf(out, "trim:     the writer keeps entries from %" PRIu64 " on\n", v->trim_point);
    else
        fprintf(out, "trim:     none (%s)\n",
                v->ns ? "no node reports"
                      : "no backup registered: `vangnetd backup` registers one");
}

vn_err vn_cluster_status(const char *urls, bool json, FILE *out, char *msg, size_t size)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *bucket = NULL, *snap_bucket = NULL;
    node_report nodes[NODES_MAX];
    vn_cluster_snap snaps[VN_CLUSTER_SNAPS_MAX];
    char writer[VN_CLUSTER_NODE_MAX + 1] = "";
    uint64_t first = 0, last = 0;
    vn_err err = vn_cluster_check(urls, "status", msg, size);
    if (err) return err;
    if ((err = vn_cluster_connect(urls, 2000, &nc, &js, msg, size))) return err;
    natsStatus s = vn_cluster_log_ends(js, &first, &last);
    if (s == NATS_OK) s = js_KeyValue(&bucket, js, VN_CLUSTER_BUCKET);
    if (s != NATS_OK) {
        snprintf(msg, size, "no Vangnet cluster on %s (stream %s, bucket %s): %s", urls,
                 VN_CLUSTER_STREAM, VN_CLUSTER_BUCKET, natsStatus_GetText(s));
        err = VN_ENOTFOUND;
        goto out;
    }
    kvEntry *e = NULL;
    if (kvStore_Get(&e, bucket, VN_CLUSTER_LEASE_KEY) == NATS_OK) {
        int len = kvEntry_ValueLen(e);
        snprintf(writer, sizeof writer, "%.*s", len, (const char *)kvEntry_Value(e));
        kvEntry_Destroy(e);
        if (strspn(writer, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen(writer))
            writer[0] = '\0';
    }
    char leader[128];
    log_leader(js, leader, sizeof leader);
    view v = {writer, leader, first, last, nodes, 0, snaps, 0, 0};
    v.n = vn_cluster_reports(bucket, nodes, NODES_MAX);
    if (vn_cluster_snap_bucket(js, urls, 0, false, false, &snap_bucket, msg, size) == VN_OK)
        v.ns = vn_cluster_snaps(snap_bucket, snaps, VN_CLUSTER_SNAPS_MAX);
    msg[0] = '\0';
    v.trim_point = vn_cluster_trim_point(snaps, v.ns, nodes, v.n);
    print(out, json, &v);
out:
    kvStore_Destroy(snap_bucket);
    kvStore_Destroy(bucket);
    vn_cluster_disconnect(nc, js);
    return err;
}

vn_err vn_cluster_trim(const char *urls, uint64_t before, bool json, FILE *out, char *msg,
                       size_t size)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *bucket = NULL;
    node_report nodes[NODES_MAX];
    uint64_t first = 0, last = 0, oldest = UINT64_MAX;
    jsErrCode jerr = 0;
    vn_err err = vn_cluster_check(urls, "trim", msg, size);
    if (err) return err;
    if ((err = vn_cluster_connect(urls, 2000, &nc, &js, msg, size))) return err;
    natsStatus s = vn_cluster_log_ends(js, &first, &last);
    if (s == NATS_OK) s = js_KeyValue(&bucket, js, VN_CLUSTER_BUCKET);
    if (s != NATS_OK) {
        snprintf(msg, size, "no Vangnet cluster on %s: %s", urls, natsStatus_GetText(s));
        err = VN_ENOTFOUND;
        goto out;
    }
    size_t n = vn_cluster_reports(bucket, nodes, NODES_MAX);
    for (size_t i = 0; i < n; i++)
        if (nodes[i].applied < oldest) oldest = nodes[i].applied;
    /* Every running node must have applied what goes: the entry before
     * `before` at least. A stopped node or a backup is the operator's to
     * know (docs/CLUSTER.md): it is not in the reports. */
    if (n == 0 || before > last || before > oldest + 1) {
        snprintf(msg, size,
                 "refused: entries before %llu are not yet applied by every node reporting "
                 "(%zu nodes, the oldest at %llu; the log ends at %llu)",
                 (unsigned long long)before, n, n ? (unsigned long long)oldest : 0ULL,
                 (unsigned long long)last);
        err = VN_EDENIED;
        goto out;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Stream.Purge.Sequence = before;
    s = js_PurgeStream(js, VN_CLUSTER_STREAM, &jo, &jerr);
    if (s != NATS_OK) {
        snprintf(msg, size, "the log could not be trimmed: %s (JetStream error %d)",
                 natsStatus_GetText(s), (int)jerr);
        err = VN_ETRANSPORT;
        goto out;
    }
    vn_cluster_log_ends(js, &first, &last);
    if (json)
        fprintf(out, "{\"first_seq\": %" PRIu64 ", \"last_seq\": %" PRIu64 "}\n", first, last);
    else
        fprintf(out, "log trimmed: entries %" PRIu64 "..%" PRIu64 " remain\n", first, last);
out:
    kvStore_Destroy(bucket);
    vn_cluster_disconnect(nc, js);
    return err;
}
