/* vn_metrics: the counters and their Prometheus text. The listener that
 * serves them is metrics_http.c. */
#include "metrics.h"
#include "metrics_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Handling time of one request, in seconds: most take well under a
 * millisecond; a send to a large team or a caseload read takes more. */
static const double latency_le[LATENCY_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                   0.005,  0.01,    0.025,  0.1,   0.5};
/* Requests grouped into one commit: 1 when idle, up to the batch size. */
static const unsigned commit_le[COMMIT_BUCKETS] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

/* How often the counts of events about people move (as the log line). */
#define EVENT_PUBLISH_MS (3600 * 1000ULL)

static const char *const event_label[VN_LOG_COUNT] = {
    [VN_LOG_REGISTERED] = "registered",   [VN_LOG_ALERT] = "alert_raised",
    [VN_LOG_ESCALATED] = "escalated",     [VN_LOG_REMOVED] = "member_removed",
    [VN_LOG_DELETED] = "account_deleted",
};

vn_err vn_metrics_open(vn_metrics **out)
{
    vn_metrics *m = calloc(1, sizeof *m);
    if (!m) return VN_ENOMEM;
    *out = m;
    return VN_OK;
}

void vn_metrics_close(vn_metrics **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

/* The column of a result: 0 for OK, then the codes of VN_ERR_MAP in order,
 * then one for any other code. */
static size_t result_index(vn_err err)
{
    if (err == VN_OK) return 0;
    int i = -(int)err - 10000;
    return i >= 1 && i < N_RESULTS - 1 ? (size_t)i : N_RESULTS - 1;
}

static void result_label(size_t i, char *out, size_t size)
{
    const char *name = i == 0 ? "OK" : i == N_RESULTS - 1 ? "OTHER" : vn_err_name(-10000 - (int)i);
    size_t k = 0;
    for (; name[k] && k + 1 < size; k++)
        out[k] = (char)tolower((unsigned char)name[k]);
    out[k] = '\0';
}

void vn_metrics_request(vn_metrics *self, size_t row, vn_err err, uint64_t us)
{
    if (!self) return;
    if (row > VN_REQUEST_COUNT) row = VN_REQUEST_COUNT;
    self->requests[row][result_index(err)]++;
    if (err == VN_ERATE) self->rate_refused[row]++;
    double s = (double)us / 1e6;
    size_t b = 0;
    while (b < LATENCY_BUCKETS && s > latency_le[b])
        b++;
    self->latency[row][b]++;
    self->latency_sum_us[row] += us;
}

void vn_metrics_commit(vn_metrics *self, size_t requests)
{
    if (!self) return;
    size_t b = 0;
    while (b < COMMIT_BUCKETS && requests > commit_le[b])
        b++;
    self->commits[b]++;
    self->commit_sum += requests;
}

void vn_metrics_connection(vn_metrics *self, int zmq_event)
{
    if (!self) return;
    if (zmq_event == ZMQ_EVENT_ACCEPTED) {
        self->conns_open++;
        self->conns_accepted++;
    } else if (zmq_event == ZMQ_EVENT_DISCONNECTED && self->conns_open) {
        self->conns_open--;
    }
}

void vn_metrics_event(vn_metrics *self, int event, uint64_t mono_ms)
{
    if (!self || event < 0 || event >= VN_LOG_COUNT) return;
    self->events_pending[event]++;
    if (!self->events_published_ms) self->events_published_ms = mono_ms;
}

/* Moves the pending counts of events into the published ones once an hour
 * has passed since the last move. */
static void publish_events(vn_metrics *m, uint64_t mono_ms)
{
    if (!m->events_published_ms) m->events_published_ms = mono_ms;
    if (mono_ms - m->events_published_ms < EVENT_PUBLISH_MS) return;
    for (int i = 0; i < VN_LOG_COUNT; i++) {
        m->events[i] += m->events_pending[i];
        m->events_pending[i] = 0;
    }
    m->events_published_ms = mono_ms;
}

static const char *row_name(size_t row)
{
    return row < VN_REQUEST_COUNT ? vn_requests[row].name : "unknown";
}

static void write_requests(vn_metrics *m, FILE *f)
{
    char res[32];
    fputs("# HELP vangnet_requests_total Requests handled, by request name and result.\n"
          "# TYPE vangnet_requests_total counter\n",
          f);
    for (size_t r = 0; r <= VN_REQUEST_COUNT; r++)
        for (size_t i = 0; i < N_RESULTS; i++) {
            if (!m->requests[r][i] && !(i == 0 && r < VN_REQUEST_COUNT)) continue;
            result_label(i, res, sizeof res);
            fprintf(f, "vangnet_requests_total{request=\"%s\",result=\"%s\"} %llu\n", row_name(r),
                    res, (unsigned long long)m->requests[r][i]);
        }
    fputs("# HELP vangnet_rate_limit_refusals_total Requests refused by an abuse limit.\n"
          "# TYPE vangnet_rate_limit_refusals_total counter\n",
          f);
    for (size_t r = 0; r < VN_REQUEST_COUNT; r++)
        if (vn_requests[r].flags & RATED)
            fprintf(f, "vangnet_rate_limit_refusals_total{request=\"%s\"} %llu\n", row_name(r),
                    (unsigned long long)m->rate_refused[r]);
    fputs("# HELP vangnet_request_duration_seconds Handling time of a request, before the "
          "group commit.\n"
          "# TYPE vangnet_request_duration_seconds histogram\n",
          f);
    for (size_t r = 0; r <= VN_REQUEST_COUNT; r++) {
        uint64_t n = 0;
        for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
            n += m->latency[r][b];
        if (!n && r == VN_REQUEST_COUNT) continue;
        uint64_t cum = 0;
        for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
            cum += m->latency[r][b];
            fprintf(f, "vangnet_request_duration_seconds_bucket{request=\"%s\",le=\"%g\"} %llu\n",
                    row_name(r), latency_le[b], (unsigned long long)cum);
        }
        fprintf(f,
                "vangnet_request_duration_seconds_bucket{request=\"%s\",le=\"+Inf\"} %llu\n"
                "vangnet_request_duration_seconds_sum{request=\"%s\"} %.6f\n"
                "vangnet_request_duration_seconds_count{request=\"%s\"} %llu\n",
                row_name(r), (unsigned long long)n, row_name(r), (double)m->latency_sum_us[r] / 1e6,
                row_name(r), (unsigned long long)n);
    }
}

static void write_commits(vn_metrics *m, FILE *f)
{
    uint64_t cum = 0, n = 0;
    for (size_t b = 0; b <= COMMIT_BUCKETS; b++)
        n += m->commits[b];
    fputs("# HELP vangnet_commit_requests Requests grouped into one commit of the store.\n"
          "# TYPE vangnet_commit_requests histogram\n",
          f);
    for (size_t b = 0; b < COMMIT_BUCKETS; b++) {
        cum += m->commits[b];
        fprintf(f, "vangnet_commit_requests_bucket{le=\"%u\"} %llu\n", commit_le[b],
                (unsigned long long)cum);
    }
    fprintf(f,
            "vangnet_commit_requests_bucket{le=\"+Inf\"} %llu\n"
            "vangnet_commit_requests_sum %llu\n"
            "vangnet_commit_requests_count %llu\n",
            (unsigned long long)n, (unsigned long long)m->commit_sum, (unsigned long long)n);
}

static void write_gauges(vn_metrics *m, const vn_metrics_gauges *g, FILE *f)
{
    fprintf(f,
            "# HELP vangnet_connections Client connections open now.\n"
            "# TYPE vangnet_connections gauge\n"
            "vangnet_connections %llu\n"
            "# HELP vangnet_connections_accepted_total Client connections accepted.\n"
            "# TYPE vangnet_connections_accepted_total counter\n"
            "vangnet_connections_accepted_total %llu\n",
            (unsigned long long)m->conns_open, (unsigned long long)m->conns_accepted);
    if (!g) return;
    fprintf(f,
            "# HELP vangnet_connections_max Client connections allowed at once "
            "(--max-connections).\n"
            "# TYPE vangnet_connections_max gauge\n"
            "vangnet_connections_max %zu\n",
            g->max_connections);
    if (g->store_known)
        fprintf(f,
                "# HELP vangnet_store_used_bytes Bytes of the store's map in use.\n"
                "# TYPE vangnet_store_used_bytes gauge\n"
                "vangnet_store_used_bytes %llu\n"
                "# HELP vangnet_store_map_bytes Size of the store's map (--map-size).\n"
                "# TYPE vangnet_store_map_bytes gauge\n"
                "vangnet_store_map_bytes %llu\n",
                (unsigned long long)g->store_used_bytes, (unsigned long long)g->store_map_bytes);
    fprintf(f,
            "# HELP vangnet_store_nearly_full 1 while new messages wait for room.\n"
            "# TYPE vangnet_store_nearly_full gauge\n"
            "vangnet_store_nearly_full %d\n",
            g->nearly_full ? 1 : 0);
}

void vn_metrics_write(vn_metrics *self, const vn_metrics_gauges *g, uint64_t mono_ms, FILE *f)
{
    fputs("# HELP vangnet_info The server's version.\n"
          "# TYPE vangnet_info gauge\n"
          "vangnet_info{version=\"" VN_VERSION "\"} 1\n",
          f);
    write_requests(self, f);
    write_commits(self, f);
    write_gauges(self, g, f);
    publish_events(self, mono_ms);
    fputs("# HELP vangnet_events_total Events about people, counted and published once an "
          "hour so that no scrape dates one.\n"
          "# TYPE vangnet_events_total counter\n",
          f);
    for (int i = 0; i < VN_LOG_COUNT; i++)
        fprintf(f, "vangnet_events_total{event=\"%s\"} %llu\n", event_label[i],
                (unsigned long long)self->events[i]);
}
