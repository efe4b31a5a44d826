/* The names, the connection, the stream and the bucket of cluster mode
 * (cluster_nats.h). */
#include "cluster_nats.h"

#include "log.h"
#include "vn/hex.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The derivation's context: a subkey of the store key only for naming. */
#define NAMES_CONTEXT "vnclustr"

int vn_cluster_replicas(const char *urls)
{
    size_t n = 1;
    for (const char *p = urls; (p = strchr(p, ',')); p++)
        n++;
    return n >= 3 ? 3 : 1;
}

natsStatus vn_cluster_bucket(kvStore **bucket, jsCtx *js, const char *name, uint64_t ttl_ms,
                             int replicas)
{
    natsStatus s = js_KeyValue(bucket, js, name);
    if (s != NATS_NOT_FOUND) return s;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.TTL = (int64_t)ttl_ms * 1000000; /* nanoseconds */
    kc.StorageType = js_FileStorage;
    kc.Replicas = replicas;
    s = js_CreateKeyValue(bucket, js, &kc);
    if (s != NATS_OK) s = js_KeyValue(bucket, js, name); /* another was quicker */
    return s;
}

void vn_cluster_names(const uint8_t store_key[32], const char *node,
                      char subject[VN_CLUSTER_SUBJECT_MAX], char node_key[VN_CLUSTER_KEY_MAX])
{
    uint8_t sub[crypto_generichash_KEYBYTES], h[16];
    char hex[2 * sizeof h + 1];
    crypto_kdf_derive_from_key(sub, sizeof sub, 1, NAMES_CONTEXT, store_key);
    crypto_generichash(h, sizeof h, (const uint8_t *)"log", 3, sub, sizeof sub);
    vn_hex_encode(h, sizeof h, hex);
    snprintf(subject, VN_CLUSTER_SUBJECT_MAX, "vn.log.%s", hex);
    crypto_generichash(h, 12, (const uint8_t *)node, strlen(node), sub, sizeof sub);
    vn_hex_encode(h, 12, hex);
    snprintf(node_key, VN_CLUSTER_KEY_MAX, VN_CLUSTER_NODE_PREFIX "%s", hex);
    sodium_memzero(sub, sizeof sub);
}

vn_err vn_cluster_connect(const char *urls, uint64_t wait_ms, natsConnection **nc, jsCtx **js,
                          char *msg, size_t size)
{
    natsOptions *opts = NULL;
    const char *list[VN_CLUSTER_URLS_N];
    char buf[VN_CLUSTER_NATS_URLS_MAX + 1];
    int n = 0;
    jsOptions jo;
    *nc = NULL;
    *js = NULL;
    snprintf(buf, sizeof buf, "%s", urls);
    for (char *p = buf; p && n < VN_CLUSTER_URLS_N; n++) {
        list[n] = p;
        p = strchr(p, ',');
        if (p) *p++ = '\0';
    }
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetServers(opts, list, n);
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
    /* Once connected, it keeps trying the others for as long as it runs. */
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
    /* Forwarded requests (forward.h) go out at once, not at the flusher's pace. */
    if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
    if (s == NATS_OK) s = natsConnection_Connect(nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
        snprintf(msg, size, "cannot connect to the NATS servers %s: %s", urls,
                 natsStatus_GetText(s));
        return VN_ETRANSPORT;
    }
    jsOptions_Init(&jo);
    jo.Wait = (int64_t)wait_ms;
    if (natsConnection_JetStream(js, *nc, &jo) != NATS_OK) {
        snprintf(msg, size, "the NATS servers %s offer no JetStream (start them with -js)", urls);
        natsConnection_Destroy(*nc);
        *nc = NULL;
        return VN_ETRANSPORT;
    }
    return VN_OK;
}

static vn_err setup_stream(jsCtx *js, int replicas, const char *subject, char *msg, size_t size)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, VN_CLUSTER_STREAM, NULL, &jerr);
    if (s == NATS_NOT_FOUND) {
        jsStreamConfig sc;
        const char *subjects[1] = {subject};
        jsStreamConfig_Init(&sc);
        sc.Name = VN_CLUSTER_STREAM;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Replicas = replicas;
        sc.DenyDelete = true; /* an entry is never taken out of the middle */
        s = js_AddStream(&si, js, &sc, NULL, &jerr);
        if (s != NATS_OK) {
            snprintf(msg, size, "cannot make the log stream %s: %s", VN_CLUSTER_STREAM,
                     nats_GetLastError(NULL));
            return VN_ETRANSPORT; /* another node may be making it: tried again */
        }
    }
    if (s != NATS_OK) {
        snprintf(msg, size, "cannot find the log stream %s: %s (JetStream error %d)",
                 VN_CLUSTER_STREAM, natsStatus_GetText(s), (int)jerr);
        return VN_ETRANSPORT;
    }
    bool ours =
        si->Config && si->Config->SubjectsLen == 1 && strcmp(si->Config->Subjects[0], subject) == 0;
    jsStreamInfo_Destroy(si);
    if (!ours) {
        snprintf(msg, size,
                 "the log stream %s in NATS belongs to another cluster (its subject is not this "
                 "store key's): nodes of one cluster share the store key (docs/CLUSTER.md)",
                 VN_CLUSTER_STREAM);
        return VN_EDENIED;
    }
    return VN_OK;
}

/* A JetStream cluster that has just started may not place a replicated
 * stream yet (too few peers known): tried again for this long. */
#define SETUP_TRIES    120
#define SETUP_RETRY_MS 250

vn_err vn_cluster_setup(jsCtx *js, const char *urls, const char *subject, uint64_t lease_ms,
                        kvStore **bucket, char *msg, size_t size)
{
    int replicas = vn_cluster_replicas(urls);
    vn_err err = VN_ETRANSPORT;
    natsStatus s = NATS_ERR;
    for (int i = 0; i < SETUP_TRIES; i++) {
        if (i) nats_Sleep(SETUP_RETRY_MS);
        err = setup_stream(js, replicas, subject, msg, size);
        if (err == VN_EDENIED) return err;
        if (err && i == 4) vn_logl(VN_LEVEL_WARN, "cluster: waiting for NATS: %s", msg);
        if (err) continue;
        s = vn_cluster_bucket(bucket, js, VN_CLUSTER_BUCKET, lease_ms, replicas);
        if (s == NATS_OK) return VN_OK;
        snprintf(msg, size, "cannot find or make the lease bucket %s: %s (%s)", VN_CLUSTER_BUCKET,
                 natsStatus_GetText(s), nats_GetLastError(NULL));
        err = VN_ETRANSPORT;
    }
    return err;
}

natsStatus vn_cluster_log_ends(jsCtx *js, uint64_t *first, uint64_t *last)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, VN_CLUSTER_STREAM, NULL, &jerr);
    if (s != NATS_OK) return s;
    *first = si->State.FirstSeq;
    *last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return NATS_OK;
}

void vn_cluster_disconnect(natsConnection *nc, jsCtx *js)
{
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_CloseAndWait(2000);
}
