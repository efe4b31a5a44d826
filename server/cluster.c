/* Cluster mode: the replicated log, the write lease and the follower
 * (cluster.h, docs/CLUSTER.md). The status command is in
 * cluster_status.c; what both need of NATS is in cluster_nats.h. */
#include "cluster.h"
#include "cluster_nats.h"
#include "cluster_parts.h"

#include "log.h"
#include "vn/accounts.h"
#include "vn/array.h"
#include "vn/kv.h"
#include "vn/meta.h"

#include <pthread.h>
#include <stdio.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 1024 /* log entries fetched and not yet applied */
#define FETCH_MAX 256  /* entries fetched in one go before the loop gets them */
#define SLACK     1024 /* room left in a NATS message for JetStream's headers */

enum { ROLE_FOLLOWER, ROLE_WRITER };

/* One entry of the log, fetched by the thread, applied by the loop. */
typedef struct entry {
    uint64_t seq;
    uint8_t *data; /* the encoded write-set (NULL for an empty one: a marker) */
    size_t len;
} entry;

struct vn_cluster {
    natsConnection *nc;
    jsCtx *js;
    kvStore *bucket;
    kvStore *snaps;             /* registered backups (cluster_nats.h) */
    natsSubscription *wake_sub; /* plain NATS on the log's subject: wakes the thread */
    char subject[VN_CLUSTER_SUBJECT_MAX];
    char node[VN_CLUSTER_NODE_MAX + 1];
    char node_key[VN_CLUSTER_KEY_MAX]; /* where this node reports in the bucket */
    uint64_t lease_ms;
    uint64_t trim_every_ms; /* how often the writer trims the log */
    int64_t max_payload;    /* the NATS servers' largest message */
    vn_sstore *store;
    uv_async_t async; /* the thread's hand-over to the loop */
    pthread_t thread;
    bool thread_started;
    bool async_started; /* async needs uv_close, and frees c in its callback */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* Under mu. */
    entry *queue;
    size_t nq, capq;
    bool stop, wake, step_down;
    uint64_t fetch_next; /* the next sequence the thread reads; 0: applied + 1 */
    uint64_t gen;        /* bumped when the loop wants the log read again */
    uint64_t marker_seq; /* the marker this node appended on taking the lease */
    char writer[VN_CLUSTER_NODE_MAX + 1];
    /* Read anywhere, written by their owner. */
    _Atomic int role;         /* ROLE_*: the loop and the thread */
    _Atomic uint64_t applied; /* the store's position (the loop writes it) */
    /* The last entry the loop took: the store's position, or the last part
     * of a group not yet whole (the lease is taken, and the marker
     * appended, after it: a deposed writer's partial group ends there). */
    _Atomic uint64_t consumed;
    /* The thread's own. */
    bool holding;       /* this node holds the lease */
    uint64_t lease_rev; /* its revision in the bucket */
    bool told_trimmed;  /* logged that the log begins after this store */
    /* The loop's own. */
    bool applying;  /* the commit hook lets the applying transaction through */
    vn_parts parts; /* a write-set split over entries, being gathered */
};

vn_err vn_cluster_check(const char *urls, const char *node, char *msg, size_t size)
{
    if (!node || !node[0] || strlen(node) > VN_CLUSTER_NODE_MAX ||
        strspn(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            strlen(node)) {
        snprintf(msg, size,
                 "--node must name this node: 1..%d letters, digits, '-' or '_' (cluster mode "
                 "needs it), not '%s'",
                 VN_CLUSTER_NODE_MAX, node ? node : "");
        return VN_EINVAL;
    }
    if (!urls || !urls[0] || strlen(urls) > VN_CLUSTER_URLS_MAX) {
        snprintf(msg, size, "--cluster must list the NATS servers: nats://HOST:PORT,...");
        return VN_EINVAL;
    }
    size_t n = 0;
    for (const char *p = urls; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        size_t len = strcspn(p, ",");
        if (len < 8 || strncmp(p, "nats://", 7) != 0 || ++n > VN_CLUSTER_URLS_N) {
            snprintf(msg, size,
                     "--cluster must be up to %d NATS servers as nats://HOST:PORT, separated by "
                     "commas; not '%.*s'",
                     VN_CLUSTER_URLS_N, (int)len, p);
            return VN_EINVAL;
        }
    }
    return VN_OK;
}

_Static_assert(VN_CLUSTER_URLS_MAX == VN_CLUSTER_NATS_URLS_MAX, "one limit for --cluster");

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct __natsConnection *vn_cluster_nats(vn_cluster *self)
{
    return self ? self->nc : NULL;
}

bool vn_cluster_may_write(const vn_cluster *self)
{
    return !self || atomic_load(&self->role) == ROLE_WRITER;
}

void vn_cluster_writer(vn_cluster *self, char *buf, size_t size)
{
    if (!size) return;
    buf[0] = '\0';
    if (!self) return;
    pthread_mutex_lock(&self->mu);
    snprintf(buf, size, "%s", self->writer);
    pthread_mutex_unlock(&self->mu);
}

/* Wakes the thread (from the loop or a NATS callback). */
static void wake(vn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    c->wake = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

/* The loop gives up writing at once (a refused or unanswered append, a
 * commit that failed after its append) and has the log read again from
 * the store's position: what was appended is applied from there. */
static void step_down(vn_cluster *c, const char *why)
{
    if (atomic_exchange(&c->role, ROLE_FOLLOWER) == ROLE_WRITER)
        vn_logl(VN_LEVEL_WARN, "cluster: node %s steps down to follower: %s", c->node, why);
    pthread_mutex_lock(&c->mu);
    c->step_down = true;
    c->fetch_next = 0;
    c->gen++;
    c->wake = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

/* The store's position, and the last entry taken (no group pending). */
static void set_applied(vn_cluster *c, uint64_t seq)
{
    atomic_store(&c->applied, seq);
    atomic_store(&c->consumed, seq);
}

/* One entry appended after expect; its sequence in *seq. */
static natsStatus publish(vn_cluster *c, const uint8_t *data, size_t len, uint64_t expect,
                          uint64_t *seq, jsErrCode *jerr)
{
    jsPubAck *ack = NULL;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectLastSeq = expect;
    po.MaxWait = (int64_t)(c->lease_ms / 2);
    natsStatus s = js_Publish(&ack, c->js, c->subject, data, (int)len, &po, jerr);
    if (s == NATS_OK) *seq = ack->Sequence;
    jsPubAck_Destroy(ack);
    return s;
}

/* A write-set too large for one NATS message: consecutive parts
 * (cluster_parts.h), each expecting the one before. */
static natsStatus publish_parts(vn_cluster *c, const uint8_t *ws, size_t len, size_t room,
                                uint64_t expect, uint64_t *seq, jsErrCode *jerr)
{
    uint32_t count = (uint32_t)((len + room - 1) / room);
    uint8_t *buf = malloc(VN_PARTS_HEAD + room);
    natsStatus s = buf ? NATS_OK : NATS_NO_MEMORY;
    for (uint32_t i = 0; i < count && s == NATS_OK; i++) {
        size_t off = (size_t)i * room, n = len - off < room ? len - off : room;
        vn_parts_header(buf, i, count);
        memcpy(buf + VN_PARTS_HEAD, ws + off, n);
        s = publish(c, buf, VN_PARTS_HEAD + n, expect, seq, jerr);
        expect = *seq;
    }
    free(buf);
    if (s == NATS_OK)
        vn_log("cluster: a write-set of %zu bytes appended as %u entries (max_payload %lld)", len,
               (unsigned)count, (long long)c->max_payload);
    return s;
}

/* Appends a write-set to the log, expecting the log to end where the
 * store does, and records the entry's sequence (a split write-set's last)
 * in the open transaction (loop thread). A refusal or no acknowledgement
 * steps the node down. */
static vn_err append(vn_cluster *c, const uint8_t *ws, size_t len, uint64_t *seq_out)
{
    jsErrCode jerr = 0;
    uint64_t expect = 0, seq = 0;
    /* The store's own position, read inside this transaction: if an
     * earlier commit failed after its append, the log is ahead of the
     * store, this append is refused and the node catches up as a
     * follower (its own entry included). */
    vn_err err = vn_meta_log_seq(c->store, &expect);
    if (err) return err;
    size_t room = c->max_payload > 4 * SLACK ? (size_t)c->max_payload - SLACK : 3 * SLACK;
    natsStatus s = len <= room
                       ? publish(c, ws, len, expect, &seq, &jerr)
                       : publish_parts(c, ws, len, room - VN_PARTS_HEAD, expect, &seq, &jerr);
    if (s != NATS_OK) {
        char why[160];
        /* The store's position, not the last append's: a commit that
         * failed after its append left the store behind it, and the
         * thread reads the log, and decides on the lease, from here. */
        set_applied(c, expect);
        snprintf(why, sizeof why, "appending to the log after %llu failed: %s (JetStream error %d)",
                 (unsigned long long)expect, natsStatus_GetText(s), (int)jerr);
        step_down(c, why);
        return VN_EUNAVAILABLE;
    }
    if ((err = vn_meta_set_log_seq(c->store, seq))) {
        step_down(c, "the log position could not be written");
        return err;
    }
    set_applied(c, seq);
    if (seq_out) *seq_out = seq;
    return VN_OK;
}

/* The commit hook (loop thread): the writer appends the transaction's
 * write-set to the log and records the entry's sequence in the same
 * transaction; anyone else's write is refused. Runs before LMDB commits:
 * nothing reaches the local store, or a reply, that the log does not
 * hold. */
static vn_err on_commit(void *ud, const uint8_t *ws, size_t len)
{
    vn_cluster *c = ud;
    if (c->applying) return VN_OK;
    if (atomic_load(&c->role) != ROLE_WRITER) return VN_EUNAVAILABLE;
    return append(c, ws, len, NULL);
}

vn_err vn_cluster_append_ws(vn_cluster *c, const uint8_t *ws, size_t len, vn_cluster_ws_check check,
                            void *ud, uint64_t *seq)
{
    vn_kv *kv = vn_sstore_kv(c->store);
    if (!len) return VN_EPROTO;
    if (atomic_load(&c->role) != ROLE_WRITER) return VN_EUNAVAILABLE;
    if (vn_kv_in_txn(kv)) return VN_EINVAL;
    /* As a follower applies an entry, with the append of apply_entry's
     * counterpart: the hook lets this transaction through. */
    c->applying = true;
    vn_err err = vn_kv_begin(kv);
    if (!err) {
        err = vn_kv_ws_apply(kv, ws, len);
        if (!err && check) err = check(c->store, ud);
        if (!err) vn_accounts_written_raw(c->store);
        if (!err) err = append(c, ws, len, seq);
        if (err) {
            vn_kv_abort(kv);
        } else if ((err = vn_kv_commit(kv))) {
            /* In the log, not in the store: read it back as a follower. */
            step_down(c, "a local commit failed after its append");
        }
    }
    c->applying = false;
    return err;
}

/* Applies one entry in a transaction of its own with its sequence. */
static vn_err apply_entry(vn_cluster *c, const entry *e)
{
    vn_kv *kv = vn_sstore_kv(c->store);
    c->applying = true;
    vn_err err = vn_kv_begin(kv);
    if (!err) {
        err = vn_kv_ws_apply(kv, e->data, e->len);
        /* Whatever it changed, the peer cache asks the store again. */
        if (!err) vn_accounts_written_raw(c->store);
        if (!err) err = vn_meta_set_log_seq(c->store, e->seq);
        if (err)
            vn_kv_abort(kv);
        else
            err = vn_kv_commit(kv);
    }
    c->applying = false;
    return err;
}

/* Takes one entry, the next after what was taken: a part is gathered (the
 * write-set applied once whole), anything else applied, ending a group
 * left unfinished by a deposed writer. *stored: the store's position. */
static vn_err take_entry(vn_cluster *c, const entry *e, uint64_t *stored)
{
    uint32_t index, count;
    vn_parts_took took = VN_PARTS_MORE;
    vn_err err;
    if (e->len && vn_parts_parse(e->data, e->len, &index, &count)) {
        if ((err = vn_parts_take(&c->parts, e->seq, e->data, e->len, &took))) return err;
        if (took == VN_PARTS_MORE) return VN_OK;
        if (took == VN_PARTS_STRAY) {
            vn_logl(VN_LEVEL_WARN,
                    "cluster: log entry %llu, part %u of %u, continues no group: "
                    "skipped",
                    (unsigned long long)e->seq, (unsigned)index + 1, (unsigned)count);
            entry skip = {.seq = e->seq};
            err = apply_entry(c, &skip);
        } else {
            entry whole = {.seq = e->seq, .data = c->parts.buf, .len = c->parts.len};
            err = apply_entry(c, &whole);
            vn_parts_drop(&c->parts);
        }
    } else {
        if (c->parts.count)
            vn_logl(VN_LEVEL_WARN,
                    "cluster: a write-set split over entries %llu..%llu was not finished (its "
                    "writer was deposed): discarded, as its writer discarded it",
                    (unsigned long long)(c->parts.last_seq + 1 - c->parts.next),
                    (unsigned long long)c->parts.last_seq);
        vn_parts_drop(&c->parts);
        err = apply_entry(c, e);
    }
    if (err) return err;
    *stored = e->seq;
    set_applied(c, e->seq);
    return VN_OK;
}

/* The loop's side of the hand-over: applies what the thread fetched, in
 * order, each entry once. */
static void on_async(uv_async_t *h)
{
    vn_cluster *c = h->data;
    entry *q;
    size_t n;
    uint64_t stored = 0;
    pthread_mutex_lock(&c->mu);
    q = c->queue, n = c->nq;
    c->queue = NULL, c->nq = c->capq = 0;
    pthread_mutex_unlock(&c->mu);
    vn_err err = vn_meta_log_seq(c->store, &stored);
    bool again = false;
    for (size_t i = 0; i < n && !err && !again; i++) {
        const entry *e = &q[i];
        uint64_t taken = c->parts.count ? c->parts.last_seq : stored;
        if (e->seq <= taken || atomic_load(&c->role) == ROLE_WRITER) continue;
        if (vn_kv_in_txn(vn_sstore_kv(c->store)) || e->seq != taken + 1) {
            again = true; /* a gap: read the log again from the store's position */
            break;
        }
        if ((err = take_entry(c, e, &stored))) {
            vn_logl(VN_LEVEL_ERROR, "cluster: cannot apply log entry %llu: %s",
                    (unsigned long long)e->seq, vn_err_str(err));
            again = true;
            break;
        }
    }
    /* Read again from the store's position: a group pending is read again. */
    if (again) vn_parts_drop(&c->parts);
    atomic_store(&c->consumed, c->parts.count ? c->parts.last_seq : stored);
    for (size_t i = 0; i < n; i++)
        free(q[i].data);
    free(q);
    bool became = false;
    pthread_mutex_lock(&c->mu);
    if (again) {
        c->fetch_next = 0;
        c->gen++;
    }
    /* Its own marker applied: the log holds nothing this node lacks, and
     * no deposed writer can append after it. */
    if (c->marker_seq && stored >= c->marker_seq) {
        c->marker_seq = 0;
        atomic_store(&c->role, ROLE_WRITER);
        snprintf(c->writer, sizeof c->writer, "%s", c->node);
        became = true;
    }
    pthread_mutex_unlock(&c->mu);
    if (became)
        vn_log("cluster: node %s is the writer (log at %llu)", c->node, (unsigned long long)stored);
    if (again) wake(c);
}

/* Thread: reads the log from where the store (or the queue) ends. */
static void fetch(vn_cluster *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t gen = c->gen;
    uint64_t next = c->fetch_next ? c->fetch_next : atomic_load(&c->applied) + 1;
    bool room = c->nq < QUEUE_MAX;
    pthread_mutex_unlock(&c->mu);
    size_t got = 0;
    for (; room && got < FETCH_MAX; got++, next++) {
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        if (js_GetMsg(&m, c->js, VN_CLUSTER_STREAM, next, NULL, &jerr) != NATS_OK) break;
        entry e = {.seq = next, .len = (size_t)natsMsg_GetDataLength(m)};
        if (e.len && !(e.data = malloc(e.len))) {
            natsMsg_Destroy(m);
            break;
        }
        if (e.len) memcpy(e.data, natsMsg_GetData(m), e.len);
        natsMsg_Destroy(m);
        pthread_mutex_lock(&c->mu);
        bool ok = gen == c->gen &&
                  !vn_array_reserve(&c->queue, &c->capq, c->nq + 1, sizeof *c->queue, QUEUE_MAX);
        if (ok) {
            c->queue[c->nq++] = e;
            c->fetch_next = next + 1;
            room = c->nq < QUEUE_MAX;
        }
        pthread_mutex_unlock(&c->mu);
        if (!ok) {
            free(e.data);
            break;
        }
    }
    if (got) uv_async_send(&c->async);
}

/* Thread: the lease is gone (a renew refused, or someone else's). */
static void depose(vn_cluster *c, const char *why)
{
    c->holding = false;
    pthread_mutex_lock(&c->mu);
    c->marker_seq = 0;
    pthread_mutex_unlock(&c->mu);
    if (atomic_exchange(&c->role, ROLE_FOLLOWER) == ROLE_WRITER)
        vn_logl(VN_LEVEL_WARN, "cluster: node %s is no longer the writer: %s", c->node, why);
}

/* Thread: the writer keeps its lease; a refused renew deposes it at once
 * (it may have expired: another node may hold it already). */
static void renew(vn_cluster *c)
{
    uint64_t rev = 0;
    natsStatus s =
        kvStore_UpdateString(&rev, c->bucket, VN_CLUSTER_LEASE_KEY, c->node, c->lease_rev);
    if (s == NATS_OK) {
        c->lease_rev = rev;
        return;
    }
    char why[160];
    snprintf(why, sizeof why, "its lease could not be renewed (expired, or another node's): %s",
             natsStatus_GetText(s));
    depose(c, why);
}

/* Thread: gives the lease up (after a step-down), if it is still ours. */
static void release(vn_cluster *c)
{
    uint64_t rev = 0;
    if (c->holding) kvStore_UpdateString(&rev, c->bucket, VN_CLUSTER_LEASE_KEY, "", c->lease_rev);
    depose(c, "stepped down");
}

/* Thread, holding the lease: appends the marker (an empty entry) right
 * after the last entry this node applied. A writer deposed meanwhile can
 * then append nothing more (its expected last sequence is stale), and
 * once the loop has applied the marker this node becomes the writer. */
static void append_marker(vn_cluster *c)
{
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    jsPubOptions po;
    uint64_t applied = atomic_load(&c->consumed);
    jsPubOptions_Init(&po);
    po.ExpectLastSeq = applied; /* 0 (a new log) sets no expectation */
    po.MaxWait = (int64_t)c->lease_ms;
    natsStatus s = js_Publish(&ack, c->js, c->subject, "", 0, &po, &jerr);
    if (s != NATS_OK) return; /* the log moved on: catch up, then again */
    pthread_mutex_lock(&c->mu);
    c->marker_seq = ack->Sequence;
    pthread_mutex_unlock(&c->mu);
    jsPubAck_Destroy(ack);
    fetch(c);
}

/* Thread, not the writer: takes the lease when it is free and the store
 * has applied the whole log, then appends the marker. */
static void try_lease(vn_cluster *c)
{
    kvEntry *e = NULL;
    uint64_t rev = 0, last = 0, first = 0;
    char holder[VN_CLUSTER_NODE_MAX + 1] = "";
    natsStatus s = kvStore_Get(&e, c->bucket, VN_CLUSTER_LEASE_KEY);
    if (s == NATS_OK) {
        snprintf(holder, sizeof holder, "%.*s", kvEntry_ValueLen(e),
                 (const char *)kvEntry_Value(e));
        rev = kvEntry_Revision(e);
        kvEntry_Destroy(e);
    } else if (s != NATS_NOT_FOUND) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    snprintf(c->writer, sizeof c->writer, "%s", holder);
    uint64_t marker = c->marker_seq;
    pthread_mutex_unlock(&c->mu);
    if (c->holding) {
        if (strcmp(holder, c->node) != 0) {
            depose(c, "the lease is someone else's");
            return;
        }
        if (!marker && vn_cluster_log_ends(c->js, &first, &last) == NATS_OK &&
            atomic_load(&c->consumed) == last)
            append_marker(c);
        return;
    }
    if (vn_cluster_log_ends(c->js, &first, &last) != NATS_OK) return;
    uint64_t applied = atomic_load(&c->applied);
    if (first > applied + 1 && last > applied) {
        if (!c->told_trimmed)
            vn_logl(VN_LEVEL_ERROR,
                    "cluster: the log starts at %llu but this store holds it only up to %llu: "
                    "restore this node from a newer backup (docs/CLUSTER.md)",
                    (unsigned long long)first, (unsigned long long)applied);
        c->told_trimmed = true;
        return;
    }
    /* A lease under this node's name from before a restart is free too. */
    if (holder[0] && strcmp(holder, c->node) != 0) return;
    if (atomic_load(&c->consumed) != last) return; /* catch up first */
    s = s == NATS_NOT_FOUND
            ? kvStore_CreateString(&rev, c->bucket, VN_CLUSTER_LEASE_KEY, c->node)
            : kvStore_UpdateString(&rev, c->bucket, VN_CLUSTER_LEASE_KEY, c->node, rev);
    if (s != NATS_OK) return; /* someone was quicker */
    c->holding = true;
    c->lease_rev = rev;
    append_marker(c);
}

/* Thread, the writer: trims the log behind the oldest registered backup,
 * never past a node that reports (vn_cluster_trim_point); nothing while no
 * backup is registered. The last entry stays: the log's end is known. */
static void auto_trim(vn_cluster *c)
{
    vn_cluster_report nodes[VN_CLUSTER_REPORTS_MAX];
    vn_cluster_snap *snaps = malloc(VN_CLUSTER_SNAPS_MAX * sizeof *snaps);
    uint64_t first = 0, last = 0;
    jsErrCode jerr = 0;
    if (!snaps || !c->snaps) {
        free(snaps);
        return;
    }
    size_t ns = vn_cluster_snaps(c->snaps, snaps, VN_CLUSTER_SNAPS_MAX);
    size_t nn = ns ? vn_cluster_reports(c->bucket, nodes, VN_CLUSTER_REPORTS_MAX) : 0;
    uint64_t keep = vn_cluster_trim_point(snaps, ns, nodes, nn);
    uint64_t oldest = ns ? snaps[0].seq : 0;
    free(snaps);
    if (!keep || vn_cluster_log_ends(c->js, &first, &last) != NATS_OK) return;
    if (keep > last) keep = last;
    if (keep <= first) return;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Stream.Purge.Sequence = keep;
    natsStatus s = js_PurgeStream(c->js, VN_CLUSTER_STREAM, &jo, &jerr);
    if (s != NATS_OK)
        vn_logl(VN_LEVEL_WARN, "cluster: the log could not be trimmed: %s (JetStream error %d)",
                natsStatus_GetText(s), (int)jerr);
    else
        vn_log("cluster: log trimmed: entries before %llu removed (the oldest registered backup "
               "is at %llu)",
               (unsigned long long)keep, (unsigned long long)oldest);
}

/* Thread: tells `vangnetd cluster status` where this node is. */
static void report(vn_cluster *c)
{
    char v[160];
    uint64_t rev;
    snprintf(v, sizeof v, "node=%s applied=%llu role=%s", c->node,
             (unsigned long long)atomic_load(&c->applied),
             atomic_load(&c->role) == ROLE_WRITER ? "writer" : "follower");
    kvStore_PutString(&rev, c->bucket, c->node_key, v);
}

static void *run(void *arg)
{
    vn_cluster *c = arg;
    uint64_t tick = c->lease_ms / 6 > 20 ? c->lease_ms / 6 : 20;
    uint64_t next_renew = 0, next_report = 0, next_try = 0,
             next_trim = mono_ms() + c->trim_every_ms;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        bool down = c->step_down;
        c->step_down = false;
        c->wake = false;
        pthread_mutex_unlock(&c->mu);
        uint64_t now = mono_ms();
        if (down) release(c);
        if (c->holding && now >= next_renew) {
            renew(c);
            next_renew = now + c->lease_ms / 3;
        }
        if (atomic_load(&c->role) != ROLE_WRITER) {
            fetch(c);
            if (now >= next_try) {
                try_lease(c);
                next_try = now + tick;
                if (c->holding && next_renew < now) next_renew = now + c->lease_ms / 3;
            }
        }
        if (atomic_load(&c->role) == ROLE_WRITER && now >= next_trim) {
            auto_trim(c);
            next_trim = now + c->trim_every_ms;
        }
        if (now >= next_report) {
            report(c);
            next_report = now + c->lease_ms / 3;
        }
        pthread_mutex_lock(&c->mu);
        if (!c->stop && !c->wake) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + (tick % 1000) * 1000000;
            ts.tv_sec += (time_t)(tick / 1000 + ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&c->cond, &c->mu, &ts);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* A new entry in the log (plain NATS sees JetStream's messages too). */
static void on_wake(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsMsg_Destroy(msg);
    wake(closure);
}

static void on_close_async(uv_handle_t *h)
{
    vn_cluster *c = h->data;
    free(c);
}

vn_err vn_cluster_open(vn_cluster **out, const vn_cluster_config *cfg, vn_sstore *store, char *msg,
                       size_t size)
{
    vn_err err = vn_cluster_check(cfg->urls, cfg->node, msg, size);
    if (err) return err;
    vn_cluster *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    snprintf(c->node, sizeof c->node, "%s", cfg->node);
    c->lease_ms = cfg->lease_ms;
    c->trim_every_ms = cfg->trim_every_ms ? cfg->trim_every_ms : 60000;
    c->store = store;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    atomic_init(&c->role, ROLE_FOLLOWER);
    uint64_t applied = 0;
    if ((err = vn_meta_log_seq(store, &applied))) {
        snprintf(msg, size, "cannot read the store's position in the log: %s", vn_err_str(err));
        goto err_free;
    }
    atomic_init(&c->applied, applied);
    atomic_init(&c->consumed, applied);
    vn_cluster_names(cfg->store_key, c->node, c->subject, c->node_key);
    if ((err = vn_cluster_connect(cfg->urls, c->lease_ms, &c->nc, &c->js, msg, size)))
        goto err_free;
    if ((err = vn_cluster_setup(c->js, cfg->urls, c->subject, c->lease_ms, &c->bucket, msg, size)))
        goto err_conn;
    c->max_payload = natsConnection_GetMaxPayload(c->nc);
    /* Without it the writer trims nothing (a warning; backups register
     * once it is there). */
    if (vn_cluster_snap_bucket(c->js, cfg->urls,
                               cfg->snapshot_keep_ms ? cfg->snapshot_keep_ms : 30ULL * 86400000,
                               true, true, &c->snaps, msg, size) != VN_OK)
        vn_logl(VN_LEVEL_WARN, "cluster: %s; the log is not trimmed", msg);
    if (natsConnection_Subscribe(&c->wake_sub, c->nc, c->subject, on_wake, c) != NATS_OK) {
        snprintf(msg, size, "cannot subscribe to the log's subject");
        err = VN_ETRANSPORT;
        goto err_conn;
    }
    *out = c;
    return VN_OK;

err_conn:
    natsSubscription_Destroy(c->wake_sub);
    kvStore_Destroy(c->snaps);
    kvStore_Destroy(c->bucket);
    jsCtx_Destroy(c->js);
    natsConnection_Destroy(c->nc);
err_free:
    nats_CloseAndWait(2000); /* libnats' own threads and memory */
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    free(c);
    return err;
}

vn_err vn_cluster_start(vn_cluster *c, uv_loop_t *loop, char *msg, size_t size)
{
    if (uv_async_init(loop, &c->async, on_async)) {
        snprintf(msg, size, "cannot make the loop's hand-over handle");
        return VN_EINTERNAL;
    }
    c->async.data = c;
    c->async_started = true;
    /* One round here, before the loop serves anyone: a node that can
     * take a free lease (a new cluster, or the last node back) is the
     * writer before its first request, and a lagging one has caught up
     * the first entries. The hook is not set yet; applying needs none. */
    fetch(c);
    on_async(&c->async);
    try_lease(c);
    on_async(&c->async);
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        snprintf(msg, size, "cannot start the cluster thread");
        return VN_EINTERNAL;
    }
    c->thread_started = true;
    vn_kv_capture(vn_sstore_kv(c->store), on_commit, c);
    vn_log("cluster: node %s joined (log applied up to %llu, lease %llu ms)", c->node,
           (unsigned long long)atomic_load(&c->applied), (unsigned long long)c->lease_ms);
    return VN_OK;
}

void vn_cluster_close(vn_cluster **self_p)
{
    if (!self_p || !*self_p) return;
    vn_cluster *c = *self_p;
    *self_p = NULL;
    vn_kv_capture(vn_sstore_kv(c->store), NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
    if (c->thread_started) pthread_join(c->thread, NULL);
    /* The next writer need not wait for the lease's TTL. */
    if (c->holding) {
        if (atomic_exchange(&c->role, ROLE_FOLLOWER) == ROLE_WRITER)
            vn_log("cluster: node %s gives the lease up", c->node);
        release(c);
    }
    natsSubscription_Unsubscribe(c->wake_sub);
    natsSubscription_Destroy(c->wake_sub);
    kvStore_Destroy(c->snaps);
    kvStore_Destroy(c->bucket);
    jsCtx_Destroy(c->js);
    natsConnection_Destroy(c->nc);
    nats_CloseAndWait(2000);
    for (size_t i = 0; i < c->nq; i++)
        free(c->queue[i].data);
    free(c->queue);
    vn_parts_free(&c->parts);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    if (c->async_started)
        uv_close((uv_handle_t *)&c->async, on_close_async);
    else
        free(c);
}
