/* bench_floor's server (floor.h): a forked process with vangnetd's socket
 * options, a ZAP handler that admits every key, and a zmq_poll loop that
 * answers each frame at once. What it does and does not do is in floor.c's
 * head comment. */
#define _GNU_SOURCE
#include "floor.h"

static volatile sig_atomic_t srv_stop, srv_stats;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        srv_stats = 1;
    else
        srv_stop = 1;
}

typedef struct floor_server {
    const frame_sizes *fs;
    void *router, *zap;
    uint8_t (*routes)[ROUTE_MAX];
    size_t *route_len, nroutes;
    uint8_t *out;         /* the frame being answered */
    unsigned long errors; /* malformed or unroutable frames */
    int64_t conn_at;      /* last handshake or whoami not yet followed by a trim, or 0 */
} floor_server;

/* Admits every CURVE client, its key as User-Id, as vangnetd's ZAP
 * handler does for an unregistered key (which it also looks up). */
static void zap_answer(floor_server *s)
{
    zmq_msg_t parts[7];
    int n = 0, more = 1;
    while (more && n < 7) {
        zmq_msg_init(&parts[n]);
        if (zmq_msg_recv(&parts[n], s->zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&parts[n]);
            if (n == 0) return;
            break;
        }
        more = zmq_msg_more(&parts[n++]);
    }
    char user[65] = "";
    bool curve = n == 7 && zmq_msg_size(&parts[5]) == 5 &&
                 memcmp(zmq_msg_data(&parts[5]), "CURVE", 5) == 0 && zmq_msg_size(&parts[6]) == 32;
    if (curve) sodium_bin2hex(user, sizeof user, zmq_msg_data(&parts[6]), 32);
    if (n >= 2) {
        zmq_send(s->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(s->zap, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), ZMQ_SNDMORE);
        zmq_send(s->zap, curve ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(s->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(s->zap, user, strlen(user), ZMQ_SNDMORE);
        zmq_send(s->zap, "", 0, 0);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    s->conn_at = bench_now_ns();
}

static void srv_send(floor_server *s, const void *rid, size_t rid_len, size_t len)
{
    if (zmq_send(s->router, rid, rid_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(s->router, s->out, len, 0) < 0)
        s->errors++;
}

/* One request from the connection rid: answers it, and a send is pushed. */
static void srv_handle(floor_server *s, const uint8_t *rid, size_t rl, const uint8_t *f, size_t len)
{
    const frame_sizes *fs = s->fs;
    uint32_t idx = len >= 5 ? get32(f + 1) : UINT32_MAX;
    memset(s->out, 0, fs->push > fs->acked[ACK_MAX] ? fs->push : fs->acked[ACK_MAX]);
    if (f[0] == 'S' && len == fs->send && idx < s->nroutes && s->route_len[idx]) {
        s->out[0] = 'R';
        memcpy(s->out + ID_OFF, f + 5, 16);
        srv_send(s, rid, rl, fs->sent);
        s->out[0] = 'P';
        memcpy(s->out + ID_OFF, f + 5, 16 + fs->padded);
        srv_send(s, s->routes[idx], s->route_len[idx], fs->push);
    } else if (f[0] == 'A' && idx >= 1 && idx <= ACK_MAX && len == fs->ack[idx]) {
        s->out[0] = 'K';
        put32(s->out + 1, idx);
        srv_send(s, rid, rl, fs->acked[idx]);
    } else if (f[0] == 'H' && len == fs->hello && idx < s->nroutes && rl <= ROUTE_MAX) {
        memcpy(s->routes[idx], rid, rl);
        s->route_len[idx] = rl;
        s->out[0] = 'h';
        srv_send(s, rid, rl, fs->hello_reply);
    } else if (f[0] == 'W' && len == fs->whoami) {
        s->out[0] = 'w';
        s->conn_at = bench_now_ns();
        srv_send(s, rid, rl, IDLE_REPLY);
    } else {
        s->errors++;
    }
}

/* Reads what waits on the ROUTER: routing id, then the one frame. */
static void srv_drain(floor_server *s)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    while (zmq_msg_recv(&rid, s->router, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&rid) || zmq_msg_recv(&body, s->router, 0) < 0) {
            s->errors++;
            continue;
        }
        if (zmq_msg_more(&body) || zmq_msg_size(&body) == 0) {
            s->errors++;
            while (zmq_msg_more(&body) && zmq_msg_recv(&body, s->router, 0) >= 0) {
            }
            continue;
        }
        srv_handle(s, zmq_msg_data(&rid), zmq_msg_size(&rid), zmq_msg_data(&body),
                   zmq_msg_size(&body));
    }
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

/* The ZAP handler, unless --no-zap. (The batch sizes of libzmq's
 * engine, ZMQ_IN_BATCH_SIZE and ZMQ_OUT_BATCH_SIZE, would be the next
 * lever, but they are draft options, and Debian's libzmq is built without
 * the draft API: zmq_has("draft") is 0 and setting them fails, EINVAL.) */
static int srv_zap(floor_server *s, void *ctx, const opts *o)
{
    int one = 1, zero = 0;
    if (o->no_zap) return 0;
    s->zap = zmq_socket(ctx, ZMQ_REP);
    if (!s->zap || zmq_setsockopt(s->zap, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_bind(s->zap, "inproc://zeromq.zap.01"))
        return -1;
    return zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, "vangnet", 7) ||
           zmq_setsockopt(s->router, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one);
}

static int srv_sockets(floor_server *s, void *ctx, const opts *o, const uint8_t secret[32],
                       char *ep, size_t eplen)
{
    int one = 1, zero = 0, queue = 10000, sndbuf = 262144, backlog = 4096;
    int64_t maxmsg = (int64_t)VN_FRAME_MAX_DEFAULT * 4;
    s->router = zmq_socket(ctx, ZMQ_ROUTER);
    if (!s->router || srv_zap(s, ctx, o) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, secret, 32) ||
        zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) ||
        zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) ||
        zmq_setsockopt(s->router, ZMQ_SNDHWM, &queue, sizeof queue) ||
        zmq_setsockopt(s->router, ZMQ_SNDBUF, &sndbuf, sizeof sndbuf) ||
        zmq_setsockopt(s->router, ZMQ_RCVHWM, &queue, sizeof queue) ||
        zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(s->router, ZMQ_BACKLOG, &backlog, sizeof backlog) ||
        zmq_bind(s->router, "tcp://127.0.0.1:*"))
        return -1;
    return zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, ep, &eplen);
}

/* The server process: writes its endpoint on ready_fd, serves until
 * SIGTERM; exits 1 if any frame was malformed or unroutable. */
static void serve(const frame_sizes *fs, const opts *o, size_t nroutes, const uint8_t secret[32],
                  int ready_fd)
{
    floor_server s = {.fs = fs, .nroutes = nroutes};
    char ep[256] = "";
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int io_threads = cores > 2 ? (int)(cores - 1 < 8 ? cores - 1 : 8) : 1; /* as vangnetd */
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* ZeroMQ's threads inherit the mask: the signals interrupt this
     * thread's poll, not theirs. */
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    void *ctx = zmq_ctx_new();
    s.routes = calloc(nroutes ? nroutes : 1, sizeof *s.routes);
    s.route_len = calloc(nroutes ? nroutes : 1, sizeof *s.route_len);
    s.out = calloc(1, FRAME_MAX);
    if (!ctx || !s.routes || !s.route_len || !s.out) _exit(2);
    zmq_ctx_set(ctx, ZMQ_IO_THREADS, io_threads);
    if (srv_sockets(&s, ctx, o, secret, ep, sizeof ep)) {
        fprintf(stderr, "bench_floor server: %s\n", zmq_strerror(errno));
        _exit(2);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (write(ready_fd, ep, sizeof ep) != (ssize_t)sizeof ep) _exit(2);
    close(ready_fd);
    zmq_pollitem_t it[2] = {{s.router, 0, ZMQ_POLLIN, 0}, {s.zap, 0, ZMQ_POLLIN, 0}};
    while (!srv_stop) {
        int rc = zmq_poll(it, s.zap ? 2 : 1, s.conn_at ? 100 : 1000);
        if (rc < 0 && errno != EINTR) break;
        if (rc > 0 && (it[1].revents & ZMQ_POLLIN)) zap_answer(&s);
        if (rc > 0 && (it[0].revents & ZMQ_POLLIN)) srv_drain(&s);
        if (s.conn_at && bench_now_ns() - s.conn_at > (int64_t)TRIM_DELAY_MS * 1000000) {
            malloc_trim(0); /* as vangnetd after connections came */
            s.conn_at = 0;
        }
        if (srv_stats) {
            srv_stats = 0;
            malloc_stats();
            malloc_info(0, stderr);
        }
    }
    zmq_close(s.router);
    if (s.zap) zmq_close(s.zap);
    zmq_ctx_term(ctx);
    if (s.errors) fprintf(stderr, "bench_floor server: %lu bad frames\n", s.errors);
    free(s.routes);
    free(s.route_len);
    free(s.out);
    _exit(s.errors ? 1 : 0);
}

int floor_server_start(floor_bench *b, size_t nroutes)
{
    int p[2];
    if (pipe(p)) return -1;
    fflush(NULL);
    b->server = fork();
    if (b->server < 0) return -1;
    if (b->server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(p[0]);
        serve(&b->fs, &b->o, nroutes, b->server_sec, p[1]);
    }
    close(p[1]);
    ssize_t n = read(p[0], b->endpoint, sizeof b->endpoint);
    close(p[0]);
    b->endpoint[sizeof b->endpoint - 1] = 0;
    return n == (ssize_t)sizeof b->endpoint ? 0 : -1;
}

int floor_server_stop(floor_bench *b)
{
    int status = 0;
    if (b->server <= 0) return 0;
    kill(b->server, SIGTERM);
    while (waitpid(b->server, &status, 0) < 0 && errno == EINTR) {
    }
    b->server = 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
