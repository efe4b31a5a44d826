#include "relay_idle.h"
#include "proc.h"

#include "vn/conn.h"
#include "vn/frame.h"
#include "vangnet.pb-c.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <zmq.h>

#define OPEN_BATCH     500  /* connections handshaking at once, per process */
#define CONNS_PER_PROC 4000 /* two descriptors each: well inside a limit of 20,000 */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long relay_idle_raise_nofile(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if ((long)rl.rlim_cur >= want) return (long)rl.rlim_cur;
    struct rlimit up = {(rlim_t)want, rl.rlim_max > (rlim_t)want ? rl.rlim_max : (rlim_t)want};
    if (setrlimit(RLIMIT_NOFILE, &up) != 0) { /* not root: up to the hard limit */
        up.rlim_cur = up.rlim_max = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &up);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

static void *open_one(void *ctx, const char *endpoint, const uint8_t server_key[32])
{
    uint8_t pub[32], sec[32];
    int zero = 0;
    if (vn_conn_curve_keypair(pub, sec) != VN_OK) return NULL;
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    bool ok = s && !zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_key, 32) &&
              !zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32) &&
              !zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32) &&
              !zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) && !zmq_connect(s, endpoint);
    explicit_bzero(sec, sizeof sec);
    if (!ok && s) {
        zmq_close(s);
        s = NULL;
    }
    return s;
}

static int send_whoami(void *s)
{
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    uint8_t *buf = NULL;
    size_t len;
    req.version = VN_PROTOCOL_VERSION;
    req.request_id = 1;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    if (vn_frame_request_encode(&req, VN_FRAME_MAX_DEFAULT, &buf, &len)) return -1;
    int rc = zmq_send(s, buf, len, 0);
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* Waits until every socket of socks[0..n) got its one reply. */
static int await_replies(void **socks, size_t n, double deadline, char *err, size_t errlen)
{
    zmq_pollitem_t *items = calloc(n, sizeof *items);
    bool *done = calloc(n, sizeof *done);
    size_t left = n;
    int rc = -1;
    if (!items || !done) goto out;
    for (size_t i = 0; i < n; i++)
        items[i] = (zmq_pollitem_t){.socket = socks[i], .events = ZMQ_POLLIN};
    while (left > 0) {
        if (now_s() > deadline) {
            snprintf(err, errlen, "%zu of %zu idle connections got no answer in time", left, n);
            goto out;
        }
        if (zmq_poll(items, (int)n, 200) < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", zmq_strerror(errno));
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, socks[i], ZMQ_DONTWAIT) >= 0) {
                Vn__Reply *r = NULL;
                bool refused = vn_frame_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m),
                                                     VN_FRAME_MAX_DEFAULT * 2, &r) == VN_OK &&
                               r->body_case == VN__REPLY__BODY_ERROR;
                vn_frame_reply_free(r);
                if (!refused) {
                    snprintf(err, errlen, "an idle connection got an unexpected answer");
                    zmq_msg_close(&m);
                    goto out;
                }
                if (!done[i]) {
                    done[i] = true;
                    left--;
                }
            }
            zmq_msg_close(&m);
            items[i].events = done[i] ? 0 : ZMQ_POLLIN;
        }
    }
    rc = 0;
out:
    free(items);
    free(done);
    return rc;
}

/* In a child: opens n connections in a context of its own, in batches so
 * the server's handshakes keep up, reports how many on report_fd, and
 * holds them until hold_fd reaches its end. Never returns. */
static void child(const char *endpoint, const uint8_t server_key[32], size_t n, int timeout_s,
                  int report_fd, int hold_fd)
{
    char err[256] = "";
    void *ctx = zmq_ctx_new();
    void **socks = calloc(n, sizeof *socks);
    size_t opened = 0;
    double deadline = now_s() + timeout_s;
    if (!ctx || !socks) _exit(1);
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)(n + 64));
    for (size_t first = 0; first < n; first += OPEN_BATCH) {
        size_t end = first + OPEN_BATCH < n ? first + OPEN_BATCH : n;
        for (size_t i = first; i < end; i++) {
            socks[i] = open_one(ctx, endpoint, server_key);
            if (!socks[i] || send_whoami(socks[i])) {
                snprintf(err, sizeof err, "cannot open idle connection %zu: %s", i,
                         zmq_strerror(errno));
                goto report;
            }
        }
        if (await_replies(socks + first, end - first, deadline, err, sizeof err)) goto report;
        opened = end;
    }
report:
    if (err[0]) fprintf(stderr, "bench_relay: %s\n", err);
    if (write(report_fd, &opened, sizeof opened) != (ssize_t)sizeof opened) _exit(1);
    char c;
    while (read(hold_fd, &c, 1) > 0) {
    }
    _exit(0); /* the kernel closes the connections */
}

int relay_idle_open(relay_idle *out, const char *endpoint, const uint8_t server_key[32],
                    pid_t server, size_t n, int timeout_s, char *err, size_t errlen)
{
    int hold[2];
    memset(out, 0, sizeof *out);
    out->hold_fd = -1;
    out->nprocs = (n + CONNS_PER_PROC - 1) / CONNS_PER_PROC;
    out->procs = calloc(out->nprocs, sizeof *out->procs);
    int *report = calloc(out->nprocs, sizeof *report);
    if (!out->procs || !report || pipe(hold) != 0) {
        snprintf(err, errlen, "out of memory or descriptors");
        free(report);
        return -1;
    }
    out->hold_fd = hold[1];
    out->rss_before_kb = bench_proc_rss_kb(server);
    out->fds_before = bench_proc_fds(server);
    double t0 = now_s();
    int rc = 0;
    for (size_t p = 0; p < out->nprocs; p++) {
        size_t share = p + 1 < out->nprocs ? CONNS_PER_PROC : n - p * CONNS_PER_PROC;
        int rep[2];
        if (pipe(rep) != 0) {
            snprintf(err, errlen, "pipe: %s", strerror(errno));
            rc = -1;
            break;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(rep[0]);
            close(hold[1]);
            child(endpoint, server_key, share, timeout_s, rep[1], hold[0]);
        }
        close(rep[1]);
        if (pid < 0) {
            close(rep[0]);
            snprintf(err, errlen, "fork: %s", strerror(errno));
            rc = -1;
            break;
        }
        out->procs[p] = pid;
        report[p] = rep[0];
    }
    close(hold[0]);
    for (size_t p = 0; p < out->nprocs; p++) {
        size_t got = 0;
        if (!out->procs[p]) continue;
        if (read(report[p], &got, sizeof got) == (ssize_t)sizeof got) out->n += got;
        close(report[p]);
    }
    free(report);
    out->open_s = now_s() - t0;
    out->rss_after_kb = bench_proc_rss_kb(server);
    out->fds_with = bench_proc_fds(server);
    if (!rc && out->n != n) {
        snprintf(err, errlen, "only %zu of %zu idle connections were answered", out->n, n);
        rc = -1;
    }
    return rc;
}

void relay_idle_close(relay_idle *self)
{
    if (self->hold_fd >= 0) close(self->hold_fd); /* the children let go and exit */
    self->hold_fd = -1;
    for (size_t p = 0; self->procs && p < self->nprocs; p++)
        if (self->procs[p] > 0) waitpid(self->procs[p], NULL, 0);
    free(self->procs);
    self->procs = NULL; /* the figures stay */
}

int relay_idle_release(relay_idle *self, pid_t server, int timeout_s, int settle_s)
{
    double t0 = now_s();
    int rc = 0;
    relay_idle_close(self);
    /* The server holds one descriptor per connection until it has seen
     * the close: the count back where it was means they are all gone. */
    for (;;) {
        long fds = bench_proc_fds(server);
        if (fds >= 0 && self->fds_before >= 0 && fds <= self->fds_before) break;
        if (now_s() - t0 > timeout_s) {
            rc = -1;
            break;
        }
        usleep(100000);
    }
    self->close_s = now_s() - t0;
    sleep((unsigned)settle_s);
    self->rss_closed_kb = bench_proc_rss_kb(server);
    return rc;
}

/* One newcomer: connect, whoami, wait for the answer. Its time in ms, or
 * -1 when none came in 30 s. */
static double newcomer(void *ctx, const char *endpoint, const uint8_t server_key[32])
{
    double t0 = now_s(), ms = -1;
    void *s = open_one(ctx, endpoint, server_key);
    if (!s || send_whoami(s)) goto out;
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 30000) == 1) ms = (now_s() - t0) * 1000.0;
out:
    if (s) zmq_close(s);
    return ms;
}

int relay_newcomers_start(relay_newcomers *self, const char *endpoint, const uint8_t server_key[32])
{
    int p[2];
    memset(self, 0, sizeof *self);
    self->fd = -1;
    if (pipe(p) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        void *ctx = zmq_ctx_new();
        if (!ctx) _exit(1);
        for (;;) {
            double ms = newcomer(ctx, endpoint, server_key);
            if (write(p[1], &ms, sizeof ms) != (ssize_t)sizeof ms) _exit(0);
            usleep(250000);
        }
    }
    close(p[1]);
    self->pid = pid;
    self->fd = p[0];
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void relay_newcomers_stop(relay_newcomers *self)
{
    if (self->pid <= 0) return;
    kill(self->pid, SIGTERM);
    waitpid(self->pid, NULL, 0);
    self->pid = 0;
    double ms;
    size_t cap = 0;
    while (read(self->fd, &ms, sizeof ms) == (ssize_t)sizeof ms) {
        if (ms < 0) {
            self->lost++;
            continue;
        }
        if (self->n == cap) {
            cap = cap ? cap * 2 : 64;
            double *g = realloc(self->ms, cap * sizeof *g);
            if (!g) break;
            self->ms = g;
        }
        self->ms[self->n++] = ms;
    }
    close(self->fd);
    self->fd = -1;
    qsort(self->ms, self->n, sizeof *self->ms, cmp_double);
}
