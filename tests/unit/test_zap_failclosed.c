/* The transport fails closed: a CURVE ROUTER that enforces its ZAP domain
 * accepts no connection while no ZAP handler is bound (libzmq would accept
 * every key otherwise), and does once one answers. This is the libzmq
 * behaviour vangnetd's server.c relies on; the test pins it down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

/* A ROUTER configured as vangnetd configures its own; *ep gets its endpoint. */
static void *router(void *ctx, const char *sec, char *ep, size_t eplen)
{
    int one = 1;
    void *r = zmq_socket(ctx, ZMQ_ROUTER);
    assert_non_null(r);
    assert_int_equal(zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
    assert_int_equal(zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, sec, 40), 0);
    assert_int_equal(zmq_setsockopt(r, ZMQ_ZAP_DOMAIN, "vangnet", 7), 0);
    assert_int_equal(zmq_setsockopt(r, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one), 0);
    assert_int_equal(zmq_bind(r, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);
    return r;
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

/* Answers ZAP requests with 200 for up to ms milliseconds while waiting
 * for a message on r; returns whether one arrived. */
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

static void test_no_handler_no_connection(void **state)
{
    char pub[41], sec[41], ep[128];
    void *ctx = zmq_ctx_new();
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    void *r = router(ctx, sec, ep, sizeof ep);
    void *d = dealer(ctx, pub, ep);
    zmq_send(d, "hello", 5, ZMQ_DONTWAIT);
    assert_int_equal(serve(r, NULL, 1500), 0); /* nothing gets through */
    zmq_close(d);
    zmq_close(r);
    zmq_ctx_term(ctx);
}

static void test_handler_lets_through(void **state)
{
    char pub[41], sec[41], ep[128];
    int zero = 0;
    void *ctx = zmq_ctx_new();
    void *zap = zmq_socket(ctx, ZMQ_REP);
    zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(zap, "inproc://zeromq.zap.01"), 0);
    assert_int_equal(zmq_curve_keypair(pub, sec), 0);
    void *r = router(ctx, sec, ep, sizeof ep);
    void *d = dealer(ctx, pub, ep);
    zmq_send(d, "hello", 5, ZMQ_DONTWAIT);
    assert_int_equal(serve(r, zap, 5000), 1); /* the control: same setup, a handler answers */
    zmq_close(d);
    zmq_close(r);
    zmq_close(zap);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_handler_no_connection),
        cmocka_unit_test(test_handler_lets_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
