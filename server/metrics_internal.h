/* The counters of vn_metrics, shared by metrics.c (counting, text) and
 * metrics_http.c (the endpoint). Not for other modules. */
#ifndef VN_METRICS_INTERNAL_H
#define VN_METRICS_INTERNAL_H

#include "metrics.h"
#include "log.h"
#include "requests.h"

#include <uv.h>

#define LATENCY_BUCKETS 10
#define COMMIT_BUCKETS  9
/* Results: OK, each code of VN_ERR_MAP, and any other code. */
#define VN_ERR_COUNT1(...) +1
enum { N_RESULTS = 2 + 0 VN_ERR_MAP(VN_ERR_COUNT1) };
#undef VN_ERR_COUNT1
/* Scrapers served at once; more wait in the listen backlog's place. */
#define HTTP_CLIENTS 8

struct vn_http_client;

struct vn_metrics {
    /* Rows of vn_requests, and one more for a body without a row. */
    uint64_t requests[VN_REQUEST_COUNT + 1][N_RESULTS];
    uint64_t rate_refused[VN_REQUEST_COUNT + 1];
    uint64_t latency[VN_REQUEST_COUNT + 1][LATENCY_BUCKETS + 1]; /* the last: +Inf */
    uint64_t latency_sum_us[VN_REQUEST_COUNT + 1];
    uint64_t commits[COMMIT_BUCKETS + 1];
    uint64_t commit_sum;
    uint64_t conns_open, conns_accepted;
    uint64_t events[VN_LOG_COUNT];         /* published */
    uint64_t events_pending[VN_LOG_COUNT]; /* counted since */
    uint64_t events_published_ms;          /* when they were published */
    /* The endpoint (metrics_http.c). */
    uv_loop_t *loop;
    vn_metrics_gauges_fn *gauges;
    void *gauges_ctx;
    bool listening;
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } listener;
    struct vn_http_client *clients[HTTP_CLIENTS];
};

#endif
