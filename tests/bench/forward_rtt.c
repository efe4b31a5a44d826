/* bench_forward: what forwarding a request to the cluster's writer costs
 * (server/forward.h), against a real nats-server on loopback it starts:
 * a follower forwards N frames of SIZE bytes to a writer that answers at
 * once, first one at a time (round-trip latency: p50, p99, max), then with
 * IN_FLIGHT outstanding (throughput). Both ends run on one libuv loop in
 * this process, as two nodes would on one machine; the figures are the
 * forwarding's own cost, not a vangnetd's.
 *
 * With --send-asap both NATS connections write each message at once
 * (natsOptions_SetSendAsap) instead of leaving it to libnats' flusher.
 *
 *   bench_forward [--requests N] [--size BYTES] [--in-flight K] [--send-asap] */
#include "forward.h"

#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

typedef struct bench bench;
/* One request: which bench, which index (its start time and latency). */
typedef struct slot {
    bench *b;
    size_t i;
} slot;

struct bench {
    uv_loop_t loop;
    vn_forward *writer, *follower;
    size_t done, sent, want, in_flight, size;
    int failed;
    uint8_t *frame;
    double *lat_us; /* start time, then round trip, per request */
    slot *slots;
};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void serve(void *ud, vn_forward_call *call, const uint8_t *frame, size_t len,
                  const uint8_t key[32])
{
    bench *b = ud;
    (void)key;
    vn_forward_respond(b->writer, call, frame, len);
}

static void send_one(bench *b);

static void on_reply(void *ud, vn_err err, const char *why, const uint8_t *frame, size_t len)
{
    slot *s = ud;
    bench *b = s->b;
    (void)frame, (void)len;
    b->done++;
    if (err) {
        b->failed++;
        fprintf(stderr, "bench_forward: %s\n", why);
    }
    b->lat_us[s->i] = now_us() - b->lat_us[s->i];
    if (b->sent < b->want) send_one(b);
}

static void send_one(bench *b)
{
    slot *s = &b->slots[b->sent];
    *s = (slot){.b = b, .i = b->sent++};
    b->lat_us[s->i] = now_us();
    if (vn_forward_request(b->follower, b->frame, b->size, b->frame, on_reply, s) != VN_OK) {
        fprintf(stderr, "bench_forward: the request could not be sent\n");
        exit(1);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(bench *b, size_t in_flight, const char *what)
{
    b->done = b->sent = 0;
    b->failed = 0;
    double t0 = now_us();
    for (size_t i = 0; i < in_flight && b->sent < b->want; i++)
        send_one(b);
    while (b->done < b->want)
        uv_run(&b->loop, UV_RUN_ONCE);
    double secs = (now_us() - t0) / 1e6;
    qsort(b->lat_us, b->want, sizeof *b->lat_us, cmp);
    printf("%s: %zu requests of %zu bytes, %zu in flight: %.0f/s; round trip p50 %.0f us, "
           "p99 %.0f us, max %.0f us; %d failed\n",
           what, b->want, b->size, in_flight, (double)b->want / secs, b->lat_us[b->want / 2],
           b->lat_us[b->want * 99 / 100], b->lat_us[b->want - 1], b->failed);
}

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

int main(int argc, char **argv)
{
    bench b = {.want = 10000, .size = 200, .in_flight = 64};
    bool asap = false;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--send-asap") == 0) {
            asap = true;
            i--;
        } else if (i + 1 >= argc) {
            fprintf(stderr, "bench_forward: %s needs a value\n", argv[i]);
            return 2;
        } else if (strcmp(argv[i], "--requests") == 0)
            b.want = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--size") == 0)
            b.size = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--in-flight") == 0)
            b.in_flight = strtoul(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_forward [--requests N] [--size BYTES] [--in-flight K] "
                            "[--send-asap]\n");
            return 2;
        }
    }
    if (b.want == 0 || b.size < 32 || b.size > VN_FORWARD_FRAME_MAX || b.in_flight == 0) {
        fprintf(stderr, "bench_forward: --requests >= 1, --size 32..%u, --in-flight >= 1\n",
                VN_FORWARD_FRAME_MAX);
        return 2;
    }
    char port[16], dir[] = "/tmp/vn-bench-forward.XXXXXX", url[64];
    int p = free_port();
    if (p < 0 || !mkdtemp(dir)) return 1;
    snprintf(port, sizeof port, "%d", p);
    pid_t nats = fork();
    if (nats == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port, "-js", "-sd", dir,
               (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", p);
    natsConnection *nw = NULL, *nf = NULL;
    natsOptions *opts = NULL;
    if (natsOptions_Create(&opts) != NATS_OK || natsOptions_SetURL(opts, url) != NATS_OK ||
        natsOptions_SetSendAsap(opts, asap) != NATS_OK)
        return 1;
    for (int tries = 0; natsConnection_Connect(&nw, opts) != NATS_OK; tries++) {
        if (tries > 300) {
            fprintf(stderr, "bench_forward: cannot start or reach nats-server at %s\n", url);
            kill(nats, SIGTERM);
            return 1;
        }
        usleep(50000);
    }
    if (natsConnection_Connect(&nf, opts) != NATS_OK) return 1;
    natsOptions_Destroy(opts);
    uint8_t key[VN_FORWARD_KEY_LEN] = {1};
    b.frame = calloc(1, b.size);
    b.lat_us = calloc(b.want, sizeof *b.lat_us);
    b.slots = calloc(b.want, sizeof *b.slots);
    if (!b.frame || !b.lat_us || !b.slots) return 1;
    uv_loop_init(&b.loop);
    if (vn_forward_open(&b.writer, nw, key, &b.loop, serve, NULL, &b) ||
        vn_forward_open(&b.follower, nf, key, &b.loop, NULL, NULL, &b) ||
        vn_forward_serve_start(b.writer) || natsConnection_Flush(nw) != NATS_OK)
        return 1;
    vn_forward_set_timeout(b.follower, 30000);
    printf("libnats %s\n", asap ? "sending at once (--send-asap)" : "with its flusher (default)");
    run(&b, 1, "one at a time");
    run(&b, b.in_flight, "pipelined");
    vn_forward_close(&b.writer);
    vn_forward_close(&b.follower);
    uv_run(&b.loop, UV_RUN_DEFAULT);
    uv_loop_close(&b.loop);
    natsConnection_Destroy(nw);
    natsConnection_Destroy(nf);
    kill(nats, SIGTERM);
    waitpid(nats, NULL, 0);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_forward: could not remove %s\n", dir);
    free(b.frame);
    free(b.lat_us);
    free(b.slots);
    nats_Close();
    return 0;
}
