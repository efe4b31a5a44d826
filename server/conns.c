/* Connection limits. The count comes from the ROUTER's monitor: ACCEPTED
 * adds one, DISCONNECTED takes one away. libzmq emits DISCONNECTED for
 * every accepted connection that ends, also one that failed its handshake
 * or was refused by ZAP, so the count is the number of open TCP
 * connections. Those still in their handshake are counted too: they hold a
 * descriptor, which is what the limit protects. */
#include "conns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zmq.h>

/* Descriptors kept back from connections: the store, the lock, libzmq's
 * own (epoll, signalers, the inproc sockets) and connections that are
 * being refused, which hold a descriptor until they close. */
#define FD_MARGIN_MIN 64
#define REPORT_MS     10000 /* most one report line per this many ms */
#define REFUSE_LOG_MS 1000  /* most one refusal line per this many ms */
#define ROUTES_SEEN   1024  /* distinct slow connections told apart per report */

struct vn_conns {
    vn_conns_log_fn log;        /* the server's logger */
    size_t max;                 /* connections allowed at once */
    size_t send_queue;          /* ZMQ_SNDHWM, for the log */
    size_t open;                /* accepted and not yet disconnected */
    uint64_t refused;           /* refused since the last refusal line */
    uint64_t refused_log_ms;    /* when that line was written */
    uint64_t accept_failed;     /* failed accepts since the last report */
    int accept_errno;           /* the errno of the last one */
    uint64_t dropped;           /* replies and pushes dropped since the last report */
    uint64_t too_large;         /* replies replaced by an error since the last report */
    uint64_t seen[ROUTES_SEEN]; /* hashes of the connections that lost replies */
    size_t nseen;               /* how many of seen are set (capped) */
    uint64_t report_ms;         /* when counts were last logged */
};

/* Soft limit to the hard limit: the default soft limit (1024 on Debian)
 * is what made clients past ~1,000 hang. */
static rlim_t raise_nofile(vn_conns_log_fn say)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        say("cannot read the descriptor limit: %s", strerror(errno));
        return 1024;
    }
    rlim_t was = rl.rlim_cur;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            say("cannot raise the descriptor limit from %llu: %s", (unsigned long long)was,
                strerror(errno));
            return was;
        }
        say("descriptor limit raised from %llu to %llu", (unsigned long long)was,
            (unsigned long long)rl.rlim_cur);
    } else {
        say("descriptor limit is %llu (already the hard limit)", (unsigned long long)was);
    }
    return rl.rlim_cur;
}

vn_err vn_conns_open(vn_conns **out, size_t wanted, size_t send_queue, vn_conns_log_fn log)
{
    vn_conns *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->log = log;
    rlim_t nofile = raise_nofile(log);
    /* An eighth of the descriptors, at least FD_MARGIN_MIN, stays free
     * so that a burst of connections to refuse does not run accept()
     * into EMFILE, on which libzmq retries in a tight loop. */
    rlim_t margin = nofile / 8 > FD_MARGIN_MIN ? nofile / 8 : FD_MARGIN_MIN;
    size_t fits = nofile > margin + 1 ? (size_t)(nofile - margin) : 1;
    c->max = wanted;
    if (wanted > fits) {
        c->max = fits;
        c->log("--max-connections %zu does not fit in the descriptor limit of %llu (one each, "
               "and %llu kept for the server): lowered to %zu",
               wanted, (unsigned long long)nofile, (unsigned long long)margin, fits);
    }
    c->send_queue = send_queue;
    c->log("accepting at most %zu connections; at most %zu replies queued per connection", c->max,
           send_queue);
    *out = c;
    return VN_OK;
}

void vn_conns_close(vn_conns **self_p)
{
    if (!self_p || !*self_p) return;
    vn_conns_report(*self_p, 0, true);
    free(*self_p);
    *self_p = NULL;
}

size_t vn_conns_max(const vn_conns *self)
{
    return self->max;
}

void vn_conns_event(vn_conns *self, const vn_listen_event *ev, uint64_t now_ms)
{
    if (ev->event == ZMQ_EVENT_ACCEPTED) {
        self->open++;
    } else if (ev->event == ZMQ_EVENT_DISCONNECTED) {
        if (self->open) self->open--;
    } else if (ev->event == ZMQ_EVENT_ACCEPT_FAILED) {
        self->accept_failed++;
        self->accept_errno = (int)ev->value;
        vn_conns_report(self, now_ms, false);
    }
}

/* Logs the refusals counted since the last such line. */
static void log_refused(vn_conns *self, uint64_t now_ms)
{
    if (!self->refused) return;
    self->log("server busy: refused %llu connections (%zu open, the limit is %zu)",
              (unsigned long long)self->refused, self->open, self->max);
    self->refused = 0;
    self->refused_log_ms = now_ms;
}

bool vn_conns_admit(vn_conns *self, uint64_t now_ms)
{
    if (self->open <= self->max) return true;
    self->refused++;
    /* A burst of refusals is one line a second, not one line each. */
    if (!self->refused_log_ms || now_ms - self->refused_log_ms >= REFUSE_LOG_MS)
        log_refused(self, now_ms);
    return false;
}

/* FNV-1a: only to tell connections apart in a count. */
static uint64_t route_hash(const uint8_t *route, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ route[i]) * 1099511628211ULL;
    return h;
}

void vn_conns_dropped(vn_conns *self, const uint8_t *route, size_t route_len, uint64_t now_ms)
{
    uint64_t h = route_hash(route, route_len);
    bool known = false;
    for (size_t i = 0; i < self->nseen && !known; i++)
        known = self->seen[i] == h;
    if (!known && self->nseen < ROUTES_SEEN) self->seen[self->nseen++] = h;
    self->dropped++;
    vn_conns_report(self, now_ms, false);
}

void vn_conns_too_large(vn_conns *self)
{
    self->too_large++;
}

void vn_conns_report(vn_conns *self, uint64_t now_ms, bool force)
{
    if (force || now_ms - self->refused_log_ms >= REFUSE_LOG_MS) log_refused(self, now_ms);
    if (!self->dropped && !self->accept_failed && !self->too_large) return;
    if (!force && self->report_ms && now_ms - self->report_ms < REPORT_MS) return;
    if (self->dropped)
        self->log("dropped %llu replies to %zu%s connections whose send queue (%zu) was full: "
                  "their clients do not read; they time out and retry",
                  (unsigned long long)self->dropped, self->nseen,
                  self->nseen == ROUTES_SEEN ? "+" : "", self->send_queue);
    if (self->too_large)
        self->log("%llu replies over the frame limit were answered with an error",
                  (unsigned long long)self->too_large);
    if (self->accept_failed)
        self->log("%llu connections could not be accepted: %s",
                  (unsigned long long)self->accept_failed, strerror(self->accept_errno));
    self->dropped = self->too_large = self->accept_failed = 0;
    self->nseen = 0;
    self->report_ms = now_ms;
}
