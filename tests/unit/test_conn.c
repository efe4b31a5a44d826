/* Unit tests of the client side of the wire (vn_conn) against a scripted
 * CURVE ROUTER in a thread of this test: a call gets the reply with its own
 * request id (a stale reply to an earlier id is dropped, a push is queued
 * for vn_conn_next_push), a lost request is resent with the same id, an
 * error reply becomes its code with message and retry-after, an unknown
 * code becomes VN_EPROTO, no answer is VN_ETIMEOUT, and vn_conn_raw sends
 * bytes no honest client would. With several endpoints: a dead one and one
 * under another key are passed over for the right server, one that never
 * answers after the failover time, and a list of only another key's server
 * is refused at once, naming it. A poll(2) loop on vn_conn_fds wakes for
 * frames that come outside a call (vn_conn_ready). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <pthread.h>
#include <cmocka.h>
#include <zmq.h>

#include "vn/conn.h"
#include "vn/frame.h"

/* The scripted server: what it does depends on the request body. */
typedef struct server {
    void *ctx, *router;       /* its own context and ROUTER */
    char endpoint[64];        /* where it listens */
    uint8_t pub[32], sec[32]; /* its CURVE key pair */
    pthread_t thread;         /* runs serve() */
    atomic_bool stop;         /* asks serve() to end */
    atomic_int acks_seen;     /* Ack requests received, resends included */
    uint64_t last_ack_id;     /* request id of the last Ack (server thread only) */
    uint64_t last_whoami_id;  /* request id of the last Whoami (server thread only) */
} server;

static void send_reply(server *s, zmq_msg_t *route, Vn__Reply *rep)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    rep->version = VN_PROTOCOL_VERSION;
    /* No cmocka assert here: this runs in the server thread. */
    if (vn_frame_reply_encode(rep, VN_FRAME_MAX_DEFAULT, &buf, &len) != VN_OK) abort();
    zmq_msg_t r;
    zmq_msg_init(&r);
    zmq_msg_copy(&r, route);
    zmq_msg_send(&r, s->router, ZMQ_SNDMORE);
    zmq_send(s->router, buf, len, 0);
    free(buf);
}

static void reply_error(server *s, zmq_msg_t *route, uint64_t id, int code, const char *msg,
                        uint64_t retry)
{
    Vn__Reply rep = VN__REPLY__INIT;
    Vn__Error e = VN__ERROR__INIT;
    e.code = code;
    e.message = (char *)msg;
    e.retry_after_ms = retry;
    rep.request_id = id;
    rep.body_case = VN__REPLY__BODY_ERROR;
    rep.error = &e;
    send_reply(s, route, &rep);
}

static void handle(server *s, zmq_msg_t *route, const uint8_t *buf, size_t len)
{
    Vn__Request *req = NULL;
    Vn__Reply rep = VN__REPLY__INIT;
    if (vn_frame_request_decode(buf, len, VN_FRAME_MAX_DEFAULT, &req) != VN_OK) {
        reply_error(s, route, req ? req->request_id : 0, VN_EPROTO, "malformed frame", 0);
        vn_frame_request_free(req);
        return;
    }
    rep.request_id = req->request_id;
    switch (req->body_case) {
    case VN__REQUEST__BODY_WHOAMI: {
        /* First a push, then a stale answer to an earlier call, then the
         * answer. A resend of the same request (the client resends while a
         * loaded machine is slow to answer) gets no second push, as the real
         * server de-duplicates: the test counts pushes. */
        if (req->request_id != s->last_whoami_id) {
            Vn__Envelopes env = VN__ENVELOPES__INIT;
            Vn__Reply push = VN__REPLY__INIT;
            push.request_id = 0;
            push.body_case = VN__REPLY__BODY_ENVELOPES;
            push.envelopes = &env;
            env.more = true;
            send_reply(s, route, &push);
            s->last_whoami_id = req->request_id;
        }
        Vn__Identity stale_id = VN__IDENTITY__INIT;
        Vn__Reply stale = VN__REPLY__INIT;
        stale.request_id = req->request_id - 1;
        stale.body_case = VN__REPLY__BODY_IDENTITY;
        stale.identity = &stale_id;
        stale_id.role = (char *)"stale";
        send_reply(s, route, &stale);
        Vn__Identity id = VN__IDENTITY__INIT;
        id.role = (char *)"buddy";
        id.account = (char *)"0123456789abcdef0123456789abcdef";
        rep.body_case = VN__REPLY__BODY_IDENTITY;
        rep.identity = &id;
        send_reply(s, route, &rep);
        break;
    }
    case VN__REQUEST__BODY_SEND:
        reply_error(s, route, req->request_id, VN_ERATE, "rate limit: slow down", 1234);
        break;
    case VN__REQUEST__BODY_SUBSCRIBE:
        reply_error(s, route, req->request_id, 5, "a code that is not ours", 0);
        break;
    case VN__REQUEST__BODY_ACK: {
        /* The first copy of each request is "lost": only a resend is answered. */
        int seen = atomic_fetch_add(&s->acks_seen, 1) + 1;
        if (req->request_id != s->last_ack_id) {
            s->last_ack_id = req->request_id;
            break;
        }
        Vn__Acked acked = VN__ACKED__INIT;
        acked.count = (uint32_t)seen;
        rep.body_case = VN__REPLY__BODY_ACKED;
        rep.acked = &acked;
        send_reply(s, route, &rep);
        break;
    }
    default: /* Fetch and the rest: never answered */
        break;
    }
    vn_frame_request_free(req);
}

static void *serve(void *arg)
{
    server *s = arg;
    while (!atomic_load(&s->stop)) {
        zmq_pollitem_t it = {s->router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 20) <= 0) continue;
        zmq_msg_t route, body;
        zmq_msg_init(&route);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&route, s->router, 0) >= 0 && zmq_msg_more(&route) &&
            zmq_msg_recv(&body, s->router, 0) >= 0)
            handle(s, &route, zmq_msg_data(&body), zmq_msg_size(&body));
        zmq_msg_close(&body);
        zmq_msg_close(&route);
    }
    return NULL;
}

static int setup(void **state)
{
    server *s = calloc(1, sizeof *s);
    int one = 1, zero = 0;
    size_t eplen = sizeof s->endpoint;
    assert_non_null(s);
    assert_int_equal(vn_conn_curve_keypair(s->pub, s->sec), VN_OK);
    s->ctx = zmq_ctx_new();
    s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
    assert_int_equal(zmq_setsockopt(s->router, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, s->sec, 32), 0);
    assert_int_equal(zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_bind(s->router, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &eplen), 0);
    atomic_init(&s->stop, false);
    atomic_init(&s->acks_seen, 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    server *s = *state;
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    zmq_close(s->router);
    zmq_ctx_term(s->ctx);
    free(s);
    return 0;
}

static vn_conn *connect_to(server *s)
{
    uint8_t pub[32], sec[32];
    vn_conn *c = NULL;
    assert_int_equal(vn_conn_curve_keypair(pub, sec), VN_OK);
    assert_int_equal(vn_conn_open(&c, s->endpoint, s->pub, pub, sec), VN_OK);
    /* Generous for loaded CI machines; each test needs only a few round trips. */
    vn_conn_set_timeout(c, 10000, 100);
    return c;
}

static void test_keypair(void **state)
{
    uint8_t pub1[32], sec1[32], pub2[32], sec2[32];
    assert_int_equal(vn_conn_curve_keypair(pub1, sec1), VN_OK);
    assert_int_equal(vn_conn_curve_keypair(pub2, sec2), VN_OK);
    assert_memory_not_equal(pub1, pub2, 32);
    assert_memory_not_equal(sec1, sec2, 32);
    assert_memory_not_equal(pub1, sec1, 32);
}

static void test_call_skips_stale_and_queues_push(void **state)
{
    server *s = *state;
    vn_conn *c = connect_to(s);
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    Vn__Reply *rep = NULL;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(vn_conn_call(c, &req, &rep), VN_OK);
        assert_non_null(rep);
        assert_int_equal(req.version, VN_PROTOCOL_VERSION);
        assert_true(req.request_id != 0); /* 0 marks pushes */
        assert_int_equal(rep->request_id, req.request_id);
        assert_int_equal(rep->body_case, VN__REPLY__BODY_IDENTITY);
        assert_string_equal(rep->identity->role, "buddy"); /* not the stale one */
        vn_frame_reply_free(rep);
    }
    assert_string_equal(vn_conn_error(c, NULL), "");
    /* Each call brought one push; they wait in order. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vn_conn_next_push(c, 0, &rep), VN_OK);
        assert_int_equal(rep->request_id, 0);
        assert_int_equal(rep->body_case, VN__REPLY__BODY_ENVELOPES);
        vn_frame_reply_free(rep);
    }
    assert_int_equal(vn_conn_next_push(c, 50, &rep), VN_ETIMEOUT);
    vn_conn_close(&c);
    assert_null(c);
    vn_conn_close(&c);
}

static void test_error_replies(void **state)
{
    server *s = *state;
    vn_conn *c = connect_to(s);
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Send send = VN__SEND__INIT;
    Vn__Reply *rep = (Vn__Reply *)&req;
    uint64_t retry = 0;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &send;
    assert_int_equal(vn_conn_call(c, &req, &rep), VN_ERATE);
    assert_null(rep);
    assert_string_equal(vn_conn_error(c, &retry), "rate limit: slow down");
    assert_int_equal(retry, 1234);

    /* A code that is not ours is a protocol error, never passed on as is. */
    Vn__Subscribe sub = VN__SUBSCRIBE__INIT;
    req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
    req.subscribe = &sub;
    assert_int_equal(vn_conn_call(c, &req, &rep), VN_EPROTO);
    assert_null(rep);
    assert_string_equal(vn_conn_error(c, &retry), "a code that is not ours");
    assert_int_equal(retry, 0); /* reset for every call */
    vn_conn_close(&c);
}

static void test_resend_and_timeout(void **state)
{
    server *s = *state;
    vn_conn *c = connect_to(s);
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Ack ack = VN__ACK__INIT;
    Vn__Reply *rep = NULL;
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &ack;
    /* The first copy is dropped; the resend (same id) is answered. */
    assert_int_equal(vn_conn_call(c, &req, &rep), VN_OK);
    assert_int_equal(rep->body_case, VN__REPLY__BODY_ACKED);
    assert_true(rep->acked->count >= 2);
    vn_frame_reply_free(rep);

    /* Nobody answers a Fetch: the call ends at its timeout. */
    Vn__Fetch fetch = VN__FETCH__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH;
    req.fetch = &fetch;
    vn_conn_set_timeout(c, 300, 100);
    assert_int_equal(vn_conn_call(c, &req, &rep), VN_ETIMEOUT);
    assert_null(rep);
    vn_conn_close(&c);
}

static void test_raw(void **state)
{
    server *s = *state;
    vn_conn *c = connect_to(s);
    Vn__Reply *rep = NULL;
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(vn_conn_raw(c, garbage, sizeof garbage, 10000, &rep), VN_EPROTO);
    assert_non_null(rep); /* the raw reply is handed over, error or not */
    assert_int_equal(rep->body_case, VN__REPLY__BODY_ERROR);
    assert_string_equal(vn_conn_error(c, NULL), "malformed frame");
    vn_frame_reply_free(rep);
    vn_conn_close(&c);
}

/* Waits on the connection's descriptors, as a poll(2) loop does, until
 * vn_conn_ready() says yes; false after limit_ms. */
static bool wait_ready(vn_conn *c, int limit_ms)
{
    for (int waited = 0; waited < limit_ms; waited += 50) {
        if (vn_conn_ready(c)) return true;
        struct pollfd p[2];
        int fds[2];
        size_t n = vn_conn_fds(c, fds);
        assert_true(n >= 1 && n <= 2);
        for (size_t i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        poll(p, n, 50);
    }
    return vn_conn_ready(c);
}

/* A poll(2) loop learns of frames that come outside a call: the whoami
 * sent raw takes the first frame (the push), and the two frames after it
 * (a stale answer, the answer) arrive unasked; once they are taken,
 * nothing is ready any more. */
static void test_ready_for_poll(void **state)
{
    server *s = *state;
    vn_conn *c = connect_to(s);
    Vn__Reply *rep = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 77;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    assert_int_equal(vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &buf, &len), VN_OK);
    assert_int_equal(vn_conn_raw(c, buf, len, 10000, &rep), VN_OK);
    free(buf);
    assert_int_equal(rep->request_id, 0); /* the push came first */
    vn_frame_reply_free(rep);
    assert_true(wait_ready(c, 5000));
    /* The two answers are no pushes: next_push drops them. */
    for (int i = 0; i < 20 && vn_conn_ready(c); i++)
        assert_int_equal(vn_conn_next_push(c, 0, &rep), VN_ETIMEOUT);
    assert_false(vn_conn_ready(c));
    assert_false(wait_ready(c, 200));
    vn_conn_close(&c);
}

static void test_no_server(void **state)
{
    uint8_t key[32], pub[32], sec[32];
    vn_conn *c = NULL;
    Vn__Reply *rep = NULL;
    assert_int_equal(vn_conn_curve_keypair(key, sec), VN_OK);
    assert_int_equal(vn_conn_curve_keypair(pub, sec), VN_OK);
    /* A malformed endpoint fails at once. */
    assert_int_equal(vn_conn_open(&c, "not an endpoint", key, pub, sec), VN_ETRANSPORT);
    assert_null(c);
    /* Nobody listening: connecting is lazy, the call times out. */
    assert_int_equal(vn_conn_open(&c, "tcp://127.0.0.1:1", key, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 200, 50);
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    assert_int_equal(vn_conn_call(c, &req, &rep), VN_ETIMEOUT);
    assert_null(rep);
    assert_int_equal(vn_conn_next_push(c, 20, &rep), VN_ETIMEOUT);
    vn_conn_close(&c);
}

/* ---- several endpoints ---------------------------------------------- */

static Vn__Reply *whoami(vn_conn *c, vn_err want)
{
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    Vn__Reply *rep = NULL;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    assert_int_equal(vn_conn_call(c, &req, &rep), want);
    return rep;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A dead endpoint, a server under another key and the right one: the call
 * goes through at the third, which the next call starts at. */
static void test_failover(void **state)
{
    server *s = *state, *other = NULL;
    void *o = NULL;
    assert_int_equal(setup(&o), 0);
    other = o;
    uint8_t pub[32], sec[32];
    vn_conn *c = NULL;
    vn_endpoints eps = {.n = 3};
    strcpy(eps.ep[0], "tcp://127.0.0.1:1");
    strcpy(eps.ep[1], other->endpoint);
    strcpy(eps.ep[2], s->endpoint);
    assert_int_equal(vn_conn_curve_keypair(pub, sec), VN_OK);
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 10000, 100);
    assert_null(vn_conn_endpoint(c));
    Vn__Reply *rep = whoami(c, VN_OK);
    assert_string_equal(rep->identity->role, "buddy");
    vn_frame_reply_free(rep);
    assert_string_equal(vn_conn_endpoint(c), s->endpoint);
    /* Pushes from the right server were queued on the way. */
    assert_int_equal(vn_conn_next_push(c, 1000, &rep), VN_OK);
    vn_frame_reply_free(rep);
    rep = whoami(c, VN_OK);
    vn_frame_reply_free(rep);
    assert_string_equal(vn_conn_endpoint(c), s->endpoint); /* it stayed there */
    vn_conn_close(&c);

    /* Only a server under another key: refused at once, naming it. */
    eps.n = 1;
    strcpy(eps.ep[0], other->endpoint);
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 8000, 100);
    int64_t t0 = now_ms();
    assert_null(whoami(c, VN_ETRANSPORT));
    assert_true(now_ms() - t0 < 5000);
    const char *msg = vn_conn_error(c, NULL);
    assert_non_null(strstr(msg, other->endpoint));
    assert_non_null(strstr(msg, "another key"));
    assert_null(vn_conn_endpoint(c));
    vn_conn_close(&c);

    /* Another key and nothing at all: the call times out, saying both. */
    eps.n = 2;
    strcpy(eps.ep[1], "tcp://127.0.0.1:1");
    assert_int_equal(vn_conn_open_list(&c, &eps, 1, s->pub, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 1500, 100);
    assert_null(whoami(c, VN_ETIMEOUT));
    msg = vn_conn_error(c, NULL);
    assert_non_null(strstr(msg, other->endpoint));
    assert_non_null(strstr(msg, "tcp://127.0.0.1:1: nothing answers"));
    vn_conn_close(&c);
    teardown(&o);
}

/* A server that completes the handshake but never answers: after the
 * failover time the next endpoint is tried. */
static void test_failover_silent(void **state)
{
    server *s = *state;
    int one = 1, zero = 0;
    char ep[64];
    size_t eplen = sizeof ep;
    void *ctx = zmq_ctx_new(), *mute = zmq_socket(ctx, ZMQ_ROUTER);
    assert_int_equal(zmq_setsockopt(mute, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(mute, ZMQ_CURVE_SECRETKEY, s->sec, 32), 0);
    assert_int_equal(zmq_setsockopt(mute, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_bind(mute, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(mute, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);
    uint8_t pub[32], sec[32];
    vn_conn *c = NULL;
    vn_endpoints eps = {.n = 2};
    strcpy(eps.ep[0], ep);
    strcpy(eps.ep[1], s->endpoint);
    assert_int_equal(vn_conn_curve_keypair(pub, sec), VN_OK);
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 10000, 100);
    vn_conn_set_failover(c, 400);
    Vn__Reply *rep = whoami(c, VN_OK);
    vn_frame_reply_free(rep);
    assert_string_equal(vn_conn_endpoint(c), s->endpoint);
    vn_conn_close(&c);
    /* Calls shorter than the failover time (a daemon's): their silence adds
     * up, so the second call moves on. */
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_OK);
    vn_conn_set_timeout(c, 2500, 100);
    vn_conn_set_failover(c, 3000);
    assert_null(whoami(c, VN_ETIMEOUT));
    assert_non_null(strstr(vn_conn_error(c, NULL), "no answer in time"));
    vn_conn_set_timeout(c, 10000, 100);
    int64_t t0 = now_ms();
    rep = whoami(c, VN_OK);
    vn_frame_reply_free(rep);
    assert_true(now_ms() - t0 < 2500); /* not a fresh 3 s of silence */
    assert_string_equal(vn_conn_endpoint(c), s->endpoint);
    vn_conn_close(&c);
    /* A list of none, or of too many, is refused. */
    eps.n = 0;
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_EINVAL);
    eps.n = VN_INVITE_ENDPOINTS_MAX + 1;
    assert_int_equal(vn_conn_open_list(&c, &eps, 0, s->pub, pub, sec), VN_EINVAL);
    assert_null(c);
    zmq_close(mute);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keypair),
        cmocka_unit_test_setup_teardown(test_call_skips_stale_and_queues_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resend_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_for_poll, setup, teardown),
        cmocka_unit_test(test_no_server),
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_silent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
