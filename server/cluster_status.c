/* `vangnetd cluster status`: the writer, the log's end, and where each
 * node that reported within the lease's TTL stands (cluster.h). */
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

static void print(FILE *out, bool json, const char *writer, uint64_t first, uint64_t last,
                  const node_report *nodes, size_t n)
{
    if (json) {
        fprintf(out, "{\"writer\": ");
        if (writer[0])
            fprintf(out, "\"%s\"", writer);
        else
            fprintf(out, "null");
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
    fprintf(out, "log:      entries %" PRIu64 "..%" PRIu64 "\n", first, last);
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
    size_t n = read_nodes(bucket, nodes);
    qsort(nodes, n, sizeof *nodes, by_name);
    print(out, json, writer, first, last, nodes, n);
out:
    kvStore_Destroy(bucket);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_CloseAndWait(2000);
    return err;
}
