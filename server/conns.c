/* Connection limits, from the ROUTER's monitor. Every accepted connection
 * (ACCEPTED) ends its handshake with exactly one HANDSHAKE_SUCCEEDED or
 * HANDSHAKE_FAILED_* (also when the peer just hangs up, or ZAP refuses it)
 * and closes with one DISCONNECTED, in that order, all from the I/O
 * thread. Only ACCEPTED and DISCONNECTED name the descriptor, so the
 * counts are kept as totals:
 *   open        = accepted - disconnected         (descriptors held)
 *   established = succeeded + failed - disconnected
 * (a failed one's DISCONNECTED cancels its failure). No handshake event
 * names its descriptor (libzmq 4.3's version 1 events carry 0, a status or
 * an errno), so a refused connection counts as established until it
 * closes: an honest client closes it at once, one that keeps it open only
 * makes the server refuse more, never admit more. The maximum applies
 * to established connections plus those ZAP has admitted whose handshake
 * has not finished yet, so a burst of handshakes is admitted up to the
 * maximum instead of counting against it while it is still in progress.
 * Open connections are bounded separately by the descriptors. */
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
#define SEEN_SLOTS    2048  /* the set of them: open addressing, at most half full */
/* An admitted handshake finishes within milliseconds of the ZAP reply; one
 * that has not after this long failed (its client hung up, or libzmq's
 * 30 s handshake interval ended it) and no longer holds a place. As long
 * as that interval, so that a starved machine never admits past the
 * maximum. */
#define GRANT_MS 30000

struct vn_conns {
    vn_conns_log_fn log;        /* the server's logger */
    size_t max;                 /* connections allowed at once */
    size_t send_queue;          /* ZMQ_SNDHWM, for the log */
    size_t fits;                /* most open connections the descriptors allow */
    uint64_t accepted;          /* totals of the monitor's events */
    uint64_t succeeded;         /* handshakes that succeeded */
    uint64_t failed;            /* handshakes that failed (ZAP refusals too) */
    uint64_t disconnected;      /* connections that closed */
    uint64_t *grants;           /* ring of times (ms) ZAP admitted a connection */
    size_t grant_head, ngrants; /* oldest entry and count; at most max */
    uint64_t refused;           /* refused since the last refusal line */
    uint64_t refused_log_ms;    /* when that line was written */
    uint64_t accept_failed;     /* failed accepts since the last report */
    int accept_errno;           /* the errno of the last one */
    uint64_t dropped;           /* replies and pushes dropped since the last report */
    uint64_t too_large;         /* replies replaced by an error since the last report */
    uint64_t seen[SEEN_SLOTS];  /* hashes of the connections that lost replies (0: free) */
    size_t nseen;               /* how many of seen are set (capped at ROUTES_SEEN) */
    uint64_t report_ms;         /* when counts were last logged */
    uint64_t churn;             /* connections opened or closed since the last trim */
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
    c->fits = fits;
    c->max = wanted;
    if (wanted > fits) {
        c->max = fits;
        c->log("--max-connections %zu does not fit in the descriptor limit of %llu (one each, "
               "and %llu kept for the server): lowered to %zu",
               wanted, (unsigned long long)nofile, (unsigned long long)margin, fits);
    }
    c->send_queue = send_queue;
    c->grants = calloc(c->max ? c->max : 1, sizeof *c->grants);
    if (!c->grants) {
        free(c);
        return VN_ENOMEM;
    }
    c->log("accepting at most %zu connections; at most %zu replies queued per connection", c->max,
           send_queue);
    *out = c;
    return VN_OK;
}

void vn_conns_close(vn_conns **self_p)
{
    if (!self_p || !*self_p) return;
    vn_conns_report(*self_p, 0, true);
    free((*self_p)->grants);
    free(*self_p);
    *self_p = NULL;
}

size_t vn_conns_max(const vn_conns *self)
{
    return self->max;
}

static size_t open_now(const vn_conns *self)
{
    return self->accepted > self->disconnected ? (size_t)(self->accepted - self->disconnected) : 0;
}

static size_t established(const vn_conns *self)
{
    uint64_t ended = self->succeeded + self->failed;
    return ended > self->disconnected ? (size_t)(ended - self->disconnected) : 0;
}

/* Forgets the oldest admission: its handshake finished, or is too old. */
static void grant_pop(vn_conns *self)
{
    if (!self->ngrants) return;
    self->grant_head = (self->grant_head + 1) % self->max;
    self->ngrants--;
}

void vn_conns_event(vn_conns *self, const vn_listen_event *ev, uint64_t now_ms)
{
    if (ev->event == ZMQ_EVENT_ACCEPTED) {
        self->accepted++;
        self->churn++;
    } else if (ev->event == ZMQ_EVENT_DISCONNECTED) {
        self->disconnected++;
        self->churn++;
    } else if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        self->succeeded++;
        grant_pop(self);
    } else if (ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
               ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
               ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        self->failed++;
    } else if (ev->event == ZMQ_EVENT_ACCEPT_FAILED) {
        self->accept_failed++;
        self->accept_errno = (int)ev->value;
        vn_conns_report(self, now_ms, false);
    }
}

bool vn_conns_trim_due(const vn_conns *self)
{
    return self->churn >= VN_CONNS_TRIM_CHURN;
}

void vn_conns_trimmed(vn_conns *self)
{
    self->churn = 0;
}

size_t vn_conns_open_now(const vn_conns *self)
{
    return open_now(self);
}

/* Logs the refusals counted since the last such line. */
static void log_refused(vn_conns *self, uint64_t now_ms)
{
    if (!self->refused) return;
    self->log("server busy: refused %llu connections (%zu admitted, %zu open, the limit is %zu)",
              (unsigned long long)self->refused, established(self) + self->ngrants, open_now(self),
              self->max);
    self->refused = 0;
    self->refused_log_ms = now_ms;
}

bool vn_conns_admit(vn_conns *self, uint64_t now_ms)
{
    while (self->ngrants && now_ms - self->grants[self->grant_head] >= GRANT_MS)
        grant_pop(self);
    /* The descriptors bound the connections being refused too (they stay
     * open until their refusal is sent); the maximum, the admitted ones. */
    if (open_now(self) <= self->fits && established(self) + self->ngrants < self->max) {
        self->grants[(self->grant_head + self->ngrants) % self->max] = now_ms;
        self->ngrants++;
        return true;
    }
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
    /* A set, not a scan: a flood of slow readers drops a reply each time. */
    h |= 1; /* never 0, which marks a free slot */
    size_t i = (size_t)(h >> 32) % SEEN_SLOTS;
    while (self->seen[i] && self->seen[i] != h)
        i = (i + 1) % SEEN_SLOTS;
    if (!self->seen[i] && self->nseen < ROUTES_SEEN) {
        self->seen[i] = h;
        self->nseen++;
    }
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
    if (self->nseen) memset(self->seen, 0, sizeof self->seen);
    self->nseen = 0;
    self->report_ms = now_ms;
}
