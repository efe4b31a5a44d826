/* The server loop: a ZeroMQ ROUTER under CURVE, a ZAP handler that fails
 * closed, and group commit — all requests read in one loop turn share one
 * LMDB write transaction, and no reply or push leaves before its commit. */
#include "server.h"

#include "conns.h"
#include "listen.h"
#include "metrics.h"
#include "quota.h"
#include "ratelimit.h"
#include "subs.h"
#include "vn/alerts.h"
#include "vn/array.h"
#include "vn/cases.h"
#include "vn/frame.h"
#include "vn/rand.h"
#include "vn/hex.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BATCH_MAX   256               /* most requests one transaction groups */
#define ROUTE_MAX   VN_SUBS_ROUTE_MAX /* longest ROUTER routing id we keep */
#define SUBS_MAX    65536             /* most connections listening for pushes */
#define NOTICES_MAX 65536             /* most pushes waiting for one commit */

/* One request of the current batch, waiting for the commit. */
typedef struct pending {
    uint8_t route[ROUTE_MAX]; /* where the reply goes */
    size_t route_len;
    uint64_t request_id; /* echoed in the reply */
    vn_outcome out;      /* the handler's result */
    vn_err err;          /* or the error to report */
    char msg[256];       /* with its message */
    uint64_t retry_ms;   /* and, for VN_ERATE, when to retry */
} pending;

struct vn_server {
    vn_server_config cfg;  /* settings, validated by main.c */
    uv_loop_t loop;        /* the one event loop */
    uv_poll_t router_poll; /* readiness of the ROUTER's ZMQ_FD */
    uv_poll_t zap_poll;    /* readiness of the ZAP socket's ZMQ_FD */
    uv_poll_t mon_poll;    /* readiness of the monitor socket's ZMQ_FD */
    uv_timer_t sweep;      /* expiry of old envelopes and invites */
    uv_idle_t sched_idle;  /* runs the scheduler's steps while a pass is under way */
    uv_signal_t sigterm, sigint;
    void *zctx;       /* ZeroMQ context */
    void *router;     /* client-facing socket */
    void *zap;        /* ZAP handler socket (REP) */
    void *mon;        /* the ROUTER's connection events (PAIR) */
    vn_conns *conns;  /* connection count and limits, dropped replies */
    vn_sstore *store; /* the LMDB store; this process is its only writer */
    vn_clock *clock;  /* the one source of now */
    int lock_fd;      /* flock on the state directory */
    vn_subs *subs;    /* who listens for pushes, on which connection */
    vn_subs_conn cur; /* the connection of the request being handled */
    pending *batch;   /* BATCH_MAX slots for the current turn */
    vn_ratelimit *rl_pair, *rl_account, *rl_inbound; /* abuse limits */
    vn_ratelimit *rl_alert, *rl_case_alert;          /* signals raised */
    vn_quota *quota;                                 /* storage quotas, crisis reserve */
    struct notice_push {
        uint8_t to[VN_ACCOUNT_LEN]; /* recipient */
        uint8_t *frame;             /* packed push */
        size_t len;
    } * notices; /* pushes waiting for the commit */
    size_t nnotices, capnotices;
    uint64_t usage_checked_ms;        /* when nearly_full was last computed */
    bool nearly_full;                 /* new messages wait; deletions go on */
    uint64_t requests;                /* requests handled, for the shutdown log */
    uint64_t calls[VN_REQUEST_COUNT]; /* calls per row of vn_requests */
    uint64_t events[VN_LOG_COUNT];    /* counted since the last report */
    uint64_t events_reported_ms;      /* monotonic time of that report */

    vn_scheduler *sched; /* passes over the cases under contract */
};

static void read_events(vn_server *s);

/* How often the event counts are logged: coarse enough that a count does
 * not date one person's event. */
#define EVENT_REPORT_MS (3600 * 1000ULL)

static const char *const event_names[VN_LOG_COUNT] = {
    [VN_LOG_REGISTERED] = "accounts registered", [VN_LOG_ALERT] = "alerts raised",
    [VN_LOG_ESCALATED] = "escalations",          [VN_LOG_REMOVED] = "members removed",
    [VN_LOG_DELETED] = "accounts deleted",
};

void vn_server_count(vn_server *self, vn_log_event ev)
{
    self->events[ev]++;
    vn_metrics_event(self->cfg.metrics, (int)ev, vn_server_mono_ms(self));
}

/* Logs the counts since the last report, if any, and starts anew. */
static void report_events(vn_server *s)
{
    char line[256];
    size_t o = 0;
    for (int i = 0; i < VN_LOG_COUNT; i++)
        if (s->events[i] && o < sizeof line)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s %llu", o ? ", " : "",
                                  event_names[i], (unsigned long long)s->events[i]);
    if (o) vn_log("events since the last report: %s", line);
    memset(s->events, 0, sizeof s->events);
    s->events_reported_ms = vn_server_mono_ms(s);
}

vn_sstore *vn_server_store(vn_server *self)
{
    return self->store;
}

uv_loop_t *vn_server_loop(vn_server *self)
{
    return &self->loop;
}

uint64_t *vn_server_request_calls(vn_server *self)
{
    return self->calls;
}

vn_clock *vn_server_clock(vn_server *self)
{
    return self->clock;
}

const vn_server_config *vn_server_cfg(vn_server *self)
{
    return &self->cfg;
}

bool vn_server_nearly_full(vn_server *self)
{
    size_t used = 0, total = 0;
    vn_kv *kv = vn_sstore_kv(self->store);
    if (vn_kv_usage(kv, false, &used, &total) != VN_OK) return self->nearly_full;
    /* Keep a tenth of the map, at least 1 MiB, for deletions and for the
     * rest of a loop turn's batch. */
    size_t reserve = total / 10 > 256 ? total / 10 : 256;
    bool full = false;
    if (used + reserve >= total) {
        /* The high-water mark says maybe; free pages decide. Walking the
         * free list is dearer, so at most every 200 ms. */
        uint64_t now = vn_server_mono_ms(self);
        if (self->usage_checked_ms && now - self->usage_checked_ms < 200) return self->nearly_full;
        self->usage_checked_ms = now;
        if (vn_kv_usage(kv, true, &used, &total) != VN_OK) return self->nearly_full;
        full = used + reserve >= total;
    }
    if (full != self->nearly_full)
        vn_logl(full ? VN_LEVEL_WARN : VN_LEVEL_INFO,
                full ? "store nearly full (%zu of %zu pages): new messages wait"
                     : "store has room again (%zu of %zu pages)",
                used, total);
    self->nearly_full = full;
    return full;
}

uint64_t vn_server_mono_ms(vn_server *self)
{
    uv_update_time(&self->loop);
    return uv_now(&self->loop);
}

vn_ratelimit *vn_server_rl_pair(vn_server *self)
{
    return self->rl_pair;
}

vn_ratelimit *vn_server_rl_account(vn_server *self)
{
    return self->rl_account;
}

vn_ratelimit *vn_server_rl_inbound(vn_server *self)
{
    return self->rl_inbound;
}

vn_ratelimit *vn_server_rl_alert(vn_server *self)
{
    return self->rl_alert;
}

vn_quota *vn_server_quota(vn_server *self)
{
    return self->quota;
}

vn_ratelimit *vn_server_rl_case_alert(vn_server *self)
{
    return self->rl_case_alert;
}

vn_err vn_server_subscribe(vn_server *self, const uint8_t account[VN_ACCOUNT_LEN],
                           const uint8_t *route, size_t route_len)
{
    /* The subscription is bound to the connection of the request being
     * handled (its descriptor and CURVE key), not only to a routing id
     * that the client chose or that another connection may take later. */
    if (!self->cur.route || route_len != self->cur.route_len ||
        memcmp(route, self->cur.route, route_len) != 0)
        return VN_EINTERNAL;
    /* A close not yet read could end the subscription made here. */
    read_events(self);
    return vn_subs_add(self->subs, account, &self->cur);
}

/* Sends a push to a subscribed account. A gone or slow connection only
 * loses the push: the envelope stays stored until it is acknowledged. */
static void push(vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                 size_t len)
{
    const uint8_t *route;
    size_t route_len;
    /* Closes first: a routing id whose connection closed may already be
     * another connection's, and libzmq emits the close before it frees
     * the id, so reading the events now ends such a subscription. */
    read_events(s);
    if (!vn_subs_route(s->subs, account, &route, &route_len)) return;
    if (zmq_send(s->router, route, route_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        if (errno == EHOSTUNREACH) vn_subs_remove(s->subs, account);
        if (errno == EAGAIN) vn_conns_dropped(s->conns, route, route_len, vn_server_mono_ms(s));
        return;
    }
    zmq_send(s->router, frame, len, ZMQ_DONTWAIT);
}

static void send_frame(vn_server *s, const uint8_t *route, size_t route_len, const uint8_t *buf,
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
    for (size_t i = 0; i < s->nnotices; i++) {
        if (committed) push(s, s->notices[i].to, s->notices[i].frame, s->notices[i].len);
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
    } else if (err == VN_OK) {
        send_frame(s, p->route, p->route_len, buf, len);
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

/* Resolves the sender from the User-Id our ZAP handler attached: the hex of
 * the connection's CURVE key. */
static vn_err resolve_peer(vn_server *s, zmq_msg_t *body, vn_peer *peer)
{
    const char *uid = zmq_msg_gets(body, "User-Id");
    memset(peer, 0, sizeof *peer);
    if (!uid || vn_hex_decode(uid, peer->key, 32)) return VN_EUNREGISTERED;
    vn_err err = vn_accounts_by_device(s->store, peer->key, peer->account, &peer->role);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    peer->registered = true;
    vn_hex_encode(peer->account, VN_ACCOUNT_LEN, peer->account_hex);
    return VN_OK;
}

static void handle_frame(vn_server *s, pending *p, zmq_msg_t *body, bool extra_parts)
{
    Vn__Request *req = NULL;
    vn_peer peer;
    size_t len = zmq_msg_size(body);
    vn_err err = vn_frame_request_decode(zmq_msg_data(body), len, s->cfg.frame_max, &req);
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
    err = resolve_peer(s, body, &peer);
    if (err) {
        snprintf(p->msg, sizeof p->msg, "could not identify the device: %s", vn_err_str(err));
        goto out;
    }
    peer.route = p->route;
    peer.route_len = p->route_len;
    s->cur = (vn_subs_conn){
        .route = p->route, .route_len = p->route_len, .fd = zmq_msg_get(body, ZMQ_SRCFD)};
    memcpy(s->cur.key, peer.key, sizeof s->cur.key);
    vn_subs_seen(s->subs, &s->cur);
    p->out.reply = malloc(sizeof *p->out.reply);
    if (!p->out.reply) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__reply__init(p->out.reply);
    err = handle_isolated(s, &peer, req, p);
    s->cur.route = NULL;
out:
    if (err) vn_outcome_clear(&p->out);
    p->err = err;
    vn_frame_request_free(req);
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
    while (n < BATCH_MAX && recv_one(s, &s->batch[n])) {
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
    for (size_t i = 0; i < n; i++) {
        pending *p = &s->batch[i];
        send_reply(s, p);
        for (size_t k = 0; !p->err && k < p->out.npush; k++)
            push(s, p->out.push_to[k], p->out.push_frame, p->out.push_len);
        vn_outcome_clear(&p->out);
    }
    s->requests += n;
    return n;
}

/* ZMQ_FD is edge-triggered: drain until ZMQ_EVENTS says nothing is left.
 * Every send on the ROUTER may consume the edge of a request that arrived
 * meanwhile, so anything that sends outside on_router calls this after. */
static void drain(vn_server *s)
{
    while (process_batch(s) > 0 || vn_listen_readable(s->router)) {
    }
}

static void on_router(uv_poll_t *h, int status, int events)
{
    drain(h->data);
}

/* Applies the connection events waiting on the monitor socket. */
static void read_events(vn_server *s)
{
    vn_listen_event ev;
    while (vn_listen_event_next(s->mon, &ev)) {
        vn_metrics_connection(s->cfg.metrics, ev.event);
        vn_conns_event(s->conns, &ev, vn_server_mono_ms(s));
        if (ev.event == ZMQ_EVENT_DISCONNECTED) vn_subs_closed(s->subs, (int)ev.value);
    }
}

static void on_mon(uv_poll_t *h, int status, int events)
{
    vn_server *s = h->data;
    do
        read_events(s);
    while (vn_listen_readable(s->mon));
}

bool vn_server_conn_admit(vn_server *self)
{
    /* libzmq publishes ACCEPTED before the handshake that asks ZAP begins,
     * so after this read the connection being asked about is counted as
     * open, and the handshakes finished before it as established. */
    read_events(self);
    return vn_conns_admit(self->conns, vn_server_mono_ms(self));
}

static void on_zap(uv_poll_t *h, int status, int events)
{
    vn_server *s = h->data;
    while (vn_listen_readable(s->zap))
        vn_zap_handle(s, s->zap);
}

/* One step of the scheduler's pass per loop turn: the turn's requests are
 * served between two steps. */
static void on_sched(uv_idle_t *h)
{
    vn_server *s = h->data;
    if (!vn_scheduler_step(s->sched)) uv_idle_stop(h);
    /* The step pushed notices on the ROUTER. */
    drain(s);
}

static void on_sweep(uv_timer_t *t)
{
    vn_server *s = t->data;
    size_t n = 0;
    uint64_t now = vn_clock_now(s->clock), behind = 0;
    bool changed = false;
    /* Expiry's own clock: a forward step of the system clock is caught up
     * with an hour per sweep, not in one (core/store clock.h). */
    uint64_t exp_now = vn_clock_expiry_now(s->clock, &behind, &changed);
    if (changed && behind)
        vn_log("the system clock is %llu s ahead of the monotonic clock (a forward step?): mail "
               "expiry catches up by one hour per sweep",
               (unsigned long long)(behind / 1000));
    else if (changed)
        vn_log("mail expiry has caught up with the system clock");
    vn_err err = vn_lifecycle_expire(s->store, exp_now, s->cfg.mail_ttl_ms, &n);
    if (err)
        vn_logl(VN_LEVEL_ERROR, "expiry failed: %s", vn_err_str(err));
    else if (n)
        vn_log("expired %zu undelivered messages (older than %llu days); their senders learn it "
               "from the expired receipts",
               n, (unsigned long long)(s->cfg.mail_ttl_ms / 86400000));
    /* The pass runs in steps on the following loop turns (on_sched). */
    vn_scheduler_start(s->sched);
    uv_idle_start(&s->sched_idle, on_sched);
    vn_escalation_run(s);
    err = vn_lifecycle_purge(s->store, now, s->cfg.case_retention_ms, &n);
    if (err)
        vn_logl(VN_LEVEL_ERROR, "case purge failed: %s", vn_err_str(err));
    else if (n)
        vn_log("purged %zu closed cases past retention", n);
    vn_ratelimit_sweep(s->rl_pair, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_account, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_inbound, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_alert, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_case_alert, vn_server_mono_ms(s));
    vn_conns_report(s->conns, vn_server_mono_ms(s), false);
    if (vn_server_mono_ms(s) - s->events_reported_ms >= EVENT_REPORT_MS) report_events(s);
    /* The scheduler and the escalation pushed notices on the ROUTER. */
    drain(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
    vn_server *s = h->data;
    vn_log("signal %d: shutting down", signum);
    uv_stop(&s->loop);
}

/* Reads a z85 key file written by `vangnetd init`. */
static vn_err read_key(const char *dir, const char *name, uint8_t key[32])
{
    char path[4096], z85[64] = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return VN_EIO;
    size_t n = fread(z85, 1, 40, f);
    fclose(f);
    vn_err err = n == 40 && zmq_z85_decode(key, z85) ? VN_OK : VN_EIO;
    explicit_bzero(z85, sizeof z85);
    return err;
}

static vn_err write_endpoint(vn_server *s)
{
    char ep[256], path[4096];
    size_t len = sizeof ep;
    if (zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, ep, &len) != 0) return VN_ETRANSPORT;
    snprintf(path, sizeof path, "%s/endpoint", s->cfg.state_dir);
    FILE *f = fopen(path, "w");
    if (!f) return VN_EIO;
    fprintf(f, "%s\n", ep);
    vn_err err = fclose(f) == 0 ? VN_OK : VN_EIO;
    if (!err) vn_log("listening on %s", ep);
    return err;
}

static vn_err open_sockets(vn_server *s, const uint8_t secret[32])
{
    char msg[512];
    vn_err err = vn_conns_open(&s->conns, s->cfg.max_connections, s->cfg.send_queue, vn_log);
    if (err) return err;
    err = vn_listen_open_limited(s->zctx, secret, s->cfg.listen, s->cfg.frame_max,
                                 (int)s->cfg.send_queue, &s->zap, &s->router, &s->mon, msg,
                                 sizeof msg);
    if (err) {
        vn_log("%s", msg);
        return err;
    }
    return write_endpoint(s);
}

static vn_err lock_state(vn_server *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/vangnetd.lock", s->cfg.state_dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) return VN_EIO;
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        vn_logl(VN_LEVEL_ERROR, "another vangnetd is running on %s", s->cfg.state_dir);
        return VN_EEXISTS;
    }
    return VN_OK;
}

static vn_err start_loop(vn_server *s)
{
    int fd;
    size_t len = sizeof fd;
    if (uv_loop_init(&s->loop)) return VN_EINTERNAL;
    if (zmq_getsockopt(s->router, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->router_poll, fd);
    len = sizeof fd;
    if (zmq_getsockopt(s->zap, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->zap_poll, fd);
    len = sizeof fd;
    if (zmq_getsockopt(s->mon, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->mon_poll, fd);
    uv_timer_init(&s->loop, &s->sweep);
    uv_idle_init(&s->loop, &s->sched_idle);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->router_poll.data = s->zap_poll.data = s->mon_poll.data = s->sweep.data = s;
    s->sigterm.data = s->sigint.data = s;
    s->sched_idle.data = s;
    return VN_OK;
}

#define IO_THREADS_MAX 8 /* ZeroMQ I/O threads on a large machine */
/* Alerts stored before their indexes existed are indexed once, at start,
 * in one transaction, so no list misses them (vn_alerts_reindex). */
static vn_err index_alerts(vn_server *s)
{
    size_t n = 0;
    vn_err err = vn_alerts_reindex(s->store, &n);
    if (err)
        vn_log("cannot index the stored alerts: %s", vn_err_str(err));
    else if (n)
        vn_log("indexed %zu stored alerts (stored before their indexes existed)", n);
    return err;
}

vn_err vn_server_open(vn_server **out, const vn_server_config *cfg)
{
    uint8_t secret[32];
    vn_err err;
    vn_server *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->cfg = *cfg;
    s->cfg.store_key = NULL; /* the caller's, and wiped by it after open */
    s->lock_fd = -1;
    s->batch = calloc(BATCH_MAX, sizeof *s->batch);
    if (!s->batch) {
        err = VN_ENOMEM;
        goto err_free;
    }
    if ((err = vn_subs_open(&s->subs, SUBS_MAX)) ||
        (err = vn_ratelimit_open(&s->rl_pair, cfg->pair_burst, cfg->pair_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_account, cfg->account_burst, cfg->account_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_inbound, cfg->inbound_burst, cfg->inbound_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_alert, cfg->alert_burst, cfg->alert_per_hour / 3600)) ||
        (err = vn_ratelimit_open(&s->rl_case_alert, cfg->case_alert_burst,
                                 cfg->case_alert_per_hour / 3600)))
        goto err_free;
    vn_quota_limits ql = {cfg->quota_sender_bytes, cfg->quota_sender_envelopes,
                          cfg->quota_recipient_bytes, cfg->quota_recipient_envelopes,
                          (unsigned)cfg->crisis_reserve_pct};
    vn_quota_limits_default(&ql, cfg->map_size);
    if ((err = vn_quota_open(&s->quota, &ql, vn_log))) goto err_free;
    if ((err = lock_state(s))) goto err_free;
    err = read_key(cfg->state_dir, "server.key", secret);
    if (err) {
        vn_logl(VN_LEVEL_ERROR, "cannot read %s/server.key: run `vangnetd init --state %s` first",
                cfg->state_dir, cfg->state_dir);
        goto err_free;
    }
    if ((err = vn_sstore_open(&s->store, cfg->state_dir, cfg->map_size, cfg->store_key))) {
        vn_logl(VN_LEVEL_ERROR, "cannot open the store in %s: %s", cfg->state_dir, vn_err_str(err));
        goto err_wipe;
    }
    if ((err = vn_clock_open(&s->clock, s->store, cfg->test_clock))) goto err_store;
    if ((err = vn_scheduler_open(&s->sched, s))) goto err_clock;
    if ((err = index_alerts(s))) goto err_clock;
    s->zctx = zmq_ctx_new();
    if (!s->zctx) {
        err = VN_ETRANSPORT;
        goto err_clock;
    }
    /* CURVE's encryption and the sockets' I/O run on ZeroMQ's I/O threads,
     * the store and the handlers on this loop's: one I/O thread for each
     * further core, up to IO_THREADS_MAX (one on a machine of two). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int io_threads = cores > 2 ? (int)(cores - 1 < IO_THREADS_MAX ? cores - 1 : IO_THREADS_MAX) : 1;
    zmq_ctx_set(s->zctx, ZMQ_IO_THREADS, io_threads);
    if ((err = open_sockets(s, secret))) goto err_sockets;
    if ((err = start_loop(s))) goto err_sockets;
    explicit_bzero(secret, sizeof secret);
    *out = s;
    return VN_OK;

err_sockets:
    if (s->mon) zmq_close(s->mon);
    if (s->router) zmq_close(s->router);
    if (s->zap) zmq_close(s->zap);
    zmq_ctx_term(s->zctx);
    vn_conns_close(&s->conns);
err_clock:
    vn_scheduler_close(&s->sched);
    vn_clock_close(&s->clock);
err_store:
    vn_sstore_close(&s->store);
err_wipe:
    explicit_bzero(secret, sizeof secret);
err_free:
    if (s->lock_fd >= 0) close(s->lock_fd);
    vn_ratelimit_close(&s->rl_pair);
    vn_ratelimit_close(&s->rl_account);
    vn_ratelimit_close(&s->rl_inbound);
    vn_ratelimit_close(&s->rl_alert);
    vn_ratelimit_close(&s->rl_case_alert);
    vn_subs_close(&s->subs);
    vn_quota_close(&s->quota);
    free(s->batch);
    free(s);
    return err;
}

vn_err vn_server_run(vn_server *self)
{
    uv_poll_start(&self->mon_poll, UV_READABLE, on_mon);
    uv_poll_start(&self->zap_poll, UV_READABLE, on_zap);
    uv_poll_start(&self->router_poll, UV_READABLE, on_router);
    uv_timer_start(&self->sweep, on_sweep, 1000, self->cfg.sweep_ms);
    uv_signal_start(&self->sigterm, on_signal, SIGTERM);
    uv_signal_start(&self->sigint, on_signal, SIGINT);
    /* Messages may have queued before the poll started. */
    on_mon(&self->mon_poll, 0, 0);
    on_zap(&self->zap_poll, 0, 0);
    on_router(&self->router_poll, 0, 0);
    vn_log("ready (test clock %s)", vn_clock_is_test(self->clock) ? "on" : "off");
    self->events_reported_ms = vn_server_mono_ms(self);
    uv_run(&self->loop, UV_RUN_DEFAULT);
    report_events(self);
    vn_log("stopped after %llu requests", (unsigned long long)self->requests);
    return VN_OK;
}

static void on_close(uv_handle_t *h) {}

void vn_server_close(vn_server **self_p)
{
    if (!self_p || !*self_p) return;
    vn_server *s = *self_p;
    uv_close((uv_handle_t *)&s->router_poll, on_close);
    uv_close((uv_handle_t *)&s->zap_poll, on_close);
    uv_close((uv_handle_t *)&s->mon_poll, on_close);
    uv_close((uv_handle_t *)&s->sweep, on_close);
    uv_close((uv_handle_t *)&s->sched_idle, on_close);
    uv_close((uv_handle_t *)&s->sigterm, on_close);
    uv_close((uv_handle_t *)&s->sigint, on_close);
    vn_metrics_stop(s->cfg.metrics);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let the close callbacks run */
    uv_loop_close(&s->loop);
    zmq_close(s->mon);
    zmq_close(s->router);
    zmq_close(s->zap);
    zmq_ctx_term(s->zctx);
    vn_conns_close(&s->conns);
    vn_scheduler_close(&s->sched);
    vn_clock_close(&s->clock);
    vn_sstore_close(&s->store);
    close(s->lock_fd);
    flush_notices(s, false);
    free(s->notices);
    vn_ratelimit_close(&s->rl_pair);
    vn_ratelimit_close(&s->rl_account);
    vn_ratelimit_close(&s->rl_inbound);
    vn_ratelimit_close(&s->rl_alert);
    vn_ratelimit_close(&s->rl_case_alert);
    vn_subs_close(&s->subs);
    vn_quota_close(&s->quota);
    free(s->batch);
    free(s);
    *self_p = NULL;
}

void vn_server_commit_notices(vn_server *s, bool committed)
{
    flush_notices(s, committed);
}
