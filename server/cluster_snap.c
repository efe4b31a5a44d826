/* Where the nodes and the registered backups stand, and how far the log
 * may be trimmed behind them (cluster_nats.h, docs/CLUSTER.md). */
#include "cluster_nats.h"

#include "vn/hex.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "node=NAME applied=N role=ROLE", as cluster.c writes it. */
static bool parse_report(const char *v, int len, vn_cluster_report *r)
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

static int by_name(const void *a, const void *b)
{
    return strcmp(((const vn_cluster_report *)a)->name, ((const vn_cluster_report *)b)->name);
}

size_t vn_cluster_reports(kvStore *bucket, vn_cluster_report *out, size_t max)
{
    kvKeysList keys = {0};
    size_t n = 0;
    if (kvStore_Keys(&keys, bucket, NULL) != NATS_OK) return 0;
    for (int i = 0; i < keys.Count && n < max; i++) {
        kvEntry *e = NULL;
        if (strncmp(keys.Keys[i], VN_CLUSTER_NODE_PREFIX, strlen(VN_CLUSTER_NODE_PREFIX)) != 0)
            continue;
        if (kvStore_Get(&e, bucket, keys.Keys[i]) != NATS_OK) continue;
        if (parse_report(kvEntry_Value(e), kvEntry_ValueLen(e), &out[n])) n++;
        kvEntry_Destroy(e);
    }
    kvKeysList_Destroy(&keys);
    qsort(out, n, sizeof *out, by_name);
    return n;
}

/* The stream that holds a key-value bucket, as JetStream names it. */
#define SNAP_STREAM "KV_" VN_CLUSTER_SNAPSHOTS

/* Sets the bucket's keep (its stream's MaxAge) to keep_ms if it differs. */
static vn_err update_keep(jsCtx *js, uint64_t keep_ms, char *msg, size_t size)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, SNAP_STREAM, NULL, &jerr);
    if (s != NATS_OK) return VN_OK; /* looked at again at the next start */
    int64_t want = (int64_t)keep_ms * 1000000;
    if (si->Config && si->Config->MaxAge != want) {
        jsStreamInfo *upd = NULL;
        si->Config->MaxAge = want;
        s = js_UpdateStream(&upd, js, si->Config, NULL, &jerr);
        jsStreamInfo_Destroy(upd);
        if (s != NATS_OK) {
            snprintf(msg, size, "cannot set how long backups stay registered: %s (%d)",
                     natsStatus_GetText(s), (int)jerr);
            jsStreamInfo_Destroy(si);
            return VN_ETRANSPORT;
        }
    }
    jsStreamInfo_Destroy(si);
    return VN_OK;
}

vn_err vn_cluster_snap_bucket(jsCtx *js, const char *urls, uint64_t keep_ms, bool create,
                              bool update, kvStore **bucket, char *msg, size_t size)
{
    natsStatus s = js_KeyValue(bucket, js, VN_CLUSTER_SNAPSHOTS);
    if (s == NATS_OK) return update ? update_keep(js, keep_ms, msg, size) : VN_OK;
    if (s != NATS_NOT_FOUND || !create) {
        snprintf(msg, size, "no bucket %s of registered backups: %s", VN_CLUSTER_SNAPSHOTS,
                 natsStatus_GetText(s));
        return s == NATS_NOT_FOUND ? VN_ENOTFOUND : VN_ETRANSPORT;
    }
    s = vn_cluster_bucket(bucket, js, VN_CLUSTER_SNAPSHOTS, keep_ms, vn_cluster_replicas(urls));
    if (s == NATS_OK) return VN_OK;
    snprintf(msg, size, "cannot make the bucket %s of registered backups: %s (%s)",
             VN_CLUSTER_SNAPSHOTS, natsStatus_GetText(s), nats_GetLastError(NULL));
    return VN_ETRANSPORT;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const vn_cluster_snap *)a)->seq, y = ((const vn_cluster_snap *)b)->seq;
    return x < y ? -1 : x > y;
}

size_t vn_cluster_snaps(kvStore *bucket, vn_cluster_snap *out, size_t max)
{
    kvKeysList keys = {0};
    size_t n = 0;
    if (kvStore_Keys(&keys, bucket, NULL) != NATS_OK) return 0; /* none yet */
    for (int i = 0; i < keys.Count && n < max; i++) {
        kvEntry *e = NULL;
        char buf[80];
        unsigned long long seq, t;
        if (strncmp(keys.Keys[i], VN_CLUSTER_SNAP_PREFIX, strlen(VN_CLUSTER_SNAP_PREFIX)) != 0)
            continue;
        if (kvStore_Get(&e, bucket, keys.Keys[i]) != NATS_OK) continue;
        int len = kvEntry_ValueLen(e);
        if (len > 0 && len < (int)sizeof buf) {
            memcpy(buf, kvEntry_Value(e), (size_t)len);
            buf[len] = '\0';
            if (sscanf(buf, "seq=%llu time=%llu", &seq, &t) == 2)
                out[n++] = (vn_cluster_snap){.seq = seq, .time_ms = t};
        }
        kvEntry_Destroy(e);
    }
    kvKeysList_Destroy(&keys);
    qsort(out, n, sizeof *out, by_seq);
    return n;
}

uint64_t vn_cluster_trim_point(const vn_cluster_snap *snaps, size_t ns,
                               const vn_cluster_report *nodes, size_t nn)
{
    if (!ns || !nn) return 0;
    uint64_t keep = snaps[0].seq + 1; /* the backup goes on from there */
    for (size_t i = 0; i < ns; i++)
        if (snaps[i].seq + 1 < keep) keep = snaps[i].seq + 1;
    for (size_t i = 0; i < nn; i++)
        if (nodes[i].applied + 1 < keep) keep = nodes[i].applied + 1;
    return keep;
}

/* The key of a backup place: a keyed hash, naming neither host nor path. */
static void snap_key(const uint8_t store_key[32], const char *place, char key[VN_CLUSTER_KEY_MAX])
{
    uint8_t sub[crypto_generichash_KEYBYTES], h[12];
    char hex[2 * sizeof h + 1];
    crypto_kdf_derive_from_key(sub, sizeof sub, 3, "vnclustr", store_key);
    crypto_generichash(h, sizeof h, (const uint8_t *)place, strlen(place), sub, sizeof sub);
    vn_hex_encode(h, sizeof h, hex);
    snprintf(key, VN_CLUSTER_KEY_MAX, VN_CLUSTER_SNAP_PREFIX "%s", hex);
    sodium_memzero(sub, sizeof sub);
}

vn_err vn_cluster_snap_register(const char *urls, const uint8_t store_key[32], uint64_t keep_ms,
                                const char *place, uint64_t seq, char *msg, size_t size)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *bucket = NULL;
    char key[VN_CLUSTER_KEY_MAX], val[80];
    uint64_t rev = 0;
    struct timespec ts;
    if (sodium_init() < 0) return VN_ECRYPTO;
    vn_err err = vn_cluster_connect(urls, 2000, &nc, &js, msg, size);
    if (err) return err;
    if ((err = vn_cluster_snap_bucket(js, urls, keep_ms, true, false, &bucket, msg, size)))
        goto out;
    snap_key(store_key, place, key);
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(val, sizeof val, "seq=%llu time=%llu", (unsigned long long)seq,
             (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000);
    natsStatus s = kvStore_PutString(&rev, bucket, key, val);
    if (s != NATS_OK) {
        snprintf(msg, size, "cannot register the backup in %s: %s", VN_CLUSTER_SNAPSHOTS,
                 natsStatus_GetText(s));
        err = VN_ETRANSPORT;
    }
out:
    kvStore_Destroy(bucket);
    vn_cluster_disconnect(nc, js);
    return err;
}
