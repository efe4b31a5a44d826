/* Operators' writes through the cluster's log (cluster_op.h).
 *
 * Request:  [1 version][8 time ms, big-endian][16 nonce][32 mac][write-set]
 *           mac over subject | 0 | reply subject | 0 | [version, time, nonce] | write-set
 * Answer:   [1 version][1 status][8 sequence][32 mac][text]
 *           mac over reply subject | 0 | [version, status, sequence] | text
 * status 0: appended at sequence; 1: refused (text says why). A writer that
 * cannot append (deposed, NATS down) does not answer: another one may. */
#include "cluster_op.h"

#include "cluster.h"
#include "cluster_nats.h"
#include "log.h"
#include "vn/be.h"
#include "vn/kv.h"
#include "vn/meta.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERSION      1
#define NONCE_LEN    16
#define MAC_LEN      crypto_auth_hmacsha256_BYTES
#define REQ_HEAD     (1 + 8 + NONCE_LEN + MAC_LEN)
#define ANS_HEAD     (1 + 1 + 8 + MAC_LEN)
#define STATUS_OK    0
#define STATUS_REFUS 1
#define SKEW_MS      120000 /* a request older or newer than this is refused */
#define SEEN_MAX     256    /* nonces remembered against replays */
#define TICK_MS      50     /* looks at the lease, retries a busy store */
#define SUBJECT_MAX  64
#define KDF_CONTEXT  "vnclustr" /* as cluster_nats.c's names: id 2 here */

typedef struct keys {
    uint8_t mac[32];
    char subject[SUBJECT_MAX];
} keys;

/* The subject and the MAC key, from the store key (as every node has it). */
static void derive(const uint8_t store_key[32], keys *k)
{
    uint8_t op[32], h[16];
    char hex[2 * sizeof h + 1];
    crypto_kdf_derive_from_key(op, sizeof op, 2, KDF_CONTEXT, store_key);
    crypto_generichash(k->mac, sizeof k->mac, (const uint8_t *)"mac", 3, op, sizeof op);
    crypto_generichash(h, sizeof h, (const uint8_t *)"subject", 7, op, sizeof op);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(k->subject, sizeof k->subject, "vn.op.%s", hex);
    sodium_memzero(op, sizeof op);
}

static void mac(const keys *k, const char *a, const char *b, const uint8_t *head, size_t hlen,
                const uint8_t *body, size_t blen, uint8_t out[MAC_LEN])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k->mac, sizeof k->mac);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)a, strlen(a) + 1);
    if (b) crypto_auth_hmacsha256_update(&st, (const uint8_t *)b, strlen(b) + 1);
    crypto_auth_hmacsha256_update(&st, head, hlen);
    if (blen) crypto_auth_hmacsha256_update(&st, body, blen);
    crypto_auth_hmacsha256_final(&st, out);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the command's side --------------------------------------------- */

/* The commit hook of the command's store: keeps the write-set and refuses
 * the commit, so nothing is written locally. */
typedef struct captured {
    uint8_t *ws;
    size_t len;
    bool got;
} captured;

static vn_err keep_ws(void *ud, const uint8_t *ws, size_t len)
{
    captured *c = ud;
    if (!(c->ws = malloc(len))) return VN_ENOMEM;
    memcpy(c->ws, ws, len);
    c->len = len;
    c->got = true;
    return VN_EINTERNAL; /* the transaction is discarded here */
}

static vn_err capture(vn_sstore *store, vn_cluster_op_fn fn, void *ud, captured *cap, char *msg,
                      size_t size)
{
    vn_kv *kv = vn_sstore_kv(store);
    vn_kv_capture(kv, keep_ws, cap);
    vn_err err = vn_kv_begin(kv);
    if (!err) {
        err = fn(store, ud);
        if (err)
            vn_kv_abort(kv);
        else
            err = vn_kv_commit(kv);
    }
    vn_kv_capture(kv, NULL, NULL);
    if (cap->got) return VN_OK;
    if (!err) err = VN_EINTERNAL; /* wrote nothing: nothing to send */
    snprintf(msg, size, "the write could not be prepared on this node's store: %s",
             vn_err_str(err));
    return err;
}

/* Waits until store has applied the log up to its last entry as it was on
 * entry: the write-set is made against the cluster's state, not an older
 * one (a running node applies within milliseconds; a stopped one never). */
static vn_err wait_applied(jsCtx *js, vn_sstore *store, char *msg, size_t size)
{
    uint64_t first = 0, last = 0, have = 0;
    natsStatus s = vn_cluster_log_ends(js, &first, &last);
    if (s != NATS_OK) {
        snprintf(msg, size, "cannot read the cluster's log (stream %s): %s", VN_CLUSTER_STREAM,
                 natsStatus_GetText(s));
        return VN_ETRANSPORT;
    }
    uint64_t until = mono_ms() + VN_CLUSTER_OP_WAIT_MS;
    for (;;) {
        vn_err err = vn_meta_log_seq(store, &have);
        if (err) {
            snprintf(msg, size, "cannot read the store's log position: %s", vn_err_str(err));
            return err;
        }
        if (have >= last) return VN_OK;
        if (mono_ms() >= until) break;
        nats_Sleep(20);
    }
    snprintf(msg, size,
             "this store has applied the cluster's log up to entry %llu, but it ends at %llu: "
             "give --state of a node that runs (a stopped node's store is behind)",
             (unsigned long long)have, (unsigned long long)last);
    return VN_EUNAVAILABLE;
}

/* Checks an answer; VN_OK with *seq, a refusal with its text in msg, or
 * VN_EPROTO for something that is no answer of this cluster. */
static vn_err read_answer(const keys *k, const char *inbox, natsMsg *m, uint64_t *seq, char *msg,
                          size_t size)
{
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    uint8_t want[MAC_LEN];
    if (!d || n < ANS_HEAD || d[0] != VERSION || d[1] > STATUS_REFUS) return VN_EPROTO;
    mac(k, inbox, NULL, d, 10, d + ANS_HEAD, n - ANS_HEAD, want);
    if (sodium_memcmp(want, d + 10, MAC_LEN) != 0) return VN_EPROTO;
    if (d[1] == STATUS_OK) {
        *seq = vn_be_get64(d + 2);
        return VN_OK;
    }
    snprintf(msg, size, "the cluster's writer refused the write: %.*s",
             (int)(n - ANS_HEAD > 200 ? 200 : n - ANS_HEAD), (const char *)d + ANS_HEAD);
    return VN_EDENIED;
}

/* Sends the write-set and waits for the writer's answer; without a writer
 * (NATS says no one listens) it asks again until the deadline. */
static vn_err send_ws(natsConnection *nc, const keys *k, const captured *cap, uint64_t *seq,
                      char *msg, size_t size)
{
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    uint8_t *buf = malloc(REQ_HEAD + cap->len);
    vn_err err = VN_ENOMEM;
    bool sent = false;
    if (!buf || natsInbox_Create(&inbox) != NATS_OK ||
        natsConnection_SubscribeSync(&sub, nc, inbox) != NATS_OK)
        goto out;
    buf[0] = VERSION;
    vn_be_put64(buf + 1, wall_ms());
    randombytes_buf(buf + 9, NONCE_LEN);
    memcpy(buf + REQ_HEAD, cap->ws, cap->len);
    mac(k, k->subject, inbox, buf, 9 + NONCE_LEN, cap->ws, cap->len, buf + 9 + NONCE_LEN);
    uint64_t until = mono_ms() + VN_CLUSTER_OP_WAIT_MS;
    err = VN_ETIMEOUT;
    while (mono_ms() < until) {
        /* Sent again only while no one listened: a writer that took it
         * answers once, and a second copy would be refused as a replay. */
        if (!sent) {
            if (natsConnection_PublishRequest(nc, k->subject, inbox, buf,
                                              (int)(REQ_HEAD + cap->len)) != NATS_OK) {
                nats_Sleep(100);
                continue;
            }
            sent = true;
        }
        natsMsg *m = NULL;
        int64_t left = (int64_t)(until - mono_ms());
        natsStatus s = natsSubscription_NextMsg(&m, sub, left > 0 ? left : 1);
        if (s == NATS_NO_RESPONDERS || (s == NATS_OK && natsMsg_IsNoResponders(m))) {
            natsMsg_Destroy(m);
            sent = false; /* no writer yet (one is being chosen): ask again */
            nats_Sleep(200);
            continue;
        }
        if (s != NATS_OK) break;
        err = read_answer(k, inbox, m, seq, msg, size);
        natsMsg_Destroy(m);
        if (err != VN_EPROTO) goto out;
        err = VN_ETIMEOUT; /* not from a node of this cluster: the real one may come */
    }
    if (sent)
        snprintf(msg, size,
                 "the cluster's writer took the write but did not confirm it within %d ms (it "
                 "may have lost its lease): nothing usable was made, try again",
                 VN_CLUSTER_OP_WAIT_MS);
    else
        snprintf(msg, size,
                 "no writer in the cluster within %d ms (no node holds the write lease: are "
                 "the nodes running? `vangnetd cluster status` tells): nothing was done",
                 VN_CLUSTER_OP_WAIT_MS);
out:
    if (err == VN_ENOMEM) snprintf(msg, size, "out of memory");
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
    free(buf);
    return err;
}

vn_err vn_cluster_op_write(const char *urls, const uint8_t store_key[32], vn_sstore *store,
                           vn_cluster_op_fn fn, void *ud, uint64_t *seq, char *msg, size_t size)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    captured cap = {0};
    keys k;
    vn_err err = vn_cluster_check(urls, "operator", msg, size);
    if (err) return err;
    if (sodium_init() < 0) return VN_ECRYPTO;
    derive(store_key, &k);
    if ((err = vn_cluster_connect(urls, 2000, &nc, &js, msg, size))) goto out;
    if ((err = wait_applied(js, store, msg, size))) goto out;
    if ((err = capture(store, fn, ud, &cap, msg, size))) goto out;
    err = send_ws(nc, &k, &cap, seq, msg, size);
out:
    free(cap.ws);
    sodium_memzero(&k, sizeof k);
    vn_cluster_disconnect(nc, js);
    return err;
}

/* ---- the writer's side ---------------------------------------------- */

typedef struct item {
    struct item *next;
    natsMsg *msg;
} item;

struct vn_cluster_op {
    struct vn_cluster *cluster;
    vn_sstore *store;
    natsConnection *nc; /* borrowed */
    natsSubscription *sub;
    keys k;
    uv_async_t wake;
    uv_timer_t tick;
    int handles_open;
    pthread_mutex_t mu; /* head, tail, closing: libnats' threads add */
    item *head, *tail;
    bool closing;
    /* The loop's own. */
    item *todo; /* taken from the queue, not yet applied (the store was busy) */
    struct {
        uint64_t time;
        uint8_t nonce[NONCE_LEN];
    } seen[SEEN_MAX];
    size_t next_seen;
};

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    vn_cluster_op *op = closure;
    item *it = malloc(sizeof *it);
    (void)nc, (void)sub;
    pthread_mutex_lock(&op->mu);
    if (!it || op->closing) {
        pthread_mutex_unlock(&op->mu);
        free(it);
        natsMsg_Destroy(msg);
        return;
    }
    *it = (item){.msg = msg};
    if (op->tail)
        op->tail->next = it;
    else
        op->head = it;
    op->tail = it;
    pthread_mutex_unlock(&op->mu);
    uv_async_send(&op->wake);
}

static void answer(vn_cluster_op *op, const char *reply, uint8_t status, uint64_t seq,
                   const char *text)
{
    size_t tlen = text ? strlen(text) : 0;
    uint8_t buf[ANS_HEAD + 256];
    if (tlen > 256) tlen = 256;
    buf[0] = VERSION;
    buf[1] = status;
    vn_be_put64(buf + 2, seq);
    if (tlen) memcpy(buf + ANS_HEAD, text, tlen);
    mac(&op->k, reply, NULL, buf, 10, buf + ANS_HEAD, tlen, buf + 10);
    natsConnection_Publish(op->nc, reply, buf, (int)(ANS_HEAD + tlen));
}

/* A request is recent and not seen before (then remembered). */
static bool fresh(vn_cluster_op *op, uint64_t t, const uint8_t nonce[NONCE_LEN])
{
    uint64_t now = wall_ms();
    if (t + SKEW_MS < now || t > now + SKEW_MS) return false;
    for (size_t i = 0; i < SEEN_MAX; i++)
        if (op->seen[i].time && sodium_memcmp(op->seen[i].nonce, nonce, NONCE_LEN) == 0)
            return false;
    op->seen[op->next_seen].time = t;
    memcpy(op->seen[op->next_seen].nonce, nonce, NONCE_LEN);
    op->next_seen = (op->next_seen + 1) % SEEN_MAX;
    return true;
}

/* One request (loop thread, no transaction open): checked, appended,
 * answered. */
static void serve(vn_cluster_op *op, natsMsg *m)
{
    const char *reply = natsMsg_GetReply(m);
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    uint8_t want[MAC_LEN];
    uint64_t seq = 0;
    if (!reply || !reply[0] || !vn_cluster_may_write(op->cluster)) return;
    if (!d || n <= REQ_HEAD || d[0] != VERSION) {
        answer(op, reply, STATUS_REFUS, 0, "not an operator's write of this version");
        return;
    }
    mac(&op->k, op->k.subject, reply, d, 9 + NONCE_LEN, d + REQ_HEAD, n - REQ_HEAD, want);
    if (sodium_memcmp(want, d + 9 + NONCE_LEN, MAC_LEN) != 0) {
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write without this cluster's MAC refused");
        answer(op, reply, STATUS_REFUS, 0, "not signed with this cluster's store key");
        return;
    }
    if (!fresh(op, vn_be_get64(d + 1), d + 9)) {
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write that is old or replayed refused");
        answer(op, reply, STATUS_REFUS, 0,
               "old or already seen (the clocks of this machine and the writer's differ by "
               "more than 2 minutes, or the request was replayed)");
        return;
    }
    vn_err err = vn_cluster_append_ws(op->cluster, d + REQ_HEAD, n - REQ_HEAD, &seq);
    if (err == VN_EPROTO) {
        answer(op, reply, STATUS_REFUS, 0, "a malformed write-set");
        return;
    }
    if (err) {
        /* Not appended (deposed, NATS unreachable): no answer; the command
         * says the writer did not confirm. */
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write was not appended: %s",
                vn_err_str(err));
        return;
    }
    vn_log("cluster: an operator's write appended to the log at %llu", (unsigned long long)seq);
    answer(op, reply, STATUS_OK, seq, NULL);
}

/* Applies what waits, unless a transaction is open (then at the next tick). */
static void drain(vn_cluster_op *op)
{
    pthread_mutex_lock(&op->mu);
    item *got = op->head;
    op->head = op->tail = NULL;
    pthread_mutex_unlock(&op->mu);
    item **end = &op->todo;
    while (*end)
        end = &(*end)->next;
    *end = got;
    while (op->todo && !vn_kv_in_txn(vn_sstore_kv(op->store))) {
        item *it = op->todo;
        op->todo = it->next;
        serve(op, it->msg);
        natsMsg_Destroy(it->msg);
        free(it);
    }
}

static void on_wake(uv_async_t *h)
{
    drain(h->data);
}

/* Follows the lease: listens while this node is the writer. */
static void on_tick(uv_timer_t *t)
{
    vn_cluster_op *op = t->data;
    bool writer = vn_cluster_may_write(op->cluster);
    if (writer && !op->sub)
        natsConnection_Subscribe(&op->sub, op->nc, op->k.subject, on_msg, op);
    else if (!writer && op->sub) {
        natsSubscription_Unsubscribe(op->sub);
        natsSubscription_Destroy(op->sub);
        op->sub = NULL;
    }
    if (op->todo) drain(op);
}

vn_err vn_cluster_op_open(vn_cluster_op **out, struct vn_cluster *cluster, vn_sstore *store,
                          natsConnection *nc, const uint8_t store_key[32])
{
    vn_cluster_op *op = calloc(1, sizeof *op);
    if (!op) return VN_ENOMEM;
    op->cluster = cluster;
    op->store = store;
    op->nc = nc;
    derive(store_key, &op->k);
    pthread_mutex_init(&op->mu, NULL);
    *out = op;
    return VN_OK;
}

void vn_cluster_op_start(vn_cluster_op *op, uv_loop_t *loop)
{
    uv_async_init(loop, &op->wake, on_wake);
    op->wake.data = op;
    uv_timer_init(loop, &op->tick);
    op->tick.data = op;
    op->handles_open = 2;
    uv_timer_start(&op->tick, on_tick, 0, TICK_MS);
}

static void free_op(vn_cluster_op *op)
{
    pthread_mutex_destroy(&op->mu);
    sodium_memzero(op, sizeof *op);
    free(op);
}

static void on_closed(uv_handle_t *h)
{
    vn_cluster_op *op = h->data;
    if (--op->handles_open > 0) return;
    free_op(op);
}

static void free_items(item *it)
{
    while (it) {
        item *next = it->next;
        natsMsg_Destroy(it->msg);
        free(it);
        it = next;
    }
}

void vn_cluster_op_close(vn_cluster_op **self_p)
{
    if (!self_p || !*self_p) return;
    vn_cluster_op *op = *self_p;
    *self_p = NULL;
    if (op->sub) {
        /* Waits until libnats calls on_msg no more. */
        if (natsSubscription_Drain(op->sub) == NATS_OK)
            natsSubscription_WaitForDrainCompletion(op->sub, 2000);
        else
            natsSubscription_Unsubscribe(op->sub);
        natsSubscription_Destroy(op->sub);
        op->sub = NULL;
    }
    pthread_mutex_lock(&op->mu);
    op->closing = true;
    item *it = op->head;
    op->head = op->tail = NULL;
    pthread_mutex_unlock(&op->mu);
    free_items(it);
    free_items(op->todo);
    op->todo = NULL;
    if (!op->handles_open) {
        free_op(op);
        return;
    }
    uv_timer_stop(&op->tick);
    uv_close((uv_handle_t *)&op->wake, on_closed);
    uv_close((uv_handle_t *)&op->tick, on_closed);
}
