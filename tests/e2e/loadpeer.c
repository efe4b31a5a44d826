/* vn_loadpeer: opens many raw CURVE DEALER connections to vangnetd, each
 * with a fresh (unregistered) key, to load the server the way a careless
 * or hostile client would. Unregistered keys get error replies, which is
 * all the load needs.
 *
 *   vn_loadpeer ENDPOINT SERVER_PUB_FILE flood CONNS REQUESTS SECONDS
 *     every connection sends up to REQUESTS small requests and never
 *     reads a reply; the connections stay open SECONDS (or until SIGTERM),
 *     then close. Prints "sent N".
 *   vn_loadpeer ENDPOINT SERVER_PUB_FILE many CONNS SECONDS
 *     every connection sends one request and waits up to SECONDS for a
 *     reply or for the server to refuse the handshake. Prints
 *     "served S refused R silent Q".
 *   vn_loadpeer ENDPOINT SERVER_PUB_FILE hold CONNS SECONDS
 *     keeps CONNS connections admitted (a refused one is replaced), prints
 *     "held CONNS" once all are, and closes them after SECONDS. */
#include "serverpub.h"
#include "vn/frame.h"
#include <stdint.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

#define CONNS_MAX 4000

/* Set by SIGTERM: a flood ends early and still reports what it sent. */
static volatile sig_atomic_t stop;
static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A DEALER with a fresh key. A small receive side (one message, a 4 KiB
 * kernel buffer) makes a client that does not read push back at once. */
static void *dealer(void *ctx, const char *ep, const uint8_t server[32], int hwm, int rcvbuf)
{
    char zpub[41], zsec[41];
    int zero = 0;
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (!s || zmq_curve_keypair(zpub, zsec) != 0) return NULL;
    if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32) ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, zpub, 40) ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, zsec, 40) ||
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        (rcvbuf && zmq_setsockopt(s, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf)) ||
        zmq_connect(s, ep) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* One whoami request: for an unregistered key the reply is an error. */
static int whoami_frame(uint8_t **frame, size_t *len)
{
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 5;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    return vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, frame, len) ? -1 : 0;
}

static int flood(void *ctx, const char *ep, const uint8_t server[32], int n, int reqs, int secs)
{
    void **socks = calloc((size_t)n, sizeof *socks);
    uint8_t *frame = NULL;
    size_t len = 0;
    long long sent = 0, deadline = mono_ms() + secs * 1000LL;
    int *left = calloc((size_t)n, sizeof *left);
    if (!socks || !left) return 2;
    /* A small request with a reply (an error: the key is unregistered)
     * many times over: what fills a send queue fastest. */
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 9;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    if (vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len)) return 2;
    for (int i = 0; i < n; i++) {
        if (!(socks[i] = dealer(ctx, ep, server, 1, 4096))) return 2;
        left[i] = reqs;
    }
    signal(SIGTERM, on_term);
    while (!stop && mono_ms() < deadline) {
        int busy = 0;
        for (int i = 0; i < n; i++) {
            if (!left[i]) continue;
            if (zmq_send(socks[i], frame, len, ZMQ_DONTWAIT) >= 0) {
                left[i]--;
                sent++;
                busy = 1;
            }
        }
        /* Every queue full: wait a little (20 ms: a flood of slow readers,
         * not a CPU flood, which the rate limits are for). */
        if (!busy) zmq_poll(NULL, 0, 20);
    }
    printf("sent %lld\n", sent);
    for (int i = 0; i < n; i++)
        zmq_close(socks[i]);
    free(left);
    free(frame);
    free(socks);
    return 0;
}

/* Counts, per connection, a reply or a refused handshake
 * (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH on the connection's own monitor). */
static int many(void *ctx, const char *ep, const uint8_t server[32], int n, int secs)
{
    void **socks = calloc((size_t)n, sizeof *socks), **mons = calloc((size_t)n, sizeof *mons);
    zmq_pollitem_t *items = calloc((size_t)n * 2, sizeof *items);
    char *state = calloc((size_t)n, 1); /* 0 waiting, 1 served, 2 refused */
    uint8_t *frame = NULL;
    size_t len = 0;
    int served = 0, refused = 0;
    if (!socks || !mons || !items || !state) return 2;
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Whoami who = VN__WHOAMI__INIT;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 7;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &who;
    if (vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &frame, &len)) return 2;
    for (int i = 0; i < n; i++) {
        char mep[64];
        snprintf(mep, sizeof mep, "inproc://mon-%d", i);
        if (!(socks[i] = dealer(ctx, ep, server, 1000, 0))) return 2;
        if (zmq_socket_monitor(socks[i], mep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) return 2;
        mons[i] = zmq_socket(ctx, ZMQ_PAIR);
        if (!mons[i] || zmq_connect(mons[i], mep) != 0) return 2;
        zmq_send(socks[i], frame, len, ZMQ_DONTWAIT);
    }
    long long deadline = mono_ms() + secs * 1000LL;
    while (served + refused < n && mono_ms() < deadline) {
        for (int i = 0; i < n; i++) {
            /* A finished item polls fd -1, nothing (fd 0 would be stdin). */
            items[2 * i] = (zmq_pollitem_t){state[i] ? NULL : socks[i], -1, ZMQ_POLLIN, 0};
            items[2 * i + 1] = (zmq_pollitem_t){state[i] ? NULL : mons[i], -1, ZMQ_POLLIN, 0};
        }
        if (zmq_poll(items, n * 2, 100) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (state[i]) continue;
            int which = items[2 * i].revents & ZMQ_POLLIN       ? 0
                        : items[2 * i + 1].revents & ZMQ_POLLIN ? 1
                                                                : -1;
            if (which < 0) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, which ? mons[i] : socks[i], 0);
            while (zmq_msg_more(&m)) {
                zmq_msg_close(&m);
                zmq_msg_init(&m);
                zmq_msg_recv(&m, which ? mons[i] : socks[i], 0);
            }
            zmq_msg_close(&m);
            state[i] = which ? 2 : 1;
            if (which) {
                refused++;
                /* Stop the DEALER from reconnecting to be refused again. */
                zmq_disconnect(socks[i], ep);
            } else {
                served++;
            }
        }
    }
    printf("served %d refused %d silent %d\n", served, refused, n - served - refused);
    for (int i = 0; i < n; i++) {
        zmq_close(mons[i]);
        zmq_close(socks[i]);
    }
    free(frame);
    free(state);
    free(items);
    free(mons);
    free(socks);
    return 0;
}

/* Opens connection i of hold (a DEALER and its monitor) and sends frame. */
static int hold_open(void *ctx, const char *ep, const uint8_t server[32], int i, void **sock,
                     void **mon, const uint8_t *frame, size_t len)
{
    char mep[64];
    static unsigned gen; /* a refused connection's monitor name is not reused */
    snprintf(mep, sizeof mep, "inproc://hold-%d-%u", i, gen++);
    if (!(*sock = dealer(ctx, ep, server, 1000, 0))) return -1;
    if (zmq_socket_monitor(*sock, mep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) return -1;
    *mon = zmq_socket(ctx, ZMQ_PAIR);
    if (!*mon || zmq_connect(*mon, mep) != 0) return -1;
    return zmq_send(*sock, frame, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Keeps n connections admitted: a refused one (the server may still count
 * connections that are closing) is replaced until all n have been
 * answered. Prints "held N" then, and keeps them open until secs. */
static int hold(void *ctx, const char *ep, const uint8_t server[32], int n, int secs)
{
    void **socks = calloc((size_t)n, sizeof *socks), **mons = calloc((size_t)n, sizeof *mons);
    zmq_pollitem_t *items = calloc((size_t)n * 2, sizeof *items);
    char *held = calloc((size_t)n, 1);
    uint8_t *frame = NULL;
    size_t len = 0;
    int nheld = 0;
    if (!socks || !mons || !items || !held || whoami_frame(&frame, &len)) return 2;
    for (int i = 0; i < n; i++)
        if (hold_open(ctx, ep, server, i, &socks[i], &mons[i], frame, len)) return 2;
    long long deadline = mono_ms() + secs * 1000LL;
    while (mono_ms() < deadline) {
        for (int i = 0; i < n; i++) {
            items[2 * i] = (zmq_pollitem_t){held[i] ? NULL : socks[i], -1, ZMQ_POLLIN, 0};
            items[2 * i + 1] = (zmq_pollitem_t){held[i] ? NULL : mons[i], -1, ZMQ_POLLIN, 0};
        }
        if (zmq_poll(items, n * 2, 100) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (held[i]) continue;
            if (items[2 * i].revents & ZMQ_POLLIN) {
                /* Only a reply that is really there counts. */
                zmq_msg_t m;
                zmq_msg_init(&m);
                int got = zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT);
                zmq_msg_close(&m);
                if (got < 0) continue;
                held[i] = 1;
                if (++nheld == n) {
                    printf("held %d\n", n);
                    fflush(stdout);
                }
            } else if (items[2 * i + 1].revents & ZMQ_POLLIN) {
                zmq_close(mons[i]);
                zmq_close(socks[i]);
                zmq_poll(NULL, 0, 50);
                if (hold_open(ctx, ep, server, i, &socks[i], &mons[i], frame, len)) return 2;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        zmq_close(mons[i]);
        zmq_close(socks[i]);
    }
    free(frame);
    free(held);
    free(items);
    free(mons);
    free(socks);
    return 0;
}

/* A whole number in 1..max, or -1. */
static int num(const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || *end || end == s || v < 1 || v > max ? -1 : (int)v;
}

int main(int argc, char **argv)
{
    uint8_t server[32];
    struct rlimit rl;
    if (argc < 6 || serverpub_read(argv[2], server) != 0) {
        fprintf(stderr, "usage: vn_loadpeer ENDPOINT SERVER_PUB_FILE flood|many CONNS ...\n");
        return 2;
    }
    int n = num(argv[4], CONNS_MAX);
    if (n < 0) return 2;
    /* This process holds several descriptors per connection. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 3 * CONNS_MAX);
    int rc = 2;
    if (strcmp(argv[3], "flood") == 0 && argc == 7)
        rc = flood(ctx, argv[1], server, n, num(argv[5], 1000000), num(argv[6], 3600));
    else if (strcmp(argv[3], "hold") == 0 && argc == 6)
        rc = hold(ctx, argv[1], server, n, num(argv[5], 3600));
    else if (strcmp(argv[3], "many") == 0 && argc == 6)
        rc = many(ctx, argv[1], server, n, num(argv[5], 3600));
    else
        fprintf(stderr, "vn_loadpeer: bad arguments\n");
    zmq_ctx_term(ctx);
    return rc;
}
