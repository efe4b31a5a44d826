/* bench_relay's clients on the wire: DEALER sockets under CURVE in one
 * context, requests and replies in the protocol's framing, each message a
 * checkable stream of bytes, acks in batches, and the setup (redeem, new
 * cases, subscribe). */
#define _GNU_SOURCE /* ppoll */
#include "relay.h"

#include "proc.h"
#include "vn/be.h"
#include "vn/pad.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int send_request(bench *b, size_t ci, Vn__Request *req)
{
    uint8_t *buf = NULL;
    size_t len;
    req->version = VN_PROTOCOL_VERSION;
    vn_err err = vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &buf, &len);
    if (err) {
        relay_fail(b, "cannot encode a request: %s", vn_err_str(err));
        return -1;
    }
    /* Blocking send: the window keeps every pipe below its high-water mark. */
    int rc = zmq_send(b->cl[ci].sock, buf, len, 0);
    free(buf);
    if (rc < 0) {
        relay_fail(b, "send on client %zu failed: %s", ci, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int relay_send_ctl(bench *b, size_t ci, Vn__Request *req)
{
    req->request_id = CTL_BIT | b->next_ctl++;
    if (send_request(b, ci, req)) return -1;
    b->ctl_pending++;
    return 0;
}

size_t relay_sender_of(const bench *b, size_t seq)
{
    return seq % b->o.clients;
}

/* Clients are spread over ceil(N / CASE_CLIENTS) cases, client i in case
 * i mod ncases, and each sends to the next client of its own case (the
 * routing policy lets buddies of one case message each other). */
size_t relay_ncases(const bench *b)
{
    return (b->o.clients + CASE_CLIENTS - 1) / CASE_CLIENTS;
}

size_t relay_recipient_of(const bench *b, size_t seq)
{
    size_t i = relay_sender_of(b, seq), g = relay_ncases(b), next = i + g;
    return next < b->o.clients ? next : i % g;
}

/* Sends message seq (again, after a refusal: same id, same bytes). */
int relay_send_msg(bench *b, size_t seq)
{
    msg *m = &b->msgs[seq];
    size_t si = relay_sender_of(b, seq), ri = relay_recipient_of(b, seq);
    uint8_t *payload = malloc(b->o.size), *body = NULL;
    size_t body_len;
    if (!payload) {
        relay_fail(b, "out of memory");
        return -1;
    }
    if (m->t_send == 0) m->t_send = bench_now_ns();
    vn_be_put32(payload, MAGIC);
    vn_be_put64(payload + 4, seq);
    vn_be_put64(payload + 12, (uint64_t)m->t_send);
    bench_fill_stream(seq, payload + HEADER_LEN, b->o.size - HEADER_LEN);
    vn_err err = vn_pad_encode(payload, b->o.size, &body, &body_len);
    free(payload);
    if (err) {
        relay_fail(b, "cannot pad a %zu-byte payload: %s", b->o.size, vn_err_str(err));
        return -1;
    }
    Vn__Send s = VN__SEND__INIT;
    s.to = b->cl[ri].account;
    s.id.data = m->id;
    s.id.len = VN_MSGID_LEN;
    s.body.data = body;
    s.body.len = body_len;
    Vn__Request req = VN__REQUEST__INIT;
    req.request_id = seq + 1;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &s;
    int rc = send_request(b, si, &req);
    free(body);
    return rc;
}

/* Acks what client ci received so far. */
static int flush_ack(bench *b, size_t ci)
{
    client *c = &b->cl[ci];
    ProtobufCBinaryData ids[ACK_MAX];
    if (c->nack == 0) return 0;
    for (size_t i = 0; i < c->nack; i++) {
        ids[i].data = c->ack_ids[i];
        ids[i].len = VN_MSGID_LEN;
    }
    Vn__Ack a = VN__ACK__INIT;
    a.n_ids = c->nack;
    a.ids = ids;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &a;
    int rc = relay_send_ctl(b, ci, &req);
    c->nack = 0;
    return rc;
}

static void queue_ack(bench *b, size_t ci, const uint8_t id[VN_MSGID_LEN])
{
    client *c = &b->cl[ci];
    if (c->nack == ACK_MAX) flush_ack(b, ci);
    memcpy(c->ack_ids[c->nack++], id, VN_MSGID_LEN);
}

/* Checks one envelope that reached client ci and records its delivery. */
static void on_envelope(bench *b, size_t ci, const Vn__Envelope *e, bool via_fetch)
{
    const uint8_t *p;
    size_t plen;
    int64_t t = bench_now_ns();
    if (b->final_check) b->leftover++;
    if (vn_pad_decode(e->body.data, e->body.len, &p, &plen) != VN_OK || plen != b->o.size ||
        vn_be_get32(p) != MAGIC) {
        b->bad++;
        return;
    }
    uint64_t seq = vn_be_get64(p + 4);
    if (seq >= b->nmsgs || relay_recipient_of(b, seq) != ci || e->id.len != VN_MSGID_LEN ||
        memcmp(e->id.data, b->msgs[seq].id, VN_MSGID_LEN) != 0) {
        b->bad++;
        return;
    }
    msg *m = &b->msgs[seq];
    if (!via_fetch) {
        /* A later server run pushes again what a killed one pushed but
         * whose ack it never committed: that is a redelivery, the id
         * tells the receiver it has it. Twice from one run is a duplicate. */
        if (m->pushes > 0 && m->push_epoch == b->epoch)
            b->duplicates++;
        else if (m->pushes > 0 || (m->delivered && b->epoch > 0))
            b->redelivered++;
        m->pushes++;
        m->push_epoch = b->epoch;
    }
    /* A fetch also returns delivered envelopes whose ack is on its way.
     * After a kill -9 that ack may be lost: ack again (an ack of an id
     * already gone counts nothing). */
    if (m->delivered) {
        if (b->o.kill9) queue_ack(b, ci, e->id.data);
        return;
    }
    uint8_t *expect = malloc(plen - HEADER_LEN + 1);
    bool intact = expect != NULL;
    if (intact) {
        bench_fill_stream(seq, expect, plen - HEADER_LEN);
        intact = memcmp(expect, p + HEADER_LEN, plen - HEADER_LEN) == 0;
    }
    free(expect);
    if (!intact) {
        b->bad++;
        return;
    }
    m->delivered = true;
    b->delivered_total++;
    b->phase_delivered++;
    b->last_delivery = t;
    if (via_fetch) b->via_fetch++;
    b->lat[b->nlat++] = t - (int64_t)vn_be_get64(p + 12);
    b->cl[relay_sender_of(b, seq)].inflight--;
    queue_ack(b, ci, e->id.data);
}

static void on_send_reply(bench *b, size_t ci, const Vn__Reply *r)
{
    uint64_t seq = r->request_id - 1;
    if (seq >= b->nmsgs || relay_sender_of(b, seq) != ci) {
        relay_fail(b, "reply to unknown request %llu on client %zu",
                   (unsigned long long)r->request_id, ci);
        return;
    }
    msg *m = &b->msgs[seq];
    if (r->body_case == VN__REPLY__BODY_SENT) {
        if (r->sent->id.len != VN_MSGID_LEN || memcmp(r->sent->id.data, m->id, VN_MSGID_LEN))
            relay_fail(b, "Sent reply for message %llu names another id", (unsigned long long)seq);
        m->sent = true;
        return;
    }
    if (r->body_case == VN__REPLY__BODY_ERROR && r->error->code == VN_ERATE) {
        /* The same id again later: the server de-duplicates it. */
        uint64_t after = r->error->retry_after_ms ? r->error->retry_after_ms : 100;
        m->retry_at = bench_now_ns() + (int64_t)after * 1000000;
        b->retries++;
        b->pending_retries++;
        return;
    }
    if (r->body_case == VN__REPLY__BODY_ERROR)
        relay_fail(b, "server refused message %llu: %s (%s)", (unsigned long long)seq,
                   vn_err_name(r->error->code), r->error->message ? r->error->message : "");
    else
        relay_fail(b, "unexpected reply type %d to a send", (int)r->body_case);
}

static void on_ctl_reply(bench *b, size_t ci, const Vn__Reply *r)
{
    client *c = &b->cl[ci];
    /* The replies a killed server still sent were written off at the restart. */
    if ((r->request_id & ~CTL_BIT) >= b->ctl_floor) b->ctl_pending--;
    switch (r->body_case) {
    case VN__REPLY__BODY_REDEEMED:
        if (!r->redeemed->account || !vn_account_valid(r->redeemed->account)) {
            relay_fail(b, "redeem of client %zu returned no account id", ci);
            return;
        }
        memcpy(c->account, r->redeemed->account, VN_ACCOUNT_HEX + 1);
        return;
    case VN__REPLY__BODY_SUBSCRIBED:
        c->subscribed = true;
        if (r->subscribed->waiting != 0 && b->epoch == 0)
            relay_fail(b, "a fresh account has %u waiting messages", r->subscribed->waiting);
        return;
    case VN__REPLY__BODY_ACKED:
        b->acked += r->acked->count;
        return;
    case VN__REPLY__BODY_CASE_INFO:
        if (!r->case_info->case_id || !vn_account_valid(r->case_info->case_id)) {
            relay_fail(b, "the new case has no valid id");
            return;
        }
        memcpy(b->case_id, r->case_info->case_id, VN_ACCOUNT_HEX + 1);
        return;
    case VN__REPLY__BODY_ENVELOPES: /* a fetch */
        for (size_t i = 0; i < r->envelopes->n_envelopes; i++)
            on_envelope(b, ci, r->envelopes->envelopes[i], true);
        /* After a restart a mailbox may hold more than one fetch returns:
         * the server says so (more), whether it stopped at VN_FETCH_MAX
         * envelopes or, before that, at a full reply frame (57 padded
         * 512-byte bodies). */
        if (b->o.kill9 && !b->final_check && r->envelopes->more) c->refetch = true;
        return;
    case VN__REPLY__BODY_ERROR:
        relay_fail(b, "client %zu: server error %s: %s", ci, vn_err_name(r->error->code),
                   r->error->message ? r->error->message : "");
        return;
    default:
        relay_fail(b, "client %zu: unexpected reply type %d", ci, (int)r->body_case);
    }
}

/* Asks for what waits in client ci's mailbox (the replies come in pump). */
int relay_fetch_one(bench *b, size_t ci)
{
    Vn__Fetch f = VN__FETCH__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH;
    req.fetch = &f;
    f.max = VN_FETCH_MAX;
    return relay_send_ctl(b, ci, &req);
}

/* Receives everything waiting on client ci. */
static void drain(bench *b, size_t ci)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, b->cl[ci].sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (errno != EAGAIN) relay_fail(b, "receive failed: %s", zmq_strerror(errno));
            return;
        }
        Vn__Reply *r = NULL;
        vn_err err = vn_frame_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), REPLY_MAX, &r);
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (err || more) {
            relay_fail(b, "client %zu received a malformed frame (%s)", ci,
                       err ? vn_err_name(err) : "several parts");
            vn_frame_reply_free(r);
            return;
        }
        if (r->request_id == 0 && r->body_case == VN__REPLY__BODY_ENVELOPES) {
            for (size_t i = 0; i < r->envelopes->n_envelopes; i++)
                on_envelope(b, ci, r->envelopes->envelopes[i], false);
        } else if (r->request_id & CTL_BIT) {
            on_ctl_reply(b, ci, r);
        } else {
            on_send_reply(b, ci, r);
        }
        vn_frame_reply_free(r);
    }
}

/* Handles what zmq_poll's rc and revents say arrived, then acks it. */
static void pumped(bench *b, int rc)
{
    if (rc < 0) {
        if (errno != EINTR) relay_fail(b, "poll failed: %s", zmq_strerror(errno));
        return;
    }
    for (size_t i = 0; rc > 0 && i < b->ncl; i++)
        if (b->items[i].revents & ZMQ_POLLIN) drain(b, i);
    for (size_t i = 0; i < b->o.clients; i++) {
        flush_ack(b, i);
        if (b->cl[i].refetch) {
            b->cl[i].refetch = false;
            relay_fetch_one(b, i);
        }
    }
}

/* Sockets relay_pump_until sleeps on (the ring's clients and the
 * casemanager); with more it waits a whole millisecond. */
#define PUMP_FDS_MAX 1024

/* Waits up to timeout_ms for traffic, handles it, then acks what arrived. */
void relay_pump(bench *b, int timeout_ms)
{
    pumped(b, zmq_poll(b->items, (int)b->ncl, timeout_ms));
}

/* zmq_poll counts in whole milliseconds: a wait of less than one for the
 * next send of an open loop would be a zero timeout, and the benchmark
 * would spin a core on it, which on a small machine is taken from the
 * server it measures. Below a millisecond it sleeps in ppoll on the
 * sockets' ZMQ_FDs instead, which wakes on traffic or at the due time. */
void relay_pump_until(bench *b, int64_t due_ns)
{
    int64_t left = due_ns - bench_now_ns();
    if (left >= 1000000 || left <= 0) {
        relay_pump(b, left > 0 ? (int)(left / 1000000) : 0);
        return;
    }
    /* ZMQ_FD only signals what comes after the events were last read,
     * which this zero-timeout poll does for every socket. */
    if (b->ncl > PUMP_FDS_MAX) {
        relay_pump(b, 1);
        return;
    }
    int rc = zmq_poll(b->items, (int)b->ncl, 0);
    if (rc == 0) {
        struct pollfd fds[PUMP_FDS_MAX];
        for (size_t i = 0; i < b->ncl; i++) {
            size_t len = sizeof fds[i].fd;
            fds[i].events = POLLIN;
            if (zmq_getsockopt(b->items[i].socket, ZMQ_FD, &fds[i].fd, &len)) fds[i].fd = -1;
        }
        struct timespec ts = {0, (long)left};
        ppoll(fds, b->ncl, &ts, NULL);
        rc = zmq_poll(b->items, (int)b->ncl, 0);
    }
    pumped(b, rc);
}

/* Pumps until no control request is waiting for its reply. */
int relay_await_ctl(bench *b, const char *what)
{
    int64_t deadline = bench_now_ns() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
    while (b->ctl_pending > 0 && !b->failed) {
        if (bench_now_ns() > deadline) {
            relay_fail(b, "%s: %zu replies missing after %d s", what, b->ctl_pending,
                       SETUP_TIMEOUT_MS / 1000);
            return -1;
        }
        relay_pump(b, 100);
    }
    return b->failed ? -1 : 0;
}

/* ---- setup ---- */

/* Connects client i with a fresh key pair, pinning the invite's server
 * key, and sends its redeem. */
/* Connects client i with its key pair to the server (key b->server_key). */
int relay_connect_client(bench *b, size_t i)
{
    int zero = 0;
    client *c = &b->cl[i];
    c->sock = zmq_socket(b->zctx, ZMQ_DEALER);
    bool ok = c->sock && !zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, b->server_key, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->pub, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->sec, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero) &&
              !zmq_connect(c->sock, b->endpoint);
    if (!ok) {
        relay_fail(b, "cannot connect client %zu to %s: %s", i, b->endpoint, zmq_strerror(errno));
        return -1;
    }
    b->items[i].socket = c->sock;
    b->items[i].events = ZMQ_POLLIN;
    return 0;
}

static int open_client(bench *b, size_t i, const vn_invite *inv)
{
    client *c = &b->cl[i];
    if (vn_conn_curve_keypair(c->pub, c->sec) != VN_OK) {
        relay_fail(b, "cannot make a CURVE key pair");
        return -1;
    }
    memcpy(b->server_key, inv->server_key, sizeof b->server_key);
    if (relay_connect_client(b, i)) return -1;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret.data = (uint8_t *)inv->secret;
    rd.secret.len = VN_INVITE_SECRET_LEN;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    return relay_send_ctl(b, i, &req);
}

/* The routing policy lets a buddy message the other buddies of their own
 * case, so the rings are buddies of a few cases: a casemanager joins and
 * opens the cases, and the buddies are invited into them. All ring
 * connections redeem at once, then all subscribe. */
int relay_join_all(bench *b)
{
    size_t n = b->o.clients;
    int rc = -1;
    vn_invite *inv = calloc(n + 1, sizeof *inv);
    if (!inv) {
        relay_fail(b, "out of memory");
        return -1;
    }
    if (relay_make_invites(b, &inv[n], 1, "casemanager", NULL) || open_client(b, n, &inv[n]) ||
        relay_await_ctl(b, "redeem (casemanager)"))
        goto out;
    size_t g = relay_ncases(b);
    for (size_t k = 0; k < g; k++) {
        Vn__CaseNew cn = VN__CASE_NEW__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_CASE_NEW;
        req.case_new = &cn;
        if (relay_send_ctl(b, n, &req) || relay_await_ctl(b, "new case")) goto out;
        memcpy(b->case_ids[k], b->case_id, sizeof b->case_id);
    }
    for (size_t i = 0; i < n; i++)
        if (relay_make_invites(b, &inv[i], 1, "buddy", b->case_ids[i % g])) goto out;
    for (size_t i = 0; i < n; i++)
        if (open_client(b, i, &inv[i])) goto out;
    if (relay_await_ctl(b, "redeem")) goto out;
    for (size_t i = 0; i < n; i++) {
        Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
        Vn__Request sreq = VN__REQUEST__INIT;
        sreq.body_case = VN__REQUEST__BODY_SUBSCRIBE;
        sreq.subscribe = &sb;
        if (relay_send_ctl(b, i, &sreq)) goto out;
    }
    rc = relay_await_ctl(b, "subscribe");
out:
    explicit_bzero(inv, (n + 1) * sizeof *inv);
    free(inv);
    return rc;
}
