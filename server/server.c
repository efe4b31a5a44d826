/* The server loop: a ZeroMQ ROUTER under CURVE, a ZAP handler that fails
 * closed, the connection monitor, the sweep timer and the scheduler's
 * steps. What a loop turn does with the requests it reads (one group
 * commit, then the replies) is in batch.c. */
#include "server_internal.h"

#include "cluster.h"
#include "conns.h"
#include "listen.h"
#include "metrics.h"
#include "quota.h"
#include "ratelimit.h"
#include "subs.h"
#include "vn/alerts.h"
#include "vn/array.h"
#include "vn/cases.h"
#include "vn/frame.h"
#include "vn/rand.h"
#include "vn/hex.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* How often the event counts are logged: coarse enough that a count does
 * not date one person's event. */
#define EVENT_REPORT_MS (3600 * 1000ULL)

static const char *const event_names[VN_LOG_COUNT] = {
    [VN_LOG_REGISTERED] = "accounts registered", [VN_LOG_ALERT] = "alerts raised",
    [VN_LOG_ESCALATED] = "escalations",          [VN_LOG_REMOVED] = "members removed",
    [VN_LOG_DELETED] = "accounts deleted",
};

void vn_server_count(vn_server *self, vn_log_event ev)
{
    self->events[ev]++;
    vn_metrics_event(self->cfg.metrics, (int)ev, vn_server_mono_ms(self));
}

/* Logs the counts since the last report, if any, and starts anew. */
static void report_events(vn_server *s)
{
    char line[256];
    size_t o = 0;
    for (int i = 0; i < VN_LOG_COUNT; i++)
        if (s->events[i] && o < sizeof line)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s %llu", o ? ", " : "",
                                  event_names[i], (unsigned long long)s->events[i]);
    if (o) vn_log("events since the last report: %s", line);
    memset(s->events, 0, sizeof s->events);
    s->events_reported_ms = vn_server_mono_ms(s);
}

vn_sstore *vn_server_store(vn_server *self)
{
    return self->store;
}

uv_loop_t *vn_server_loop(vn_server *self)
{
    return &self->loop;
}

uint64_t *vn_server_request_calls(vn_server *self)
{
    return self->calls;
}

vn_clock *vn_server_clock(vn_server *self)
{
    return self->clock;
}

const vn_server_config *vn_server_cfg(vn_server *self)
{
    return &self->cfg;
}

bool vn_server_nearly_full(vn_server *self)
{
    size_t used = 0, total = 0;
    vn_kv *kv = vn_sstore_kv(self->store);
    if (vn_kv_usage(kv, false, &used, &total) != VN_OK) return self->nearly_full;
    /* Keep a tenth of the map, at least 1 MiB, for deletions and for the
     * rest of a loop turn's batch. */
    size_t reserve = total / 10 > 256 ? total / 10 : 256;
    bool full = false;
    if (used + reserve >= total) {
        /* The high-water mark says maybe; free pages decide. Walking the
         * free list is dearer, so at most every 200 ms. */
        uint64_t now = vn_server_mono_ms(self);
        if (self->usage_checked_ms && now - self->usage_checked_ms < 200) return self->nearly_full;
        self->usage_checked_ms = now;
        if (vn_kv_usage(kv, true, &used, &total) != VN_OK) return self->nearly_full;
        full = used + reserve >= total;
    }
    if (full != self->nearly_full)
        vn_logl(full ? VN_LEVEL_WARN : VN_LEVEL_INFO,
                full ? "store nearly full (%zu of %zu pages): new messages wait"
                     : "store has room again (%zu of %zu pages)",
                used, total);
    self->nearly_full = full;
    return full;
}

uint64_t vn_server_mono_ms(vn_server *self)
{
    uv_update_time(&self->loop);
    return uv_now(&self->loop);
}

vn_ratelimit *vn_server_rl_pair(vn_server *self)
{
    return self->rl_pair;
}

vn_ratelimit *vn_server_rl_account(vn_server *self)
{
    return self->rl_account;
}

vn_ratelimit *vn_server_rl_inbound(vn_server *self)
{
    return self->rl_inbound;
}

vn_ratelimit *vn_server_rl_alert(vn_server *self)
{
    return self->rl_alert;
}

vn_quota *vn_server_quota(vn_server *self)
{
    return self->quota;
}

struct vn_cluster *vn_server_cluster(vn_server *self)
{
    return self->cluster;
}

vn_ratelimit *vn_server_rl_case_alert(vn_server *self)
{
    return self->rl_case_alert;
}

static void on_drain_idle(uv_idle_t *h)
{
    if (!vn_server_drain(h->data)) uv_idle_stop(h);
}

/* Reads and answers what waits on the ROUTER. ZMQ_FD is edge-triggered:
 * every send may consume the edge of a request that arrived meanwhile, so
 * anything that sends outside on_router calls this after; and when a drain
 * stops with requests left (it yields to the loop's other sockets), the
 * idle handle goes on with them on the next turn. */
static void drain(vn_server *s)
{
    if (vn_server_drain(s)) uv_idle_start(&s->drain_idle, on_drain_idle);
}

static void on_router(uv_poll_t *h, int status, int events)
{
    drain(h->data);
}

/* After a wave of connections opened or closed, the pages malloc keeps
 * of what they freed go back to the system: libzmq's buffers of a closed
 * connection (some 30 KiB each) would otherwise stay in the heap, and a
 * burst of handshakes leaves the same behind. Once a second at most, a
 * while after the wave began, so that a burst costs a few walks of the
 * heap and not one per connection. */
#define TRIM_DELAY_MS 1000
#define TRIM_SLOW_MS  20 /* a trim that held the loop this long is logged */

static void on_trim(uv_timer_t *t)
{
    vn_server *s = t->data;
#ifdef __GLIBC__
    uint64_t t0 = vn_server_mono_ms(s);
    malloc_trim(0);
    uint64_t took = vn_server_mono_ms(s) - t0;
    /* It holds up the loop: a slow one is worth a line. */
    if (s->cfg.verbose || took >= TRIM_SLOW_MS)
        vn_log("gave freed memory back after connections came and went (%zu open, %llu ms)",
               vn_conns_open_now(s->conns), (unsigned long long)took);
#endif
    vn_conns_trimmed(s->conns);
}

/* Applies the connection events waiting on the monitor socket. */
void vn_server_read_events(vn_server *s)
{
    vn_listen_event ev;
    while (vn_listen_event_next(s->mon, &ev)) {
        vn_metrics_connection(s->cfg.metrics, ev.event);
        vn_conns_event(s->conns, &ev, vn_server_mono_ms(s));
        if (ev.event == ZMQ_EVENT_DISCONNECTED) {
            vn_subs_closed(s->subs, (int)ev.value);
            vn_peers_closed(s->peers, (int)ev.value);
        }
    }
    if (vn_conns_trim_due(s->conns) && !uv_is_active((uv_handle_t *)&s->trim))
        uv_timer_start(&s->trim, on_trim, TRIM_DELAY_MS, 0);
}

static void on_mon(uv_poll_t *h, int status, int events)
{
    vn_server *s = h->data;
    do
        vn_server_read_events(s);
    while (vn_listen_readable(s->mon));
}

bool vn_server_conn_admit(vn_server *self)
{
    /* libzmq publishes ACCEPTED before the handshake that asks ZAP begins,
     * so after this read the connection being asked about is counted as
     * open, and the handshakes finished before it as established. */
    vn_server_read_events(self);
    return vn_conns_admit(self->conns, vn_server_mono_ms(self));
}

static void on_zap(uv_poll_t *h, int status, int events)
{
    vn_server *s = h->data;
    while (vn_listen_readable(s->zap))
        vn_zap_handle(s, s->zap);
}

void vn_server_between_batches(vn_server *s)
{
    on_zap(&s->zap_poll, 0, 0);
}

/* The scheduler's steps take turns with the requests: after a step, the
 * loop serves what waits (drain), and if there was any, it goes on with
 * its other work for as long as the step held it (SCHED_GAP_MAX_MS at
 * most) before the next step, so that a pass takes at most about half of
 * a busy loop's time however long it is, and a request that came during
 * a step waits for that one step only. With no requests, or after a step
 * of under a millisecond, the next step comes on the next loop turn. */
#define SCHED_GAP_MAX_MS 20

static void on_sched_timer(uv_timer_t *t);

static void on_sched(uv_idle_t *h)
{
    vn_server *s = h->data;
    uint64_t t0 = uv_hrtime();
    /* A writer that stepped down mid-pass leaves the rest to the next one. */
    bool more = vn_cluster_may_write(s->cluster) && vn_scheduler_step(s->sched);
    uint64_t gap_ms = (uv_hrtime() - t0) / 1000000, served = s->requests;
    if (gap_ms > SCHED_GAP_MAX_MS) gap_ms = SCHED_GAP_MAX_MS;
    /* The step pushed notices on the ROUTER. */
    drain(s);
    if (s->requests == served) gap_ms = 0;
    if (!more || gap_ms > 0) uv_idle_stop(h);
    if (more && gap_ms > 0) uv_timer_start(&s->sched_gap, on_sched_timer, gap_ms, 0);
}

static void on_sched_timer(uv_timer_t *t)
{
    vn_server *s = t->data;
    uv_idle_start(&s->sched_idle, on_sched);
}

/* Begins the scheduler's steps, unless they are under way. */
static void sched_begin(vn_server *s)
{
    if (!uv_is_active((uv_handle_t *)&s->sched_gap)) uv_idle_start(&s->sched_idle, on_sched);
}

static void on_sweep(uv_timer_t *t)
{
    vn_server *s = t->data;
    /* In a cluster only the writer expires, schedules and escalates: the
     * followers get its writes from the log. */
    if (!vn_cluster_may_write(s->cluster)) return;
    uint64_t now = vn_clock_now(s->clock), behind = 0;
    bool changed = false;
    /* Expiry's own clock: a forward step of the system clock is caught up
     * with an hour per sweep, not in one (core/store clock.h). */
    uint64_t exp_now = vn_clock_expiry_now(s->clock, &behind, &changed);
    if (changed && behind)
        vn_log("the system clock is %llu s ahead of the monotonic clock (a forward step?): mail "
               "expiry catches up by one hour per sweep",
               (unsigned long long)(behind / 1000));
    else if (changed)
        vn_log("mail expiry has caught up with the system clock");
    /* The scheduler's walks run in steps on the following loop turns
     * (on_sched): the escalation of alerts first, then the expiry of mail
     * and invites, then the cases, whose walk also purges the cases closed
     * past retention. */
    vn_scheduler_expire(s->sched, exp_now);
    vn_scheduler_start(s->sched);
    sched_begin(s);
    vn_intake_sweep(s, now);
    vn_ratelimit_sweep(s->rl_pair, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_account, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_inbound, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_alert, vn_server_mono_ms(s));
    vn_ratelimit_sweep(s->rl_case_alert, vn_server_mono_ms(s));
    vn_conns_report(s->conns, vn_server_mono_ms(s), false);
    if (vn_server_mono_ms(s) - s->events_reported_ms >= EVENT_REPORT_MS) report_events(s);
    /* The scheduler and the escalation pushed notices on the ROUTER. */
    drain(s);
}

/* A test clock moved by `vangnetd clock` (another process, through the
 * store) is seen within a tenth of a second, and the sweep runs at once:
 * a test that moves time need not wait a sweep interval for the
 * scheduler, the escalation and the expiry to follow. */
#define CLOCK_WATCH_MS 100

static void on_tclock(uv_timer_t *t)
{
    vn_server *s = t->data;
    if (!vn_clock_test_moved(s->clock)) return;
    on_sweep(&s->sweep);
    uv_timer_again(&s->sweep);
}

static void on_signal(uv_signal_t *h, int signum)
{
    vn_server *s = h->data;
    vn_log("signal %d: shutting down", signum);
    uv_stop(&s->loop);
}

static vn_err write_endpoint(vn_server *s)
{
    char ep[256], path[4096];
    size_t len = sizeof ep;
    if (zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, ep, &len) != 0) return VN_ETRANSPORT;
    snprintf(path, sizeof path, "%s/endpoint", s->cfg.state_dir);
    FILE *f = fopen(path, "w");
    if (!f) return VN_EIO;
    fprintf(f, "%s\n", ep);
    vn_err err = fclose(f) == 0 ? VN_OK : VN_EIO;
    if (!err) vn_log("listening on %s", ep);
    return err;
}

static vn_err open_sockets(vn_server *s, const uint8_t secret[32])
{
    char msg[512];
    vn_err err = vn_conns_open(&s->conns, s->cfg.max_connections, s->cfg.send_queue, vn_log);
    if (err) return err;
    err = vn_listen_open_limited(s->zctx, secret, s->cfg.listen, s->cfg.frame_max,
                                 (int)s->cfg.send_queue, (int)s->cfg.socket_buffer, &s->zap,
                                 &s->router, &s->mon, msg, sizeof msg);
    if (err) {
        vn_log("%s", msg);
        return err;
    }
    return write_endpoint(s);
}

static vn_err lock_state(vn_server *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/vangnetd.lock", s->cfg.state_dir);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) return VN_EIO;
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        vn_logl(VN_LEVEL_ERROR, "another vangnetd is running on %s", s->cfg.state_dir);
        return VN_EEXISTS;
    }
    return VN_OK;
}

static vn_err start_loop(vn_server *s)
{
    int fd;
    size_t len = sizeof fd;
    if (uv_loop_init(&s->loop)) return VN_EINTERNAL;
    if (zmq_getsockopt(s->router, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->router_poll, fd);
    len = sizeof fd;
    if (zmq_getsockopt(s->zap, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->zap_poll, fd);
    len = sizeof fd;
    if (zmq_getsockopt(s->mon, ZMQ_FD, &fd, &len)) return VN_ETRANSPORT;
    uv_poll_init(&s->loop, &s->mon_poll, fd);
    uv_timer_init(&s->loop, &s->sweep);
    uv_timer_init(&s->loop, &s->tclock);
    uv_timer_init(&s->loop, &s->trim);
    uv_idle_init(&s->loop, &s->sched_idle);
    uv_timer_init(&s->loop, &s->sched_gap);
    uv_idle_init(&s->loop, &s->drain_idle);
    uv_signal_init(&s->loop, &s->sigterm);
    uv_signal_init(&s->loop, &s->sigint);
    s->router_poll.data = s->zap_poll.data = s->mon_poll.data = s->sweep.data = s;
    s->tclock.data = s;
    s->trim.data = s;
    s->sigterm.data = s->sigint.data = s;
    s->sched_idle.data = s;
    s->sched_gap.data = s;
    s->drain_idle.data = s;
    return VN_OK;
}

#define IO_THREADS_MAX 8 /* ZeroMQ I/O threads on a large machine */
/* Alerts stored before their indexes existed are indexed once, at start,
 * in one transaction, so no list misses them (vn_alerts_reindex). */
static vn_err index_alerts(vn_server *s)
{
    size_t n = 0;
    vn_err err = vn_alerts_reindex(s->store, &n);
    if (err)
        vn_log("cannot index the stored alerts: %s", vn_err_str(err));
    else if (n)
        vn_log("indexed %zu stored alerts (stored before their indexes existed)", n);
    return err;
}

/* Cluster mode (cluster.h): connects before the loop exists, so that a
 * NATS that cannot be reached leaves nothing of the loop to undo. */
static vn_err open_cluster(vn_server *s, const vn_server_config *cfg)
{
    char msg[512];
    vn_cluster_config cc = {cfg->cluster,          cfg->node,       cfg->lease_ms, cfg->store_key,
                            cfg->snapshot_keep_ms, cfg->log_trim_ms};
    vn_err err = vn_cluster_open(&s->cluster, &cc, s->store, msg, sizeof msg);
    if (err) vn_logl(VN_LEVEL_ERROR, "cluster mode: %s", msg);
    return err;
}

/* Joins as a follower, once the loop is there. */
static vn_err start_cluster(vn_server *s)
{
    char msg[512];
    vn_err err = s->cluster ? vn_cluster_start(s->cluster, &s->loop, msg, sizeof msg) : VN_OK;
    if (err) vn_logl(VN_LEVEL_ERROR, "cluster mode: %s", msg);
    return err;
}

vn_err vn_server_open(vn_server **out, const vn_server_config *cfg)
{
    uint8_t secret[32];
    vn_err err;
    vn_server *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->cfg = *cfg;
    s->cfg.store_key = NULL; /* the caller's, and wiped by it after open */
    s->cfg.server_secret = NULL;
    s->lock_fd = -1;
    s->batch = calloc(BATCH_MAX, sizeof *s->batch);
    if (!s->batch) {
        err = VN_ENOMEM;
        goto err_free;
    }
    if ((err = vn_subs_open(&s->subs, SUBS_MAX)) || (err = vn_peers_open(&s->peers)) ||
        (err = vn_ratelimit_open(&s->rl_pair, cfg->pair_burst, cfg->pair_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_account, cfg->account_burst, cfg->account_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_inbound, cfg->inbound_burst, cfg->inbound_per_sec)) ||
        (err = vn_ratelimit_open(&s->rl_alert, cfg->alert_burst, cfg->alert_per_hour / 3600)) ||
        (err = vn_ratelimit_open(&s->rl_case_alert, cfg->case_alert_burst,
                                 cfg->case_alert_per_hour / 3600)))
        goto err_free;
    vn_quota_limits ql = {cfg->quota_sender_bytes, cfg->quota_sender_envelopes,
                          cfg->quota_recipient_bytes, cfg->quota_recipient_envelopes,
                          (unsigned)cfg->crisis_reserve_pct};
    vn_quota_limits_default(&ql, cfg->map_size);
    if ((err = vn_quota_open(&s->quota, &ql, vn_log))) goto err_free;
    if ((err = lock_state(s))) goto err_free;
    memcpy(secret, cfg->server_secret, sizeof secret);
    if ((err = vn_sstore_open(&s->store, cfg->state_dir, cfg->map_size, cfg->store_key))) {
        vn_logl(VN_LEVEL_ERROR, "cannot open the store in %s: %s", cfg->state_dir, vn_err_str(err));
        goto err_wipe;
    }
    if ((err = vn_clock_open(&s->clock, s->store, cfg->test_clock))) goto err_store;
    if ((err = vn_scheduler_open(&s->sched, s))) goto err_clock;
    if ((err = index_alerts(s))) goto err_clock;
    s->zctx = zmq_ctx_new();
    if (!s->zctx) {
        err = VN_ETRANSPORT;
        goto err_clock;
    }
    /* CURVE's encryption and the sockets' I/O run on ZeroMQ's I/O threads,
     * the store and the handlers on this loop's: one I/O thread for each
     * further core, up to IO_THREADS_MAX (one on a machine of two). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int io_threads = cores > 2 ? (int)(cores - 1 < IO_THREADS_MAX ? cores - 1 : IO_THREADS_MAX) : 1;
    zmq_ctx_set(s->zctx, ZMQ_IO_THREADS, io_threads);
    if ((err = open_sockets(s, secret))) goto err_sockets;
    if (cfg->cluster && (err = open_cluster(s, cfg))) goto err_sockets;
    if ((err = start_loop(s))) goto err_sockets;
    if ((err = start_cluster(s))) goto err_sockets;
    if (s->cluster && (err = vn_edge_open(s, cfg->store_key))) {
        vn_logl(VN_LEVEL_ERROR, "cluster mode: cannot open request forwarding: %s",
                vn_err_str(err));
        goto err_sockets;
    }
    explicit_bzero(secret, sizeof secret);
    *out = s;
    return VN_OK;

err_sockets:
    vn_edge_close(s);
    vn_cluster_close(&s->cluster);
    if (s->mon) zmq_close(s->mon);
    if (s->router) zmq_close(s->router);
    if (s->zap) zmq_close(s->zap);
    zmq_ctx_term(s->zctx);
    vn_conns_close(&s->conns);
err_clock:
    vn_scheduler_close(&s->sched);
    vn_clock_close(&s->clock);
err_store:
    vn_sstore_close(&s->store);
err_wipe:
    explicit_bzero(secret, sizeof secret);
err_free:
    if (s->lock_fd >= 0) close(s->lock_fd);
    vn_ratelimit_close(&s->rl_pair);
    vn_ratelimit_close(&s->rl_account);
    vn_ratelimit_close(&s->rl_inbound);
    vn_ratelimit_close(&s->rl_alert);
    vn_ratelimit_close(&s->rl_case_alert);
    vn_subs_close(&s->subs);
    vn_peers_close(&s->peers);
    vn_quota_close(&s->quota);
    free(s->batch);
    free(s);
    return err;
}

vn_err vn_server_run(vn_server *self)
{
    uv_poll_start(&self->mon_poll, UV_READABLE, on_mon);
    uv_poll_start(&self->zap_poll, UV_READABLE, on_zap);
    uv_poll_start(&self->router_poll, UV_READABLE, on_router);
    uv_timer_start(&self->sweep, on_sweep, 1000, self->cfg.sweep_ms);
    if (vn_clock_is_test(self->clock)) {
        vn_clock_test_moved(self->clock); /* notes where it is now */
        uv_timer_start(&self->tclock, on_tclock, CLOCK_WATCH_MS, CLOCK_WATCH_MS);
    }
    uv_signal_start(&self->sigterm, on_signal, SIGTERM);
    uv_signal_start(&self->sigint, on_signal, SIGINT);
    /* Messages may have queued before the poll started. */
    on_mon(&self->mon_poll, 0, 0);
    on_zap(&self->zap_poll, 0, 0);
    on_router(&self->router_poll, 0, 0);
    vn_log("ready (test clock %s)", vn_clock_is_test(self->clock) ? "on" : "off");
    self->events_reported_ms = vn_server_mono_ms(self);
    uv_run(&self->loop, UV_RUN_DEFAULT);
    report_events(self);
    vn_log("stopped after %llu requests", (unsigned long long)self->requests);
    return VN_OK;
}

static void on_close(uv_handle_t *h) {}

void vn_server_close(vn_server **self_p)
{
    if (!self_p || !*self_p) return;
    vn_server *s = *self_p;
    vn_edge_close(s);              /* its timer closes in the loop run below */
    vn_cluster_close(&s->cluster); /* its handle closes in the loop run below */
    uv_close((uv_handle_t *)&s->router_poll, on_close);
    uv_close((uv_handle_t *)&s->zap_poll, on_close);
    uv_close((uv_handle_t *)&s->mon_poll, on_close);
    uv_close((uv_handle_t *)&s->sweep, on_close);
    uv_close((uv_handle_t *)&s->tclock, on_close);
    uv_close((uv_handle_t *)&s->trim, on_close);
    uv_close((uv_handle_t *)&s->sched_idle, on_close);
    uv_close((uv_handle_t *)&s->sched_gap, on_close);
    uv_close((uv_handle_t *)&s->drain_idle, on_close);
    uv_close((uv_handle_t *)&s->sigterm, on_close);
    uv_close((uv_handle_t *)&s->sigint, on_close);
    vn_metrics_stop(s->cfg.metrics);
    uv_run(&s->loop, UV_RUN_DEFAULT); /* let the close callbacks run */
    uv_loop_close(&s->loop);
    zmq_close(s->mon);
    zmq_close(s->router);
    zmq_close(s->zap);
    zmq_ctx_term(s->zctx);
    vn_conns_close(&s->conns);
    vn_scheduler_close(&s->sched);
    vn_clock_close(&s->clock);
    vn_sstore_close(&s->store);
    close(s->lock_fd);
    vn_server_commit_notices(s, false); /* drops what no commit sent */
    free(s->notices);
    vn_ratelimit_close(&s->rl_pair);
    vn_ratelimit_close(&s->rl_account);
    vn_ratelimit_close(&s->rl_inbound);
    vn_ratelimit_close(&s->rl_alert);
    vn_ratelimit_close(&s->rl_case_alert);
    vn_subs_close(&s->subs);
    vn_peers_close(&s->peers);
    vn_quota_close(&s->quota);
    free(s->batch);
    free(s);
    *self_p = NULL;
}
