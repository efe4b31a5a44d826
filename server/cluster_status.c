/* `vangnetd cluster status`: the writer, the log's end, and where each
 * node that reported within the lease's TTL stands; `vangnetd cluster
 * trim`: the log's entries before one every node has applied (cluster.h). */
#include "cluster_nats.h"

#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODES_MAX 64

typedef struct node_report {
    char name[VN_CLUSTER_NODE_MAX + 1];
    char role[16];
    uint64_t applied;
} node_report;

/* "node=NAME applied=N role=ROLE", as cluster.c writes it. */
static bool parse_report(const char *v, int len, node_report *r)
{
    char buf[200];
    unsigned long long applied;
    if (len <= 0 || len >= (int)sizeof buf) return false;
    memcpy(buf, v, (size_t)len);
    buf[len] = '\0';
    if (sscanf(buf, "node=%64[A-Za-z0-9_-] applied=%llu role=%15[a-z]", r->name, &applied,
               r->role) != 3)
        return false;
    r->applied = applied;
    return true;
}

static size_t read_nodes(kvStore *bucket, node_report *nodes)
{
    kvKeysList keys = {0};
    size_t n = 0;
    if (kvStore_Keys(&keys, bucket, NULL) != NATS_OK) return 0;
    for (int i = 0; i < keys.Count && n < NODES_MAX; i++) {
        kvEntry *e = NULL;
        if (strncmp(keys.Keys[i], VN_CLUSTER_NODE_PREFIX, strlen(VN_CLUSTER_NODE_PREFIX)) != 0)
            continue;
        if (kvStore_Get(&e, bucket, keys.Keys[i]) != NATS_OK) continue;
        if (parse_report(kvEntry_Value(e), kvEntry_ValueLen(e), &nodes[n])) n++;
        kvEntry_Destroy(e);
    }
    kvKeysList_Destroy(&keys);
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const node_report *)a)->name, ((const node_report *)b)->name);
}

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

static void print(FILE *out, bool json, const char *writer, const char *leader, uint64_t first,
                  uint64_t last, const node_report *nodes, size_t n)
{
    if (json) {
        fprintf(out, "{\"writer\": ");
        if (writer[0])
            fprintf(out, "\"%s\"", writer);
        else
            fprintf(out, "null");
        fprintf(out, ", \"log_leader\": \"%s\"", leader);
        fprintf(out, ", \"first_seq\": %" PRIu64 ", \"last_seq\": %" PRIu64 ", \"nodes\": [", first,
                last);
        for (size_t i = 0; i < n; i++)
            fprintf(out,
                    "%s{\"node\": \"%s\", \"role\": \"%s\", \"applied\": %" PRIu64
                    ", \"lag\": %" PRIu64 "}",
                    i ? ", " : "", nodes[i].name, nodes[i].role, nodes[i].applied,
                    last > nodes[i].applied ? last - nodes[i].applied : 0);
        fprintf(out, "]}\n");
        return;
    }
    fprintf(out, "writer:   %s\n", writer[0] ? writer : "none (the lease is free)");
    fprintf(out, "log:      entries %" PRIu64 "..%" PRIu64 ", led by NATS server %s\n", first, last,
            leader[0] ? leader : "(unknown)");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "node %-16s %-8s applied %" PRIu64 ", lag %" PRIu64 "\n", nodes[i].name,
                nodes[i].role, nodes[i].applied,
                last > nodes[i].applied ? last - nodes[i].applied : 0);
}

vn_err vn_cluster_status(const char *urls, bool json, FILE *out, char *msg, size_t size)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *bucket = NULL;
    node_report nodes[NODES_MAX];
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
    size_t n = read_nodes(bucket, nodes);
    qsort(nodes, n, sizeof *nodes, by_name);
    print(out, json, writer, leader, first, last, nodes, n);
out:
    kvStore_Destroy(bucket);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_CloseAndWait(2000);
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
    size_t n = read_nodes(bucket, nodes);
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
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_CloseAndWait(2000);
    return err;
}
