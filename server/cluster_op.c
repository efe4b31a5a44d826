/* Operators' writes through the cluster's log (cluster_op.h); the
 * messages are cluster_opreq.h's. A refused request is answered with
 * status 1 and the reason. A writer that cannot append (deposed, NATS
 * down) does not answer: another one may.
 *
 * What refuses a replay: the writer's memory of the nonces it saw (a
 * replay that comes while its first copy is being appended, or whose copy
 * was not appended), and its store, where each request's write-set
 * recorded its nonce (vn/opnonce.h): every node applied it from the log,
 * so a new writer after a failover or a restart refuses it too. */
#include "cluster_op.h"

#include "cluster.h"
#include "cluster_nats.h"
#include "cluster_opreq.h"
#include "log.h"
#include "vn/intake.h"
#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/opnonce.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_MS  50    /* looks at the lease, retries a busy store */
#define SWEEP_MS 60000 /* the writer drops old nonces this often */
/* A nonce is kept for twice the window: a writer whose clock is behind the
 * last one's by up to a window still finds it. */
#define KEEP_MS (2 * (uint64_t)VN_OPREQ_SKEW_MS)

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

/* The write-set of fn's write, with the request's nonce recorded (every
 * node then holds it: a replay is refused by any writer). */
static vn_err capture(vn_sstore *store, vn_cluster_op_fn fn, void *ud, const uint8_t *nonce,
                      uint64_t time_ms, captured *cap, char *msg, size_t size)
{
    vn_kv *kv = vn_sstore_kv(store);
    vn_kv_capture(kv, keep_ws, cap);
    vn_err err = vn_kv_begin(kv);
    if (!err) {
        err = fn(store, ud);
        if (!err) err = vn_opnonce_put(store, nonce, time_ms);
        if (!err)
            err = vn_kv_commit(kv);
        else if (vn_kv_in_txn(kv))
            vn_kv_abort(kv);
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
static vn_err read_answer(const vn_opreq_keys *k, const char *inbox, natsMsg *m, uint64_t *seq,
                          char *msg, size_t size)
{
    const char *text = NULL;
    size_t tlen = 0;
    int status = 0;
    vn_err err = vn_opreq_read_answer(k, inbox, (const uint8_t *)natsMsg_GetData(m),
                                      (size_t)natsMsg_GetDataLength(m), &status, seq, &text, &tlen);
    if (err) return err;
    if (status == VN_OPREQ_OK) return VN_OK;
    snprintf(msg, size, "the cluster's writer refused the write: %.*s",
             (int)(tlen > 300 ? 300 : tlen), text);
    return VN_EDENIED;
}

/* Sends the write-set and waits for the writer's answer; without a writer
 * (NATS says no one listens) it asks again until the deadline. */
static vn_err send_ws(natsConnection *nc, const vn_opreq_keys *k, uint64_t time_ms,
                      const uint8_t *nonce, const captured *cap, uint64_t *seq, char *msg,
                      size_t size)
{
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    uint8_t *buf = malloc(VN_OPREQ_HEAD + cap->len);
    vn_err err = VN_ENOMEM;
    bool sent = false;
    if (!buf || natsInbox_Create(&inbox) != NATS_OK ||
        natsConnection_SubscribeSync(&sub, nc, inbox) != NATS_OK)
        goto out;
    vn_opreq_seal(k, k->subject, inbox, time_ms, nonce, cap->ws, cap->len, buf);
    uint64_t until = mono_ms() + VN_CLUSTER_OP_WAIT_MS;
    err = VN_ETIMEOUT;
    while (mono_ms() < until) {
        /* Sent again only while no one listened: a writer that took it
         * answers once, and a second copy would be refused as a replay. */
        if (!sent) {
            if (natsConnection_PublishRequest(nc, k->subject, inbox, buf,
                                              (int)(VN_OPREQ_HEAD + cap->len)) != NATS_OK) {
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
    vn_opreq_keys k;
    uint8_t nonce[VN_OPREQ_NONCE_LEN];
    vn_err err = vn_cluster_check(urls, "operator", msg, size);
    if (err) return err;
    if (sodium_init() < 0) return VN_ECRYPTO;
    vn_opreq_keys_derive(store_key, &k);
    if ((err = vn_cluster_connect(urls, 2000, &nc, &js, msg, size))) goto out;
    if ((err = wait_applied(js, store, msg, size))) goto out;
    randombytes_buf(nonce, sizeof nonce);
    uint64_t t = wall_ms();
    if ((err = capture(store, fn, ud, nonce, t, &cap, msg, size))) goto out;
    err = send_ws(nc, &k, t, nonce, &cap, seq, msg, size);
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
    vn_opreq_keys k;
    uv_async_t wake;
    uv_timer_t tick;
    int handles_open;
    pthread_mutex_t mu; /* head, tail, closing: libnats' threads add */
    item *head, *tail;
    bool closing;
    /* The loop's own. */
    item *todo;         /* taken from the queue, not yet applied (the store was busy) */
    vn_opreq_seen seen; /* the nonces of the requests this writer took */
    uint64_t swept;     /* when it last dropped old nonces (monotonic ms) */
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

static void answer(vn_cluster_op *op, const char *reply, int status, uint64_t seq, const char *text)
{
    uint8_t buf[VN_OPREQ_ANS_HEAD + VN_OPREQ_TEXT_MAX];
    size_t n = vn_opreq_answer(&op->k, reply, status, seq, text, buf);
    natsConnection_Publish(op->nc, reply, buf, (int)n);
}

#define REPLAYED "already seen: a replay of an earlier request"

/* What the write-set must leave in the writer's store (its transaction,
 * after it is applied): its own request's nonce, recorded with its time
 * (so every node will refuse a replay), and no second first-contact
 * code (two intake-code runs at once each delete the code they saw and
 * add their own: the second would leave two valid). */
typedef struct ws_check {
    const vn_opreq *req;
    size_t codes;    /* first-contact codes before (more than one only after an older vangnetd) */
    const char *why; /* the refusal's text */
} ws_check;

static vn_err check_ws(vn_sstore *store, void *ud)
{
    ws_check *c = ud;
    uint64_t t = 0;
    size_t codes = 0;
    vn_err err = vn_opnonce_get(store, c->req->nonce, &t);
    if (err == VN_ENOTFOUND || (!err && t != c->req->time_ms)) {
        c->why = "the write-set does not record its request's nonce (a vangnetd of another "
                 "version?)";
        return VN_EDENIED;
    }
    if (!err) err = vn_intake_code_count(store, &codes);
    if (!err && codes > 1 && codes > c->codes) {
        c->why = "another first-contact code was made meanwhile (two intake-code runs at "
                 "once?): nothing was done, run it again";
        return VN_EDENIED;
    }
    return err;
}

/* Refuses a request that is not this cluster's, outside the window, or
 * seen before (in memory, or applied: in the store); else remembers it.
 * The MAC first: nothing else is looked at for a request anyone could
 * make. True when it may be appended. */
static bool admit(vn_cluster_op *op, const char *reply, const uint8_t *d, size_t n, vn_opreq *req)
{
    uint64_t now = wall_ms(), t = 0;
    vn_err err = vn_opreq_open(&op->k, op->k.subject, reply, d, n, req);
    if (err == VN_EPROTO) {
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write of another version refused");
        answer(op, reply, VN_OPREQ_REFUSED, 0,
               "not an operator's write of this version (run the same vangnetd on every node)");
        return false;
    }
    if (err) {
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write without this cluster's MAC refused");
        answer(op, reply, VN_OPREQ_REFUSED, 0, "not signed with this cluster's store key");
        return false;
    }
    if (!vn_opreq_in_window(req->time_ms, now)) {
        vn_logl(VN_LEVEL_WARN,
                "cluster: an operator's write made %lld s from this node's time refused (more "
                "than %d s)",
                ((long long)req->time_ms - (long long)now) / 1000, VN_OPREQ_SKEW_MS / 1000);
        answer(op, reply, VN_OPREQ_REFUSED, 0,
               "too old or too new: made more than 2 minutes from the writer's time (are the "
               "clocks of this machine and the writer's set right?)");
        return false;
    }
    if (vn_opreq_seen_has(&op->seen, req->nonce)) {
        vn_logl(VN_LEVEL_WARN,
                "cluster: an operator's write replayed refused (its nonce was seen by this "
                "writer)");
        answer(op, reply, VN_OPREQ_REFUSED, 0, REPLAYED);
        return false;
    }
    err = vn_opnonce_get(op->store, req->nonce, &t);
    if (err != VN_ENOTFOUND) {
        if (!err)
            vn_logl(VN_LEVEL_WARN,
                    "cluster: an operator's write replayed refused (its nonce is in the store: "
                    "applied from the log)");
        else
            vn_logl(VN_LEVEL_ERROR, "cluster: an operator's write refused: cannot read nonces: %s",
                    vn_err_str(err));
        answer(op, reply, VN_OPREQ_REFUSED, 0,
               err ? "the writer cannot read its store: try again" : REPLAYED);
        return false;
    }
    vn_opreq_seen_add(&op->seen, req->nonce);
    return true;
}

/* One request (loop thread, no transaction open): checked, appended,
 * answered. */
static void serve(vn_cluster_op *op, natsMsg *m)
{
    const char *reply = natsMsg_GetReply(m);
    vn_opreq req;
    uint64_t seq = 0;
    if (!reply || !reply[0] || !vn_cluster_may_write(op->cluster)) return;
    if (!admit(op, reply, (const uint8_t *)natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m),
               &req))
        return;
    ws_check check = {.req = &req};
    vn_err err = vn_intake_code_count(op->store, &check.codes);
    if (err) {
        vn_logl(VN_LEVEL_ERROR, "cluster: an operator's write refused: cannot read the store: %s",
                vn_err_str(err));
        answer(op, reply, VN_OPREQ_REFUSED, 0, "the writer cannot read its store: try again");
        return;
    }
    err = vn_cluster_append_ws(op->cluster, req.ws, req.len, check_ws, &check, &seq);
    if (err == VN_EPROTO) {
        answer(op, reply, VN_OPREQ_REFUSED, 0, "a malformed write-set");
        return;
    }
    if (err == VN_EDENIED && check.why) {
        vn_logl(VN_LEVEL_WARN, "cluster: an operator's write refused: %s", check.why);
        answer(op, reply, VN_OPREQ_REFUSED, 0, check.why);
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
    answer(op, reply, VN_OPREQ_OK, seq, NULL);
}

/* The writer drops nonces no request could be replayed with any more;
 * its transaction goes through the log, so every node drops them. */
static void sweep(vn_cluster_op *op)
{
    uint64_t now = wall_ms();
    size_t dropped = 0;
    /* At once on becoming the writer, then every SWEEP_MS. */
    if ((op->swept && mono_ms() - op->swept < SWEEP_MS) || vn_kv_in_txn(vn_sstore_kv(op->store)))
        return;
    op->swept = mono_ms();
    vn_err err = vn_opnonce_sweep(op->store, now > KEEP_MS ? now - KEEP_MS : 0, &dropped);
    if (err)
        vn_logl(VN_LEVEL_WARN, "cluster: old operator nonces not dropped: %s", vn_err_str(err));
    else if (dropped)
        vn_log("cluster: %zu old operator nonce(s) dropped", dropped);
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
    if (writer) sweep(op);
}

vn_err vn_cluster_op_open(vn_cluster_op **out, struct vn_cluster *cluster, vn_sstore *store,
                          natsConnection *nc, const uint8_t store_key[32])
{
    vn_cluster_op *op = calloc(1, sizeof *op);
    if (!op) return VN_ENOMEM;
    op->cluster = cluster;
    op->store = store;
    op->nc = nc;
    vn_opreq_keys_derive(store_key, &op->k);
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
