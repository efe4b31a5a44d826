/* A request that arrives while the server is busy sending (its periodic
 * sweep pushes notices on the ROUTER) must still be read. ZMQ_FD is
 * edge-triggered: this test shows what libzmq does to the edge when the
 * socket sends before the request is read, and that vn_listen_readable,
 * the check vangnetd makes after every send (drain() in server.c), sees
 * the request either way, so the loop reads it without waiting for another
 * event that may never come. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <zmq.h>

#include "listen.h"

typedef struct pair {
    void *ctx, *router, *dealer;
    int fd; /* the ROUTER's ZMQ_FD */
} pair;

static void pair_open(pair *p)
{
    char ep[64];
    size_t len = sizeof ep;
    size_t fdlen = sizeof p->fd;
    p->ctx = zmq_ctx_new();
    p->router = zmq_socket(p->ctx, ZMQ_ROUTER);
    p->dealer = zmq_socket(p->ctx, ZMQ_DEALER);
    assert_int_equal(zmq_bind(p->router, "tcp://127.0.0.1:*"), 0);
    assert_int_equal(zmq_getsockopt(p->router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    assert_int_equal(zmq_connect(p->dealer, ep), 0);
    assert_int_equal(zmq_getsockopt(p->router, ZMQ_FD, &p->fd, &fdlen), 0);
}

static void pair_close(pair *p)
{
    int zero = 0;
    zmq_setsockopt(p->dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(p->router, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(p->dealer);
    zmq_close(p->router);
    zmq_ctx_term(p->ctx);
}

static bool fd_ready(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    return poll(&pfd, 1, timeout_ms) == 1;
}

/* Waits, as vangnetd's loop does, for the fd to signal and ZMQ_EVENTS to
 * say a message is there. */
static void wait_readable(pair *p)
{
    for (int i = 0; i < 50 && !vn_listen_readable(p->router); i++)
        fd_ready(p->fd, 100);
    assert_true(vn_listen_readable(p->router));
}

static void test_request_during_send(void **state)
{
    pair p;
    char buf[16];
    pair_open(&p);
    /* Nothing yet; asking also resets the edge, as the loop's drain does. */
    assert_false(vn_listen_readable(p.router));
    fd_ready(p.fd, 0);

    /* A first request, read normally: this gives the dealer's routing id. */
    assert_int_equal(zmq_send(p.dealer, "first", 5, 0), 5);
    wait_readable(&p);
    char id[256];
    int idlen = zmq_recv(p.router, id, sizeof id, 0);
    assert_true(idlen > 0);
    assert_int_equal(zmq_recv(p.router, buf, sizeof buf, 0), 5);
    assert_false(vn_listen_readable(p.router));

    /* The second request arrives while the server is not reading... */
    assert_int_equal(zmq_send(p.dealer, "second", 6, 0), 6);
    for (int i = 0; i < 50 && !fd_ready(p.fd, 100); i++) {
    }
    /* ...and the server sends (a sweep's push) before it reads. */
    assert_int_equal(zmq_send(p.router, id, (size_t)idlen, ZMQ_SNDMORE), idlen);
    assert_int_equal(zmq_send(p.router, "push", 4, 0), 4);

    bool edge_left = fd_ready(p.fd, 200);
    printf("after the send the fd %s readable: %s\n", edge_left ? "is still" : "is no longer",
           edge_left ? "this libzmq keeps the edge"
                     : "the send consumed the edge; waiting on the fd would hang");
    /* Either way the request is there, and the server's check finds it. */
    assert_true(vn_listen_readable(p.router));
    assert_true(zmq_recv(p.router, id, sizeof id, 0) > 0);
    assert_int_equal(zmq_recv(p.router, buf, sizeof buf, 0), 6);
    assert_memory_equal(buf, "second", 6);
    assert_false(vn_listen_readable(p.router));
    /* The push reached the client. */
    assert_int_equal(zmq_recv(p.dealer, buf, sizeof buf, 0), 4);
    pair_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_during_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
