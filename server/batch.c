/* The batch: one group commit per loop turn. Every request read in the
 * turn runs inside one LMDB write transaction (each in its own
 * sub-transaction, so one failure undoes only itself); the commit comes
 * once, and only then do the replies, pushes and notices leave. */
#include "server_internal.h"

#include "cluster_edge.h"
#include "listen.h"
#include "metrics.h"
#include "vn/account.h"
#include "vn/array.h"
#include "vn/frame.h"
#include "vn/hex.h"
#include "vn/rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Group commits in one go before the loop gets a turn for its other
 * sockets: clients that keep the ROUTER busy must not starve a new
 * connection's handshake (the ZAP socket) or the monitor. */
#define DRAIN_BATCHES_MAX 8

vn_err vn_server_subscribe(vn_server *self, const uint8_t account[VN_ACCOUNT_LEN],
                           const uint8_t *route, size_t route_len)
{
    /* The subscription is bound to the connection of the request being
     * handled (its descriptor and CURVE key), not only to a routing id
     * that the client chose or that another connection may take later. */
    /* Forwarded by a follower: that node binds the push to its connection. */
    if (self->cur.route && self->cur_forwarded) return VN_OK;
    if (!self->cur.route || route_len != self->cur.route_len ||
        memcmp(route, self->cur.route, route_len) != 0)
        return VN_EINTERNAL;
    /* A close not yet read could end the subscription made here. */
    vn_server_read_events(self);
    return vn_subs_add(self->subs, account, &self->cur);
}

/* Sends a push to a subscribed account, the connection events read just
 * before. A gone or slow connection only loses the push: the envelope
 * stays stored until it is acknowledged. */
static void push_now(vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                     size_t len)
{
    const uint8_t *route;
    size_t route_len;
    if (!vn_subs_route(s->subs, account, &route, &route_len)) {
        vn_edge_push(s, account, frame, len); /* a connection on another node of a cluster */
        return;
    }
    if (zmq_send(s->router, route, route_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno == EHOSTUNREACH) vn_subs_remove(s->subs, account);
        if (errno == EAGAIN) vn_conns_dropped(s->conns, route, route_len, vn_server_mono_ms(s));
        return;
    }
    zmq_send(s->router, frame, len, ZMQ_DONTWAIT);
}

void vn_server_push(vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                    size_t len)
{
    /* Closes first: a routing id whose connection closed may already be
     * another connection's, and libzmq emits the close before it frees
     * the id, so reading the events now ends such a subscription. */
    vn_server_read_events(s);
    push_now(s, account, frame, len);
}

void vn_server_send_frame(vn_server *s, const uint8_t *route, size_t route_len, const uint8_t *buf,
                          size_t len)
{
    /* ROUTER_MANDATORY makes an unroutable reply an error we can log
     * instead of a silent drop, and a reply to a connection whose send
     * queue is full (a client that sends and does not read) EAGAIN instead
     * of a wait: the loop never blocks on one client. That reply is
     * dropped and counted; the client resends if it is still there, and
     * requests that write are idempotent by their ids. */
    if (zmq_send(s->router, route, route_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(s->router, buf, len, ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN)
            vn_conns_dropped(s->conns, route, route_len, vn_server_mono_ms(s));
        else if (s->cfg.verbose)
            vn_logl(VN_LEVEL_WARN, "reply not sent: %s", zmq_strerror(errno));
    }
}

static void flush_notices(vn_server *s, bool committed)
{
    if (committed && s->nnotices) vn_server_read_events(s); /* as vn_server_push */
    for (size_t i = 0; i < s->nnotices; i++) {
        if (committed) push_now(s, s->notices[i].to, s->notices[i].frame, s->notices[i].len);
        free(s->notices[i].frame);
    }
    s->nnotices = 0;
}

static void send_reply(vn_server *s, pending *p)
{
    Vn__Reply err_rep = VN__REPLY__INIT;
    Vn__Error e = VN__ERROR__INIT;
    Vn__Reply *rep = p->out.reply;
    uint8_t *buf = NULL;
    size_t len;
    if (p->err) {
        e.code = p->err;
        e.message = p->msg[0] ? p->msg : (char *)vn_err_str(p->err);
        e.retry_after_ms = p->retry_ms;
        err_rep.body_case = VN__REPLY__BODY_ERROR;
        err_rep.error = &e;
        rep = &err_rep;
    }
    rep->version = VN_PROTOCOL_VERSION;
    rep->request_id = p->request_id;
    vn_err err = vn_frame_reply_encode(rep, s->cfg.frame_max * 2, &buf, &len);
    if (err == VN_ETOOBIG && !p->err) {
        /* Never a silent drop: the client would resend the same request
         * until it times out. It is told which limit it ran into. */
        pending *big = calloc(1, sizeof *big);
        if (big) {
            memcpy(big->route, p->route, p->route_len);
            big->route_len = p->route_len;
            big->request_id = p->request_id;
            big->err = VN_ETOOBIG;
            snprintf(big->msg, sizeof big->msg,
                     "the reply to request %llu would be %zu bytes; the frame limit is %zu: ask "
                     "for fewer (page)",
                     (unsigned long long)p->request_id, vn__reply__get_packed_size(rep),
                     s->cfg.frame_max * 2);
            send_reply(s, big);
            free(big);
        }
        vn_conns_too_large(s->conns);
        vn_conns_report(s->conns, vn_server_mono_ms(s), false);
    } else if (err == VN_OK && p->call) {
        vn_edge_respond(s, p->call, buf, len);
        p->call = NULL;
    } else if (err == VN_OK) {
        vn_server_send_frame(s, p->route, p->route_len, buf, len);
    } else {
        vn_logl(VN_LEVEL_WARN, "reply of request %llu not sent: %s",
                (unsigned long long)p->request_id, vn_err_str(err));
    }
    free(buf);
}

vn_err vn_server_notify(vn_server *s, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Notice *n)
{
    uint8_t id[VN_MSGID_LEN], *frame = NULL;
    size_t len;
    bool dup;
    uint64_t t;
    vn_err err = vn_rand_bytes(id, sizeof id);
    if (err) return err;
    Vn__Envelope env = VN__ENVELOPE__INIT;
    env.id = (ProtobufCBinaryData){sizeof id, id};
    env.time_ms = vn_mailbox_time(vn_clock_now(s->clock));
    env.notice = (Vn__Notice *)n;
    if ((err = vn_mailbox_put(s->store, to, &env, &dup, &t))) return err;
    Vn__Envelope *penv[1] = {&env};
    Vn__Envelopes envs = VN__ENVELOPES__INIT;
    envs.n_envelopes = 1;
    envs.envelopes = penv;
    Vn__Reply push = VN__REPLY__INIT;
    push.version = VN_PROTOCOL_VERSION;
    push.body_case = VN__REPLY__BODY_ENVELOPES;
    push.envelopes = &envs;
    if (vn_frame_reply_encode(&push, s->cfg.frame_max * 2, &frame, &len)) return VN_OK;
    if (vn_array_reserve(&s->notices, &s->capnotices, s->nnotices + 1, sizeof *s->notices,
                         NOTICES_MAX)) {
        free(frame);
        return VN_OK; /* stored; only the push is lost, a fetch gets it */
    }
    memcpy(s->notices[s->nnotices].to, to, VN_ACCOUNT_LEN);
    s->notices[s->nnotices].frame = frame;
    s->notices[s->nnotices++].len = len;
    return VN_OK;
}

/* Sends (after a commit) or drops (after an abort) the queued notices. */
static void flush_notices(vn_server *s, bool committed);

/* Turns every reply of the discarded transaction into an error: writes
 * were lost, and reads may have seen them, so nothing of it is told. */
static void fail_written(pending *batch, size_t n, vn_err err)
{
    for (size_t i = 0; i < n; i++) {
        pending *p = &batch[i];
        if (p->err) continue;
        vn_outcome_clear(&p->out);
        p->err = err;
        snprintf(p->msg, sizeof p->msg, "not stored, try again later: %s", vn_err_str(err));
    }
}

/* Drops the notices queued after the first `keep`. */
static void drop_notices_from(vn_server *s, size_t keep)
{
    for (size_t i = keep; i < s->nnotices; i++)
        free(s->notices[i].frame);
    if (s->nnotices > keep) s->nnotices = keep;
}

/* Runs one request in its own sub-transaction: if it fails, whatever it
 * wrote (and the notices it queued) is discarded, and the other requests
 * of the batch keep theirs. */
static vn_err handle_isolated(vn_server *s, const vn_peer *peer, const Vn__Request *req, pending *p)
{
    vn_kv *kv = vn_sstore_kv(s->store);
    size_t mark = s->nnotices;
    vn_err err = vn_kv_sub_begin(kv);
    if (err) {
        snprintf(p->msg, sizeof p->msg, "not stored, try again later: %s", vn_err_str(err));
        return err;
    }
    err = vn_dispatch(s, peer, req, &p->out, p->msg, sizeof p->msg, &p->retry_ms);
    vn_err end = vn_kv_sub_end(kv, !err);
    if (!err && end) {
        err = end;
        snprintf(p->msg, sizeof p->msg, "not stored, try again later: %s", vn_err_str(end));
    }
    if (err) drop_notices_from(s, mark);
    return err;
}

/* Runs a FLAT request (requests.h) in the batch's transaction itself. A
 * sub-transaction costs LMDB a dirty list and a copy of each page the
 * request touches that the batch touched before it: 7-13 % of the server's
 * CPU for a relayed message, which is a send and an ack. A FLAT handler
 * refuses before its first write, so a refusal leaves nothing to undo.
 * Should one fail after writing all the same (memory ran out, a damaged
 * record), only the whole transaction can undo its writes: the batch is
 * refused, its clients send again, and from then on every request runs
 * isolated. */
static vn_err handle_flat(vn_server *s, const vn_peer *peer, const Vn__Request *req, pending *p,
                          const char *name)
{
    vn_kv *kv = vn_sstore_kv(s->store);
    size_t mark = s->nnotices;
    uint64_t before = vn_kv_writes(kv);
    vn_err err = vn_dispatch(s, peer, req, &p->out, p->msg, sizeof p->msg, &p->retry_ms);
    if (!err && s->cfg.test_fail_flat && vn_kv_writes(kv) != before) {
        s->cfg.test_fail_flat = false; /* once */
        err = VN_EINTERNAL;
        snprintf(p->msg, sizeof p->msg, "failed after writing (VANGNETD_TEST_FAIL_FLAT)");
    }
    if (!err) return VN_OK;
    drop_notices_from(s, mark);
    if (vn_kv_writes(kv) == before) return err;
    vn_logl(VN_LEVEL_WARN,
            "a %s request failed after writing (%s): its batch is undone and refused, and "
            "every request runs in a sub-transaction of its own from now on",
            name, vn_err_name(err));
    s->flat_off = true;
    if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
    return err;
}

/* Resolves the sender from its connection's CURVE key (key NULL: none),
 * which came on descriptor fd (-1: a request forwarded by another node of
 * the cluster). The store is asked once per connection, and again after
 * any account was created or deleted (peers.h); what it says while such a
 * write is uncommitted in this batch is not kept. */
static vn_err resolve_peer(vn_server *s, const uint8_t *key, int fd, vn_peer *peer)
{
    uint64_t gen = vn_accounts_generation(s->store);
    vn_peers_ident id = {0};
    memset(peer, 0, sizeof *peer);
    if (!key) return VN_EUNREGISTERED;
    memcpy(peer->key, key, 32);
    if (fd < 0 || !vn_peers_get(s->peers, fd, peer->key, gen, &id)) {
        vn_err err = vn_accounts_by_device(s->store, peer->key, id.account, &id.role);
        if (err && err != VN_ENOTFOUND) return err;
        id.registered = err == VN_OK;
        if (fd >= 0 && vn_accounts_settled(s->store))
            vn_peers_put(s->peers, fd, peer->key, gen, &id);
    }
    if (!id.registered) return VN_OK;
    peer->registered = true;
    memcpy(peer->account, id.account, VN_ACCOUNT_LEN);
    peer->role = id.role;
    vn_hex_encode(peer->account, VN_ACCOUNT_LEN, peer->account_hex);
    return VN_OK;
}

/* Decodes and handles one request frame from the device whose CURVE key
 * is key (NULL: unknown), which came on descriptor fd (-1: forwarded by
 * another node of a cluster, whose client it is). */
static void handle_request(vn_server *s, pending *p, const uint8_t *data, size_t len,
                           bool extra_parts, const uint8_t *key, int fd)
{
    Vn__Request *req = NULL;
    vn_peer peer;
    vn_err err = vn_frame_request_decode(data, len, s->cfg.frame_max, &req);
    if (req) p->request_id = req->request_id;
    if (err == VN_ETOOBIG) {
        snprintf(p->msg, sizeof p->msg, "frame of %zu bytes exceeds the limit of %zu bytes", len,
                 s->cfg.frame_max);
    } else if (err == VN_EVERSION) {
        snprintf(p->msg, sizeof p->msg,
                 "protocol version %u is not supported; this server speaks version %d",
                 req->version, VN_PROTOCOL_VERSION);
    } else if (err == VN_EPROTO) {
        snprintf(p->msg, sizeof p->msg, "malformed frame: not a Vangnet request");
    } else if (extra_parts) {
        err = VN_EPROTO;
        snprintf(p->msg, sizeof p->msg, "malformed frame: a request is one message part");
    }
    if (err) goto out;
    err = resolve_peer(s, key, fd, &peer);
    if (err) {
        snprintf(p->msg, sizeof p->msg, "could not identify the device: %s", vn_err_str(err));
        goto out;
    }
    peer.route = p->route;
    peer.route_len = p->route_len;
    s->cur = (vn_subs_conn){.route = p->route, .route_len = p->route_len, .fd = fd};
    s->cur_forwarded = p->call != NULL;
    memcpy(s->cur.key, peer.key, sizeof s->cur.key);
    if (fd >= 0) vn_subs_seen(s->subs, &s->cur);
    /* A follower of a cluster hands its clients' requests to the writer. */
    if (fd >= 0 && vn_edge_forwards(s)) {
        err = vn_edge_forward(s, p, data, len, req, &peer);
        if (!err) p->forwarded = true;
        s->cur.route = NULL;
        goto out;
    }
    p->out.reply = malloc(sizeof *p->out.reply);
    if (!p->out.reply) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__reply__init(p->out.reply);
    const char *flat = s->flat_off ? NULL : vn_dispatch_flat(req);
    err = flat && !vn_server_nearly_full(s) ? handle_flat(s, &peer, req, p, flat)
                                            : handle_isolated(s, &peer, req, p);
    s->cur.route = NULL;
out:
    if (err) vn_outcome_clear(&p->out);
    p->err = err;
    vn_frame_request_free(req);
}

static void handle_frame(vn_server *s, pending *p, zmq_msg_t *body, bool extra_parts)
{
    uint8_t key[32];
    const char *uid = zmq_msg_gets(body, "User-Id");
    bool known = uid && vn_hex_decode(uid, key, sizeof key) == VN_OK;
    handle_request(s, p, zmq_msg_data(body), zmq_msg_size(body), extra_parts, known ? key : NULL,
                   zmq_msg_get(body, ZMQ_SRCFD));
}

/* Takes one request forwarded by another node of the cluster, if one
 * waits: handled as the node's own, answered through the cluster. */
static bool take_forwarded(vn_server *s, pending *p)
{
    uint8_t *frame, key[32];
    size_t len;
    struct vn_forward_call *call = vn_edge_next(s, &frame, &len, key);
    if (!call) return false;
    memset(p, 0, sizeof *p);
    p->call = call;
    handle_request(s, p, frame, len, false, key, -1);
    free(frame);
    return true;
}

/* Reads one request (routing id + body) without blocking. Returns false
 * when nothing is waiting. */
static bool recv_one(vn_server *s, pending *p)
{
    zmq_msg_t route, body;
    zmq_msg_init(&route);
    if (zmq_msg_recv(&route, s->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&route);
        return false;
    }
    memset(p, 0, sizeof *p);
    p->route_len = zmq_msg_size(&route) <= ROUTE_MAX ? zmq_msg_size(&route) : 0;
    memcpy(p->route, zmq_msg_data(&route), p->route_len);
    bool more = zmq_msg_more(&route);
    zmq_msg_close(&route);
    zmq_msg_init(&body);
    if (!more || zmq_msg_recv(&body, s->router, 0) < 0) {
        zmq_msg_close(&body);
        p->err = VN_EPROTO;
        snprintf(p->msg, sizeof p->msg, "malformed frame: empty message");
        return true;
    }
    bool extra = zmq_msg_more(&body);
    handle_frame(s, p, &body, extra);
    zmq_msg_close(&body);
    while (extra) { /* discard the rest of a multi-part message */
        zmq_msg_t part;
        zmq_msg_init(&part);
        extra = zmq_msg_recv(&part, s->router, 0) >= 0 && zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    return true;
}

/* One group commit: read what is waiting, handle it inside one write
 * transaction, commit once, then answer. Returns the number of requests. */
static size_t process_batch(vn_server *s)
{
    size_t n = 0;
    vn_err err = vn_kv_begin(vn_sstore_kv(s->store));
    if (err) {
        vn_log("cannot begin transaction: %s", vn_err_str(err));
        return 0;
    }
    while (n < BATCH_MAX && (recv_one(s, &s->batch[n]) || take_forwarded(s, &s->batch[n]))) {
        n++;
        /* A failed write aborted the transaction and with it the writes of
         * the requests before it in this batch. */
        if (!vn_kv_in_txn(vn_sstore_kv(s->store))) {
            flush_notices(s, false);
            fail_written(s->batch, n, s->batch[n - 1].err ? s->batch[n - 1].err : VN_ESTORE);
            err = vn_kv_begin(vn_sstore_kv(s->store));
            if (err) break;
        }
    }
    if (vn_kv_in_txn(vn_sstore_kv(s->store))) {
        err = vn_kv_commit(vn_sstore_kv(s->store));
        if (!err) vn_metrics_commit(s->cfg.metrics, n);
        if (err) {
            vn_log("commit failed: %s", vn_err_str(err));
            fail_written(s->batch, n, err);
        }
        flush_notices(s, !err);
    }
    /* The connection events once for the batch's pushes, not once a push:
     * each read that finds none costs libzmq two system calls. */
    if (n) vn_server_read_events(s);
    for (size_t i = 0; i < n; i++) {
        pending *p = &s->batch[i];
        if (p->forwarded) continue; /* the writer answers it (cluster_edge.c) */
        send_reply(s, p);
        for (size_t k = 0; !p->err && k < p->out.npush; k++)
            push_now(s, p->out.push_to[k], p->out.push_frame, p->out.push_len);
        vn_outcome_clear(&p->out);
    }
    s->requests += n;
    return n;
}

bool vn_server_drain(vn_server *s)
{
    for (int i = 0; i < DRAIN_BATCHES_MAX; i++) {
        if (process_batch(s) == 0 && !vn_listen_readable(s->router)) return false;
        vn_server_between_batches(s);
    }
    return true;
}

void vn_server_commit_notices(vn_server *s, bool committed)
{
    flush_notices(s, committed);
}

void vn_server_send_reply(vn_server *s, pending *p)
{
    send_reply(s, p);
}
