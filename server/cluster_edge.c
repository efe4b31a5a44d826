/* The edge of a cluster (cluster_edge.h). */
#include "cluster_edge.h"
#include "server_internal.h"

#include "cluster.h"
#include "cluster_op.h"
#include "forward.h"
#include "log.h"
#include "vn/frame.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX  4096 /* forwarded requests waiting for a batch */
#define SERVE_TICK 50   /* ms between looks at whether this node holds the lease */

typedef struct queued {
    vn_forward_call *call;
    uint8_t *frame;
    size_t len;
    uint8_t key[32];
} queued;

struct vn_edge {
    vn_forward *fwd;
    vn_cluster_op *op; /* operators' writes (cluster_op.h), taken while this node writes */
    uv_timer_t tick;   /* follows the lease: serve forwarded requests, or not */
    bool serving;
    queued *q; /* forwarded requests not yet taken by a batch */
    size_t head, n;
};

/* What a follower remembers of a request it forwarded. */
typedef struct asked {
    vn_server *s;
    uint8_t route[ROUTE_MAX];
    size_t route_len;
    uint64_t request_id;
    bool subscribe; /* a Subscribe: bind the push here once the writer took it */
    uint8_t account[VN_ACCOUNT_LEN];
    vn_subs_conn conn; /* the client's connection (route points into this struct) */
} asked;

static void drop_queue(struct vn_edge *e)
{
    for (; e->n; e->n--, e->head = (e->head + 1) % QUEUE_MAX) {
        vn_forward_drop(e->q[e->head].call);
        free(e->q[e->head].frame);
    }
}

/* The writer: a request of another node's client, queued for the next
 * batch, which runs now. */
static void on_serve(void *ud, vn_forward_call *call, const uint8_t *frame, size_t len,
                     const uint8_t key[32])
{
    vn_server *s = ud;
    struct vn_edge *e = s->edge;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy || e->n == QUEUE_MAX || !e->serving) {
        free(copy);
        vn_forward_drop(call); /* the asking node times out; its client resends */
        return;
    }
    memcpy(copy, frame, len);
    queued *x = &e->q[(e->head + e->n++) % QUEUE_MAX];
    *x = (queued){.call = call, .frame = copy, .len = len};
    memcpy(x->key, key, 32);
    vn_server_drain(s);
}

/* A follower: a push for one of its connections. */
static void on_push(void *ud, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                    size_t len)
{
    vn_server_push(ud, account, frame, len);
}

/* A follower: a client's subscription ended (its connection went away,
 * or another took its place): the account's push subject is watched no
 * longer for it (watches count; a new subscription watches again). */
static void on_sub_end(void *ud, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_server *s = ud;
    if (s->edge) vn_forward_unwatch(s->edge->fwd, account);
}

static void on_tick(uv_timer_t *t)
{
    vn_server *s = t->data;
    struct vn_edge *e = s->edge;
    bool writer = vn_cluster_may_write(s->cluster);
    if (writer == e->serving) return;
    if (writer && vn_forward_serve_start(e->fwd) != VN_OK) return; /* tried again next tick */
    if (!writer) {
        vn_forward_serve_stop(e->fwd);
        drop_queue(e);
    }
    e->serving = writer;
    vn_logl(VN_LEVEL_INFO, "cluster: %s forwarded requests",
            writer ? "serving" : "no longer serving");
}

vn_err vn_edge_open(vn_server *s, const uint8_t store_key[32])
{
    static const char label[] = "vangnet cluster forwarding v1";
    uint8_t key[VN_FORWARD_KEY_LEN];
    struct vn_edge *e = calloc(1, sizeof *e);
    if (!e || !(e->q = calloc(QUEUE_MAX, sizeof *e->q))) {
        free(e);
        return VN_ENOMEM;
    }
    crypto_generichash(key, sizeof key, (const uint8_t *)label, sizeof label - 1, store_key, 32);
    vn_err err =
        vn_forward_open(&e->fwd, vn_cluster_nats(s->cluster), key, &s->loop, on_serve, on_push, s);
    sodium_memzero(key, sizeof key);
    if (err) {
        free(e->q);
        free(e);
        return err;
    }
    if ((err = vn_cluster_op_open(&e->op, s->cluster, s->store, vn_cluster_nats(s->cluster),
                                  store_key))) {
        vn_forward_close(&e->fwd);
        free(e->q);
        free(e);
        return err;
    }
    vn_cluster_op_start(e->op, &s->loop);
    s->edge = e;
    vn_subs_on_end(s->subs, on_sub_end, s);
    uv_timer_init(&s->loop, &e->tick);
    e->tick.data = s;
    uv_timer_start(&e->tick, on_tick, 0, SERVE_TICK);
    return VN_OK;
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

void vn_edge_close(vn_server *s)
{
    struct vn_edge *e = s->edge;
    if (!e) return;
    s->edge = NULL;
    if (s->subs) vn_subs_on_end(s->subs, NULL, NULL);
    drop_queue(e);
    vn_cluster_op_close(&e->op); /* its handles close in the loop run after */
    vn_forward_close(&e->fwd);
    free(e->q);
    e->tick.data = e;
    uv_close((uv_handle_t *)&e->tick, on_closed);
}

bool vn_edge_forwards(vn_server *s)
{
    return s->edge && !vn_cluster_may_write(s->cluster);
}

/* The answer to a client whose request could not be served: the error
 * reply every request gets (batch.c). */
static void send_error(vn_server *s, const asked *a, vn_err err, const char *why)
{
    pending *p = calloc(1, sizeof *p);
    if (!p) return;
    memcpy(p->route, a->route, a->route_len);
    p->route_len = a->route_len;
    p->request_id = a->request_id;
    p->err = err;
    snprintf(p->msg, sizeof p->msg, "%s", why ? why : "");
    vn_server_send_reply(s, p);
    free(p);
}

/* The writer's reply (or no writer) for a request forwarded from here. */
static void on_reply(void *ud, vn_err err, const char *why, const uint8_t *frame, size_t len)
{
    asked *a = ud;
    vn_server *s = a->s;
    if (err) {
        send_error(s, a, err == VN_ETIMEOUT ? VN_EUNAVAILABLE : err,
                   err == VN_ETIMEOUT ? "no writer of the cluster answered in time; try again"
                                      : why);
        free(a);
        return;
    }
    if (a->subscribe) {
        /* The push is bound here, to the client's own connection, as a
         * single node binds it; the writer sends it over the cluster. */
        Vn__Reply *rep = NULL;
        if (vn_frame_reply_decode(frame, len, s->cfg.frame_max * 2, &rep) == VN_OK &&
            rep->body_case == VN__REPLY__BODY_SUBSCRIBED &&
            vn_subs_add(s->subs, a->account, &a->conn) == VN_OK)
            vn_forward_watch(s->edge->fwd, a->account);
        vn_frame_reply_free(rep);
    }
    vn_server_send_frame(s, a->route, a->route_len, frame, len);
    free(a);
}

vn_err vn_edge_forward(vn_server *s, pending *p, const uint8_t *frame, size_t len,
                       const Vn__Request *req, const vn_peer *peer)
{
    asked *a = calloc(1, sizeof *a);
    if (!a) return VN_ENOMEM;
    a->s = s;
    memcpy(a->route, p->route, p->route_len);
    a->route_len = p->route_len;
    a->request_id = p->request_id;
    a->subscribe = req->body_case == VN__REQUEST__BODY_SUBSCRIBE && peer->registered;
    memcpy(a->account, peer->account, VN_ACCOUNT_LEN);
    a->conn = s->cur;
    a->conn.route = a->route;
    vn_err err = vn_forward_request(s->edge->fwd, frame, len, peer->key, on_reply, a);
    if (err) {
        free(a);
        snprintf(p->msg, sizeof p->msg, "this node cannot reach the cluster's writer: %s",
                 vn_err_str(err));
        return err == VN_ETOOBIG ? err : VN_EUNAVAILABLE;
    }
    return VN_OK;
}

vn_forward_call *vn_edge_next(vn_server *s, uint8_t **frame, size_t *len, uint8_t key[32])
{
    struct vn_edge *e = s->edge;
    if (!e || !e->n) return NULL;
    queued *x = &e->q[e->head];
    e->head = (e->head + 1) % QUEUE_MAX;
    e->n--;
    *frame = x->frame;
    *len = x->len;
    memcpy(key, x->key, 32);
    return x->call;
}

void vn_edge_respond(vn_server *s, vn_forward_call *call, const uint8_t *buf, size_t len)
{
    if (!s->edge || vn_forward_respond(s->edge->fwd, call, buf, len) != VN_OK)
        vn_logl(VN_LEVEL_WARN, "cluster: a forwarded request's reply was not sent");
}

void vn_edge_push(vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                  size_t len)
{
    if (s->edge && vn_cluster_may_write(s->cluster))
        vn_forward_push(s->edge->fwd, account, frame, len);
}
