/* The transport fails closed: vangnetd's own socket set-up
 * (vn_listen_open, server/listen.c) gives a CURVE ROUTER that accepts no
 * connection while no ZAP handler answers (libzmq would accept every key
 * otherwise), and does once one answers; and it makes no ROUTER at all
 * when it cannot bind its ZAP handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#include "listen.h"

/* vangnetd's sockets on a free port; *ep gets the ROUTER's endpoint. */
static void listen_open(void *ctx, const char *sec_z85, void **zap, void **r, char *ep,
                        size_t eplen)
{
    uint8_t secret[32];
    char msg[256] = "";
    assert_non_null(zmq_z85_decode(secret, sec_z85));
    assert_int_equal(
        vn_listen_open(ctx, secret, "tcp://127.0.0.1:*", 65536, zap, r, msg, sizeof msg), VN_OK);
    assert_int_equal(zmq_getsockopt(*r, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);
}

static void *dealer(void *ctx, const char *server_pub, const char *ep)
{
    char pub[41], sec[41];
    int zero = 0;
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    assert_non_null(d);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server_pub, 40);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, 40);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, 40);
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(d, ep), 0);
    return d;
}

/* Answers ZAP requests with 200 (if zap) for up to ms milliseconds while
 * waiting for a message on r; returns whether one arrived. */
static int serve(void *r, void *zap, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        zmq_pollitem_t it[2] = {{r, 0, ZMQ_POLLIN, 0}, {zap, 0, ZMQ_POLLIN, 0}};
        zmq_poll(it, zap ? 2 : 1, 50);
        if (zap && (it[1].revents & ZMQ_POLLIN)) {
            zmq_msg_t parts[7];
            int n = 0, more = 1;
            while (more && n < 7) {
                zmq_msg_init(&parts[n]);
                zmq_msg_recv(&parts[n], zap, 0);
                more = zmq_msg_more(&parts[n]);
                n++;
            }
            zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
            zmq_send(zap, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), ZMQ_SNDMORE);
            zmq_send(zap, "200", 3, ZMQ_SNDMORE);
            zmq_send(zap, "OK", 2, ZMQ_SNDMORE);
            zmq_send(zap, "u", 1, ZMQ_SNDMORE);
            zmq_send(zap, "", 0, 0);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
        }
        if (it[0].revents & ZMQ_POLLIN) return 1;
    }
    return 0;
}

/* The handler socket gone (as if it had never been bound): nothing gets through. */
static void test_no_handler_no_connection(void **state)
{
    char pub[41], sec[41], ep[128];
    void *zap = NULL, *r = NULL;
    void *ctx = zmq_ctx_new();
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    listen_open(ctx, sec, &zap, &r, ep, sizeof ep);
    zmq_close(zap);
    void *d = dealer(ctx, pub, ep);
    zmq_send(d, "hello", 5, ZMQ_DONTWAIT);
    assert_int_equal(serve(r, NULL, 1500), 0);
    zmq_close(d);
    zmq_close(r);
    zmq_ctx_term(ctx);
}

/* One connection attempt against vangnetd's own set-up, with the ZAP
 * handler answering (zap_answers) or bound but silent; returns what
 * serve() saw within ms. */
static int attempt(bool zap_answers, int ms)
{
    char pub[41], sec[41], ep[128];
    void *zap = NULL, *r = NULL;
    void *ctx = zmq_ctx_new();
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    listen_open(ctx, sec, &zap, &r, ep, sizeof ep);
    void *d = dealer(ctx, pub, ep);
    zmq_send(d, "hello", 5, ZMQ_DONTWAIT);
    int got = serve(r, zap_answers ? zap : NULL, ms);
    zmq_close(d);
    zmq_close(r);
    zmq_close(zap);
    zmq_ctx_term(ctx);
    return got;
}

/* A handler bound but silent: nothing gets through either. */
static void test_silent_handler_no_connection(void **state)
{
    assert_int_equal(attempt(false, 1500), 0);
}

/* The control: the same set-up with the handler answering lets it through. */
static void test_handler_lets_through(void **state)
{
    assert_int_equal(attempt(true, 5000), 1);
}

/* When the ZAP endpoint is taken, no ROUTER is made and nothing is left open. */
static void test_no_router_without_handler(void **state)
{
    char pub[41], sec[41], msg[256] = "";
    uint8_t secret[32];
    int zero = 0;
    void *zap = NULL, *r = NULL;
    void *ctx = zmq_ctx_new();
    void *other = zmq_socket(ctx, ZMQ_REP);
    zmq_setsockopt(other, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(other, "inproc://zeromq.zap.01"), 0);
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    assert_non_null(zmq_z85_decode(secret, sec));
    assert_int_equal(
        vn_listen_open(ctx, secret, "tcp://127.0.0.1:*", 65536, &zap, &r, msg, sizeof msg),
        VN_ETRANSPORT);
    assert_null(zap);
    assert_null(r);
    assert_non_null(strstr(msg, "ZAP handler"));
    zmq_close(other);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_handler_no_connection),
        cmocka_unit_test(test_silent_handler_no_connection),
        cmocka_unit_test(test_handler_lets_through),
        cmocka_unit_test(test_no_router_without_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
