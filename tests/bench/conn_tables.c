/* bench_conn_tables: what the server's per-connection tables cost per
 * request as connections grow: a push's route lookup by account and a
 * request's check of its descriptor (server/subs.c), the peer cache
 * (server/peers.c), and, for comparison, a linear scan over the same
 * subscriptions, which is what a push cost before subs.c (the issue
 * measured 38 % of the loop in it at 5,000 subscribers).
 *
 *   bench_conn_tables [N ...]      (default 5000 50000)
 *
 * Prints nanoseconds per operation for each N. A program that prints
 * figures, not a test. */
#include "peers.h"
#include "subs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOOKUPS 2000000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A small xorshift: the same accounts every run, no libc rand state. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct sub {
    uint8_t account[VN_ACCOUNT_LEN];
    uint8_t key[32];
    char route[24];
} sub;

static void run(size_t n)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    sub *subs = calloc(n, sizeof *subs);
    vn_subs *s = NULL;
    vn_peers *p = NULL;
    if (!subs || vn_subs_open(&s, n + 1) || vn_peers_open(&p)) {
        fprintf(stderr, "bench_conn_tables: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t b = 0; b < VN_ACCOUNT_LEN; b += 8) {
            uint64_t r = next(&seed);
            memcpy(subs[i].account + b, &r, 8);
        }
        memset(subs[i].key, (int)(i & 0xff), sizeof subs[i].key);
        memcpy(subs[i].key, &i, sizeof i);
        snprintf(subs[i].route, sizeof subs[i].route, "r%zu", i);
        vn_subs_conn c = {.route = (const uint8_t *)subs[i].route,
                          .route_len = strlen(subs[i].route),
                          .fd = (int)i + 10};
        memcpy(c.key, subs[i].key, sizeof c.key);
        if (vn_subs_add(s, subs[i].account, &c) != VN_OK) {
            fprintf(stderr, "bench_conn_tables: vn_subs_add failed at %zu\n", i);
            exit(1);
        }
        vn_peers_ident id = {.registered = true};
        memcpy(id.account, subs[i].account, VN_ACCOUNT_LEN);
        vn_peers_put(p, (int)i + 10, subs[i].key, 1, &id);
    }
    size_t found = 0;
    const uint8_t *route;
    size_t route_len;
    double t0 = now_ns();
    for (size_t k = 0; k < LOOKUPS; k++)
        found += vn_subs_route(s, subs[next(&seed) % n].account, &route, &route_len);
    double route_ns = (now_ns() - t0) / LOOKUPS;
    t0 = now_ns();
    for (size_t k = 0; k < LOOKUPS; k++) {
        size_t i = next(&seed) % n;
        vn_subs_conn c = {.route = (const uint8_t *)subs[i].route,
                          .route_len = strlen(subs[i].route),
                          .fd = (int)i + 10};
        memcpy(c.key, subs[i].key, sizeof c.key);
        vn_subs_seen(s, &c);
    }
    double seen_ns = (now_ns() - t0) / LOOKUPS;
    vn_peers_ident id;
    t0 = now_ns();
    for (size_t k = 0; k < LOOKUPS; k++) {
        size_t i = next(&seed) % n;
        found += vn_peers_get(p, (int)i + 10, subs[i].key, 1, &id);
    }
    double peers_ns = (now_ns() - t0) / LOOKUPS;
    /* The scan: fewer rounds, it is slow. */
    size_t scans = LOOKUPS / (n / 100 + 1);
    t0 = now_ns();
    for (size_t k = 0; k < scans; k++) {
        const uint8_t *want = subs[next(&seed) % n].account;
        for (size_t i = 0; i < n; i++)
            if (memcmp(subs[i].account, want, VN_ACCOUNT_LEN) == 0) {
                found++;
                break;
            }
    }
    double scan_ns = (now_ns() - t0) / (double)scans;
    if (found != 2 * LOOKUPS + scans || vn_subs_count(s) != n) {
        fprintf(stderr, "bench_conn_tables: lookups missed (%zu)\n", found);
        exit(1);
    }
    printf("%8zu connections: push route %6.1f ns, request's descriptor check %6.1f ns, peer "
           "cache %6.1f ns; a linear scan %9.1f ns\n",
           n, route_ns, seen_ns, peers_ns, scan_ns);
    vn_subs_close(&s);
    vn_peers_close(&p);
    free(subs);
}

int main(int argc, char **argv)
{
    printf("bench_conn_tables: per-operation cost of the server's connection tables "
           "(random accounts, %d lookups)\n",
           LOOKUPS);
    if (argc < 2) {
        run(5000);
        run(50000);
    }
    for (int i = 1; i < argc; i++) {
        long n = strtol(argv[i], NULL, 10);
        if (n < 1 || n > 1000000) {
            fprintf(stderr, "bench_conn_tables: N must be 1..1000000, not %s\n", argv[i]);
            return 2;
        }
        run((size_t)n);
    }
    return 0;
}
