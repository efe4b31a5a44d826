#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PEER_MAGIC 0x50454552u

int64_t peer_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t num(const char *name, const char *opt, const char *v, size_t min, size_t max)
{
    char *end;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || *end || x < min || x > max) {
        fprintf(stderr, "%s: %s must be a number from %zu to %zu\n", name, opt, min, max);
        exit(2);
    }
    return (size_t)x;
}

void peer_args(peer_run *r, int argc, char **argv, const char *name)
{
    memset(r, 0, sizeof *r);
    r->pairs = 2;
    r->messages = 10000;
    r->size = 512;
    r->window = 256;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[++i] : NULL;
        if (strcmp(a, "--url") == 0 && v)
            r->url = v;
        else if (strcmp(a, "--pairs") == 0)
            r->pairs = num(name, a, v, 1, 1000);
        else if (strcmp(a, "--messages") == 0)
            r->messages = num(name, a, v, 1, 100000000);
        else if (strcmp(a, "--size") == 0)
            r->size = num(name, a, v, 20, 1 << 20);
        else if (strcmp(a, "--window") == 0)
            r->window = num(name, a, v, 1, 100000);
        else {
            fprintf(stderr,
                    "usage: %s --url URL [--pairs N] [--messages M] [--size B] [--window W]\n",
                    name);
            exit(2);
        }
    }
    if (!r->url) {
        fprintf(stderr, "%s: --url is required\n", name);
        exit(2);
    }
    r->lat = calloc(r->messages, sizeof *r->lat);
    if (!r->lat) exit(1);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void peer_fill(peer_run *r, uint8_t *buf, uint64_t seq)
{
    int64_t t = peer_now_ns();
    memset(buf, (int)(seq & 0xff), r->size);
    put32(buf, PEER_MAGIC);
    put64(buf + 4, seq);
    put64(buf + 12, (uint64_t)t);
    pthread_mutex_lock(&r->mu);
    if (!r->first_send) r->first_send = t;
    r->sent++;
    pthread_mutex_unlock(&r->mu);
}

void peer_wait_window(peer_run *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->sent - r->delivered >= r->window)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

void peer_delivered(peer_run *r, const void *data, size_t len)
{
    const uint8_t *p = data;
    int64_t t = peer_now_ns();
    pthread_mutex_lock(&r->mu);
    if (len != r->size || get64(p + 4) >= r->messages || r->delivered >= r->messages)
        r->bad++;
    else {
        r->lat[r->delivered++] = t - (int64_t)get64(p + 12);
        r->last_delivery = t;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int peer_wait_all(peer_run *r, int timeout_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    while (r->delivered < r->messages && rc == 0)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
    int all = r->delivered == r->messages;
    pthread_mutex_unlock(&r->mu);
    return all ? 0 : -1;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

int peer_report(peer_run *r, const char *name)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->delivered;
    qsort(r->lat, n, sizeof *r->lat, cmp_i64);
    double secs = (double)(r->last_delivery - r->first_send) / 1e9;
    printf("%s: %zu pairs, %zu messages of %zu bytes, window %zu\n", name, r->pairs, r->messages,
           r->size, r->window);
    printf("  delivered          %zu of %zu (%zu bad)\n", n, r->messages, r->bad);
    printf("  throughput         %.0f messages/s\n", secs > 0 ? (double)n / secs : 0.0);
    if (n)
        printf("  send-to-push ms    p50 %.3f   p99 %.3f   max %.3f\n",
               (double)r->lat[(n - 1) / 2] / 1e6, (double)r->lat[(n * 99 + 99) / 100 - 1] / 1e6,
               (double)r->lat[n - 1] / 1e6);
    pthread_mutex_unlock(&r->mu);
    return n == r->messages && !r->bad ? 0 : 1;
}
