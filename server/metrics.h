/* vn_metrics: what an operator watches, as Prometheus text on a local
 * address (`vangnetd run --metrics 127.0.0.1:9477`). Requests by request
 * name and result, handling time as a histogram, commits and requests per
 * commit, store use, connections, rate-limit refusals and the hourly
 * counts of events about people. No label ever holds an account, a case,
 * a role or content: labels are request names, result names and event
 * names, all fixed at build time.
 *
 * The counters are bumped by the loop thread (dispatcher, commit, monitor
 * events) and read by the endpoint on the same loop, so they need no lock.
 * Every vn_metrics_* call accepts NULL (metrics off) and does nothing. */
#ifndef VN_METRICS_H
#define VN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uv.h>

#include "vn/err.h"

typedef struct vn_metrics vn_metrics;

/* What is read from the server at each scrape (main.c fills it), so that
 * this module needs nothing of the server's. */
typedef struct vn_metrics_gauges {
    bool store_known;          /* whether the store figures below are set */
    uint64_t store_used_bytes; /* pages in use, in bytes */
    uint64_t store_map_bytes;  /* the map size */
    bool nearly_full;          /* new messages wait for room */
    size_t max_connections;    /* --max-connections */
} vn_metrics_gauges;
typedef void vn_metrics_gauges_fn(void *ctx, vn_metrics_gauges *out);

vn_err vn_metrics_open(vn_metrics **out);
/* Frees the counters; call after vn_metrics_stop and after the loop has
 * run the close callbacks (vn_server_close does both). */
void vn_metrics_close(vn_metrics **self_p);

/* Checks an address for --metrics: HOST:PORT with a loopback host
 * (127.0.0.0/8 or [::1]), or the absolute path of a UNIX socket. On
 * VN_EINVAL, msg says what is wrong. */
vn_err vn_metrics_check_addr(const char *addr, char *msg, size_t msgsize);
/* Starts answering GET /metrics on addr, on loop; gauges(ctx, ...) is
 * called at each scrape. */
vn_err vn_metrics_listen(vn_metrics *self, uv_loop_t *loop, const char *addr,
                         vn_metrics_gauges_fn *gauges, void *ctx, char *msg, size_t msgsize);
/* Closes the listener and its connections (their close callbacks run on
 * the next turn of the loop). */
void vn_metrics_stop(vn_metrics *self);

/* One request of row (VN_REQUEST_COUNT: no row) ended with err after us
 * microseconds of handling (before the group commit). */
void vn_metrics_request(vn_metrics *self, size_t row, vn_err err, uint64_t us);
/* One commit of a loop turn's transaction, grouping that many requests. */
void vn_metrics_commit(vn_metrics *self, size_t requests);
/* One event of the ROUTER's monitor (ZMQ_EVENT_*): connections open. */
void vn_metrics_connection(vn_metrics *self, int zmq_event);
/* One event about people (vn_log_event). Published only once an hour,
 * like the log line, so a scrape cannot date one person's event. */
void vn_metrics_event(vn_metrics *self, int event, uint64_t mono_ms);

/* The exposition text (format 0.0.4) into f, with the gauges g (NULL:
 * left out); mono_ms is a monotonic clock in milliseconds. */
void vn_metrics_write(vn_metrics *self, const vn_metrics_gauges *g, uint64_t mono_ms, FILE *f);

#endif
