/* `vangnet daemon` and `vangnet jsonrpc`: the loop (see daemon.h). The
 * server connection is the profile's own (c->conn): commands run through
 * it as in the CLI, and between them the loop takes pushes off it and
 * stores them (vn_inbox_receive) before they are acknowledged. Every
 * CHECK_MS it subscribes again and fetches, as inbox --follow does: a
 * restarted server knows no subscription, and what waited while the
 * connection was down is fetched then. */
#define _GNU_SOURCE
#include "daemon.h"

#include "args.h"

#include "vn/frame.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS      64
#define TURN_MS        1000       /* longest wait of the loop with nothing to do */
#define CHECK_MS       5000       /* subscribe again and fetch this often */
#define RETRY_MS       500        /* first wait after the server was lost; doubles */
#define RETRY_MAX_MS   30000      /* longest wait between tries */
#define SERVER_CALL_MS 3000       /* the loop's own calls: a lost server holds it this long */
#define REQUEST_MS     10000      /* a client has this long to send a whole request */
#define IDLE_MS        600000     /* a connection that neither asks nor listens is closed */
#define WRITE_MS       10000      /* a reader has this long to take an answer */
#define SUB_OUT_MAX    (8u << 20) /* events queued for one subscriber that does not read */
#define SSE_PING_MS    15000      /* a comment line keeps an idle event stream alive */

typedef struct vn_daemon {
    vn_client *c;
    int sock, http;     /* listeners, -1 when none */
    unsigned http_port; /* the HTTP port, for Host checks */
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    bool stdio;                 /* vangnet jsonrpc: one connection, on standard input and output */
    vn_dconn *conns[MAX_CONNS]; /* open connections */
    size_t nconns;
    vn_dconn *current; /* the connection whose request is being answered */
    bool receiving;    /* takes pushes (always for the daemon; jsonrpc once someone subscribes) */
    bool server_ok;    /* the last exchange with the server worked */
    bool stopping;     /* the profile was closed: answers go out, then the loop ends */
    int64_t next_check, retry_ms, next_ping;
    uint64_t seq;                         /* events so far */
    char changed[32][VN_ACCOUNT_HEX + 1]; /* identity changes told (their messages stay held) */
    size_t nchanged;
    vn_notify *notify;
    vn_stored_hook hook;
} vn_daemon;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vangnet daemon: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- connections ---- */

bool vn_dconn_put(vn_dconn *k, const char *s, size_t len)
{
    if (k->outlen + len > k->outcap) {
        size_t cap = k->outcap ? k->outcap : 4096;
        while (cap < k->outlen + len)
            cap *= 2;
        char *b = realloc(k->out, cap);
        if (!b) return false;
        k->out = b;
        k->outcap = cap;
    }
    memcpy(k->out + k->outlen, s, len);
    k->outlen += len;
    return true;
}

static vn_dconn *conn_add(vn_daemon *d, int rfd, int wfd, vn_dconn_kind kind)
{
    vn_dconn *k = d->nconns < MAX_CONNS ? calloc(1, sizeof *k) : NULL;
    if (!k) {
        if (rfd != STDIN_FILENO) close(rfd);
        return NULL;
    }
    k->rfd = rfd;
    k->wfd = wfd;
    k->kind = kind;
    k->deadline = d->stdio ? 0 : mono_ms() + (kind == VN_DCONN_RPC ? IDLE_MS : REQUEST_MS);
    d->conns[d->nconns++] = k;
    return k;
}

static void conn_free(vn_daemon *d, size_t i)
{
    vn_dconn *k = d->conns[i];
    if (k->rfd >= 0) close(k->rfd);
    if (k->wfd >= 0 && k->wfd != k->rfd) close(k->wfd);
    free(k->in);
    free(k->out);
    free(k);
    d->conns[i] = d->conns[--d->nconns];
}

/* Sends one event to every subscriber; one that lets too much pile up
 * is dropped (it misses events, and is told so by losing the connection). */
static void broadcast(vn_daemon *d, json_t *ev, const char *kind)
{
    json_t *n = json_pack("{s:s, s:s, s:O}", "jsonrpc", "2.0", "method", "event", "params", ev);
    char *line = n ? json_dumps(n, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    char *data = json_dumps(ev, JSON_COMPACT | JSON_ENSURE_ASCII);
    char head[96];
    int hl = snprintf(head, sizeof head, "event: %s\nid: %llu\ndata: ", kind,
                      (unsigned long long)d->seq);
    for (size_t i = 0; line && data && i < d->nconns; i++) {
        vn_dconn *k = d->conns[i];
        if (!k->subscribed || k->closing) continue;
        bool ok = k->kind == VN_DCONN_SSE
                      ? vn_dconn_put(k, head, (size_t)hl) && vn_dconn_put(k, data, strlen(data)) &&
                            vn_dconn_put(k, "\n\n", 2)
                      : vn_dconn_put(k, line, strlen(line)) && vn_dconn_put(k, "\n", 1);
        if (!ok || k->outlen > SUB_OUT_MAX) {
            logf_("a subscriber does not read its events; it is dropped");
            k->closing = true;
            k->outlen = 0;
            k->deadline = mono_ms();
        }
    }
    free(line);
    free(data);
    json_decref(n);
}

/* The receive path stored a message: an event, and maybe a notification. */
static void on_stored(void *ud, const vn_stored *s)
{
    vn_daemon *d = ud;
    if (s->identity_changed) {
        /* A held message comes back with every fetch: tell of it once a run. */
        for (size_t i = 0; i < d->nchanged && i < 32; i++)
            if (strcmp(d->changed[i], s->identity_changed) == 0) return;
        snprintf(d->changed[d->nchanged++ % 32], sizeof d->changed[0], "%s", s->identity_changed);
    }
    vn_event_note note;
    json_t *ev = vn_event_of(d->c, s, d->notify && vn_notify_content(d->notify), &note);
    if (!ev) return;
    json_object_set_new(ev, "seq", json_integer((json_int_t)++d->seq));
    broadcast(d, ev, note.kind);
    if (d->notify && note.notify) vn_notify_event(d->notify, d->c, &note);
    json_decref(ev);
}

static bool subscribe_current(void *ud)
{
    vn_daemon *d = ud;
    if (!d->current) return false;
    d->current->subscribed = true;
    d->current->deadline = 0;
    if (!d->receiving) d->next_check = 0;
    d->receiving = true;
    return true;
}

/* Answers one request text on k. */
static void answer(vn_daemon *d, vn_dconn *k, const char *text, size_t len, bool lines)
{
    vn_rpc_ctx x = {.c = d->c, .subscribe = lines ? subscribe_current : NULL, .ud = d};
    char *reply = NULL;
    d->current = k;
    vn_err err = VN_OK;
    if (d->stopping)
        reply = vn_rpc_error_text(VN_RPC_INTERNAL, "NOTFOUND",
                                  "the profile was closed (its account deleted)");
    else
        err = vn_rpc_handle(&x, text, len, &reply);
    d->current = NULL;
    if (x.closed && !d->stopping) {
        logf_("the profile was closed (its account deleted): stopping");
        d->stopping = true;
    }
    if (err) reply = vn_rpc_error_text(VN_RPC_INTERNAL, "NOMEM", "out of memory");
    if (lines && reply) {
        if (!vn_dconn_put(k, reply, strlen(reply)) || !vn_dconn_put(k, "\n", 1)) k->closing = true;
    } else if (!lines) {
        if (reply)
            vn_http_respond(k, 200, "application/json", reply, strlen(reply));
        else
            vn_http_respond(k, 204, NULL, "", 0);
    }
    free(reply);
}

/* Whole lines of k's input, each a request; a line longer than the limit
 * is answered with an error and the connection closed. */
static void process_lines(vn_daemon *d, vn_dconn *k)
{
    size_t at = 0;
    while (!k->closing) {
        char *nl = memchr(k->in + at, '\n', k->inlen - at);
        size_t n = nl ? (size_t)(nl - (k->in + at)) : k->inlen - at;
        if (n > VN_RPC_MAX_REQUEST) {
            char *e = vn_rpc_error_text(VN_RPC_INVALID, "TOOBIG",
                                        "request longer than 1048576 bytes; the connection ends");
            if (e) vn_dconn_put(k, e, strlen(e)), vn_dconn_put(k, "\n", 1);
            free(e);
            k->closing = true;
            at = k->inlen;
            break;
        }
        if (!nl && !(k->eof && n > 0)) break;
        size_t s = 0;
        while (s < n && (k->in[at + s] == ' ' || k->in[at + s] == '\t' || k->in[at + s] == '\r'))
            s++;
        if (s < n) answer(d, k, k->in + at + s, n - s, true);
        at += n + (nl ? 1 : 0);
        if (!d->stdio && !k->subscribed) k->deadline = mono_ms() + IDLE_MS;
    }
    memmove(k->in, k->in + at, k->inlen - at);
    k->inlen -= at;
    if (k->inlen && !d->stdio && !k->subscribed) k->deadline = mono_ms() + REQUEST_MS;
}

static void process_http(vn_daemon *d, vn_dconn *k)
{
    vn_http_req req;
    char body[256];
    switch (vn_http_parse(k->in, k->inlen, d->http_port, &req)) {
    case VN_HTTP_MORE:
        if (k->eof) k->closing = true;
        return;
    case VN_HTTP_FAIL: {
        json_t *j = json_pack("{s:s}", "error", req.why);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        vn_http_respond(k, req.status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
        free(s);
        json_decref(j);
        break;
    }
    case VN_HTTP_HEALTH:
        snprintf(body, sizeof body, "{\"ok\":true,\"server\":\"%s\"}",
                 d->server_ok ? "connected" : "disconnected");
        vn_http_respond(k, 200, "application/json", body, strlen(body));
        break;
    case VN_HTTP_EVENTS:
        if (!vn_http_stream_head(k)) k->closing = true;
        k->kind = VN_DCONN_SSE;
        k->subscribed = true;
        k->deadline = 0;
        if (!d->receiving) d->next_check = 0;
        d->receiving = true;
        break;
    case VN_HTTP_RPC:
        answer(d, k, req.body, req.bodylen, false);
        break;
    }
    k->inlen = 0;
    if (k->kind == VN_DCONN_HTTP) k->deadline = mono_ms() + WRITE_MS;
}

/* Reads what k has; false when it is finished with. */
static bool conn_read(vn_daemon *d, vn_dconn *k)
{
    size_t limit = VN_RPC_MAX_REQUEST + 64 * 1024;
    if (k->incap - k->inlen < 65536) {
        size_t cap = k->incap ? k->incap * 2 : 65536 * 2;
        char *b = cap <= 2 * limit ? realloc(k->in, cap) : NULL;
        if (!b && k->incap - k->inlen == 0) return false;
        if (b) k->in = b, k->incap = cap;
    }
    ssize_t n = read(k->rfd, k->in + k->inlen, k->incap - k->inlen);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) k->eof = true;
    k->inlen += (size_t)n;
    if (k->kind == VN_DCONN_RPC)
        process_lines(d, k);
    else if (k->kind == VN_DCONN_HTTP)
        process_http(d, k);
    else
        k->inlen = 0; /* an event stream's reader has nothing to say */
    return true;
}

/* Writes what k has pending; false when the reader is gone. */
static bool conn_write(vn_daemon *d, vn_dconn *k)
{
    while (k->outlen > 0) {
        ssize_t n = write(k->wfd, k->out, k->outlen);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno == EAGAIN;
        memmove(k->out, k->out + n, k->outlen - (size_t)n);
        k->outlen -= (size_t)n;
        if (!d->stdio && k->kind == VN_DCONN_RPC && !k->subscribed)
            k->deadline = mono_ms() + IDLE_MS;
    }
    return true;
}

/* Whether k is done: closed by its reader, answered, or past its time. */
static bool conn_done(vn_daemon *d, vn_dconn *k, int64_t now)
{
    if (k->closing && k->outlen == 0) return true;
    if (k->eof && k->inlen == 0 && k->outlen == 0 && k->kind != VN_DCONN_SSE) return true;
    if (k->eof && k->kind == VN_DCONN_SSE) return true;
    if (k->kind == VN_DCONN_HTTP && k->outlen == 0 && k->closing) return true;
    (void)d;
    return k->deadline && now >= k->deadline;
}

/* ---- the server ---- */

/* Subscribes again and fetches what waits (after a restart of the server
 * or a lost connection: everything that came meanwhile); after an outage,
 * sends what the outbox kept. */
static void server_check(vn_daemon *d)
{
    vn_client *c = d->c;
    vn_flushed fl;
    vn_err err = vn_lock_take(c);
    if (!err) {
        err = vn_client_connect(c);
        if (!err) vn_conn_set_timeout(c->conn, SERVER_CALL_MS, 500);
        if (!err) err = vn_inbox_subscribe(c);
        if (!err) err = vn_inbox_receive(c, NULL);
        if (!err && !d->server_ok && vn_outbox_send(c, &fl) == VN_OK)
            vn_outbox_report_refused(c, &fl);
        if (c->conn) vn_conn_set_timeout(c->conn, c->timeout_ms, 1000);
        vn_lock_drop(c);
    }
    int64_t now = mono_ms();
    if (err) {
        d->retry_ms = d->retry_ms
                          ? (d->retry_ms * 2 < RETRY_MAX_MS ? d->retry_ms * 2 : RETRY_MAX_MS)
                          : RETRY_MS;
        logf_("the server is out of reach (%s); trying again in %.1f s", vn_err_str(err),
              (double)d->retry_ms / 1000);
        d->server_ok = false;
        d->next_check = now + d->retry_ms;
        return;
    }
    if (!d->server_ok) logf_("connected to the server");
    d->server_ok = true;
    d->retry_ms = 0;
    d->next_check = now + CHECK_MS;
}

/* Stores what the server pushed. A failure (the server went away between
 * push and ack) brings the next check forward: the message comes again. */
static void server_pump(vn_daemon *d)
{
    vn_client *c = d->c;
    Vn__Reply *rep = NULL;
    while (c->conn && vn_conn_next_push(c->conn, 0, &rep) == VN_OK) {
        vn_err err = vn_lock_take(c);
        if (!err) {
            vn_conn_set_timeout(c->conn, SERVER_CALL_MS, 500);
            err = vn_inbox_receive(c, rep->envelopes);
            vn_conn_set_timeout(c->conn, c->timeout_ms, 1000);
            vn_lock_drop(c);
        }
        vn_frame_reply_free(rep);
        if (err) {
            logf_("storing what the server pushed failed (%s); fetching again", vn_err_str(err));
            d->next_check = 0;
            return;
        }
    }
}

/* ---- listeners ---- */

/* A daemon that answers on path already serves this profile; a socket
 * file nobody answers on is left from one that died, and goes. */
static vn_err claim_socket(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return VN_EIO;
    bool live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    if (live) return VN_EEXISTS;
    if (unlink(path) != 0 && errno != ENOENT) return VN_EIO;
    return VN_OK;
}

static vn_err listen_socket(vn_daemon *d)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", d->c->profile, VN_DAEMON_SOCK);
    if (n < 0 || (size_t)n >= sizeof sa.sun_path) return VN_ETOOBIG;
    snprintf(d->sock_path, sizeof d->sock_path, "%s", sa.sun_path);
    vn_err err = claim_socket(d->sock_path);
    if (err) return err;
    d->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->sock < 0) return VN_EIO;
    mode_t old = umask(0177); /* the socket is born 0600: only its owner may connect */
    int rc = bind(d->sock, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || chmod(d->sock_path, 0600) != 0 || listen(d->sock, 64) != 0) return VN_EIO;
    return VN_OK;
}

/* Only this user's processes: the socket's mode says so, and the peer's
 * credentials say it again. */
static void accept_on(vn_daemon *d, int lfd, vn_dconn_kind kind)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (kind == VN_DCONN_RPC) {
            struct ucred cr;
            socklen_t len = sizeof cr;
            if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != getuid()) {
                close(fd);
                continue;
            }
        }
        if (!conn_add(d, fd, fd, kind)) {
            logf_("too many connections (%d); one was refused", MAX_CONNS);
            return;
        }
    }
}

/* ---- the loop ---- */

static size_t build_poll(vn_daemon *d, struct pollfd *p)
{
    size_t n = 0;
    if (d->sock >= 0) p[n++] = (struct pollfd){.fd = d->sock, .events = POLLIN};
    if (d->http >= 0) p[n++] = (struct pollfd){.fd = d->http, .events = POLLIN};
    for (size_t i = 0; i < d->nconns; i++) {
        vn_dconn *k = d->conns[i];
        short ev = 0;
        if (!k->eof && !k->closing && !d->stopping && k->outlen < (1u << 20)) ev |= POLLIN;
        if (k->outlen) ev |= POLLOUT;
        /* Standard input and output are two descriptors: one entry each. */
        p[n++] = (struct pollfd){.fd = k->rfd, .events = (short)(ev & POLLIN)};
        p[n++] = (struct pollfd){.fd = k->wfd, .events = (short)(ev & POLLOUT)};
    }
    return n;
}

static void serve_conns(vn_daemon *d, struct pollfd *p, size_t at)
{
    int64_t now = mono_ms();
    size_t n = d->nconns;
    vn_dconn *seen[MAX_CONNS];
    memcpy(seen, d->conns, n * sizeof seen[0]);
    for (size_t i = 0; i < n; i++) {
        vn_dconn *k = seen[i];
        short rin = p[at + 2 * i].revents, rout = p[at + 2 * i + 1].revents;
        bool ok = true;
        if (rin & (POLLIN | POLLHUP | POLLERR)) ok = conn_read(d, k);
        if (ok && k->outlen && (rout & (POLLOUT | POLLERR | POLLHUP))) ok = conn_write(d, k);
        if (!ok) k->closing = true, k->outlen = 0;
    }
    for (size_t i = d->nconns; i-- > 0;)
        if (conn_done(d, d->conns[i], now)) conn_free(d, i);
}

static void ping_streams(vn_daemon *d)
{
    int64_t now = mono_ms();
    if (now < d->next_ping) return;
    d->next_ping = now + SSE_PING_MS;
    for (size_t i = 0; i < d->nconns; i++)
        if (d->conns[i]->kind == VN_DCONN_SSE && !d->conns[i]->closing)
            vn_dconn_put(d->conns[i], ": ping\n\n", 8);
}

static bool all_written(const vn_daemon *d)
{
    for (size_t i = 0; i < d->nconns; i++)
        if (d->conns[i]->outlen) return false;
    return true;
}

static void loop(vn_daemon *d)
{
    struct pollfd p[4 + 2 * MAX_CONNS];
    int64_t stop_by = 0;
    while (!stop_signal) {
        if (d->stopping && !stop_by) stop_by = mono_ms() + WRITE_MS / 5;
        if (d->stopping && (all_written(d) || mono_ms() >= stop_by)) break;
        size_t n = build_poll(d, p), at = (d->sock >= 0) + (d->http >= 0);
        int timeout = TURN_MS;
        if (d->receiving) {
            int64_t check = d->next_check - mono_ms();
            if (check < timeout) timeout = check < 0 ? 0 : (int)check;
        }
        if (d->receiving && d->c->conn) {
            /* The server's connection wakes the loop as the sockets do:
             * a push is stored the moment it comes. */
            int fds[2];
            size_t k = vn_conn_fds(d->c->conn, fds);
            for (size_t i = 0; i < k; i++)
                p[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
            if (vn_conn_ready(d->c->conn)) timeout = 0;
        }
        if (poll(p, n, timeout) < 0 && errno != EINTR) break;
        if (stop_signal) break;
        if (d->sock >= 0 && (p[0].revents & POLLIN)) accept_on(d, d->sock, VN_DCONN_RPC);
        if (d->http >= 0 && (p[d->sock >= 0].revents & POLLIN))
            accept_on(d, d->http, VN_DCONN_HTTP);
        serve_conns(d, p, at);
        if (d->stdio && d->nconns == 0) break; /* jsonrpc: the input ended and all is answered */
        if (d->stopping) continue;             /* no profile any more: only answers go out */
        if (d->receiving && mono_ms() >= d->next_check) server_check(d);
        if (d->receiving) server_pump(d);
        if (d->notify) vn_notify_tick(d->notify, d->c);
        ping_streams(d);
    }
}

/* Sets up what both commands share: signals, the receive hook; the
 * profile's lock is let go between pieces of work, as inbox --follow
 * does, so that a command run elsewhere meanwhile need not wait. */
static void begin(vn_daemon *d, vn_client *c)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->c = c;
    d->sock = d->http = -1;
    d->hook = (vn_stored_hook){.fn = on_stored, .ud = d};
    c->on_stored = &d->hook;
    vn_lock_drop(c); /* the level vn_client_open took */
}

static void end(vn_daemon *d)
{
    while (d->nconns)
        conn_free(d, d->nconns - 1);
    if (d->sock >= 0) {
        close(d->sock);
        unlink(d->sock_path);
    }
    if (d->http >= 0) close(d->http);
    vn_notify_free(&d->notify);
    if (d->c->kv) {
        d->c->on_stored = NULL;
        vn_lock_take(d->c); /* back to the level vn_client_close lets go of */
    }
}

/* ---- settings and the commands ---- */

/* PROFILE/daemon.conf: "key = value" lines, # comments. */
typedef struct settings {
    char notify_cmd[1024];
    bool notify_content;
    char http[128];
} settings;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Returns 0, or an exit code after saying what was wrong with the file. */
static int read_settings(vn_client *c, settings *s)
{
    char path[4200], line[1200];
    int lineno = 0, rc = 0;
    snprintf(path, sizeof path, "%s/daemon.conf", c->profile);
    FILE *f = fopen(path, "re");
    if (!f) return 0; /* no settings: the defaults */
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *l = trim(line), *eq = strchr(l, '=');
        if (!l[0] || l[0] == '#') continue;
        if (!eq) {
            rc = vn_client_fail(c, VN_EINVAL, "%s:%d: not key = value", path, lineno);
            break;
        }
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (strcmp(k, "notify-cmd") == 0 && strlen(v) < sizeof s->notify_cmd)
            snprintf(s->notify_cmd, sizeof s->notify_cmd, "%s", v);
        else if (strcmp(k, "notify-content") == 0 && (!strcmp(v, "yes") || !strcmp(v, "no")))
            s->notify_content = strcmp(v, "yes") == 0;
        else if (strcmp(k, "http") == 0 && strlen(v) < sizeof s->http)
            snprintf(s->http, sizeof s->http, "%s", v);
        else
            rc = vn_client_fail(c, VN_EINVAL,
                                "%s:%d: unknown setting or bad value for %s (known: notify-cmd = "
                                "CMD, notify-content = yes|no, http = 127.0.0.1:PORT)",
                                path, lineno, k);
    }
    fclose(f);
    return rc;
}

int vn_cmd_daemon(vn_client *c, const vn_args *a)
{
    vn_daemon d = {0};
    settings s = {.notify_content = false};
    char why[200];
    int rc = read_settings(c, &s);
    if (rc) return rc;
    if (vn_args_get(a, "--notify-cmd"))
        snprintf(s.notify_cmd, sizeof s.notify_cmd, "%s", vn_args_get(a, "--notify-cmd"));
    if (vn_args_has(a, "--notify-content")) s.notify_content = true;
    if (vn_args_get(a, "--http")) snprintf(s.http, sizeof s.http, "%s", vn_args_get(a, "--http"));
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    begin(&d, c);
    if (s.http[0] && vn_http_listen(s.http, &d.http, &d.http_port, why, sizeof why))
        rc = vn_client_fail_usage(c, "--http %s: %s", s.http, why);
    vn_err err = rc ? VN_OK : listen_socket(&d);
    if (err == VN_EEXISTS)
        rc = vn_client_fail(c, err, "a daemon already serves profile %s (%s answers)", c->profile,
                            d.sock_path);
    else if (err)
        rc = vn_client_fail(c, err, "cannot listen on %s/%s: %s", c->profile, VN_DAEMON_SOCK,
                            err == VN_EIO ? strerror(errno) : vn_err_str(err));
    if (!rc && s.notify_cmd[0] && vn_notify_new(&d.notify, s.notify_cmd, s.notify_content))
        rc = vn_client_fail(c, VN_ENOMEM, "out of memory");
    if (!rc) {
        logf_("serving %s%s%s%s", d.sock_path, s.http[0] ? " and http://" : "", s.http,
              d.notify ? "; notifications on" : "");
        d.receiving = true;
        loop(&d);
        logf_("stopped");
    }
    end(&d);
    return rc;
}

int vn_cmd_jsonrpc(vn_client *c, const vn_args *a)
{
    vn_daemon d = {.stdio = true};
    (void)a;
    begin(&d, c);
    int in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3),
        out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    int rc = EXIT_OK;
    if (in < 0 || out < 0 || !conn_add(&d, in, out, VN_DCONN_RPC))
        rc = vn_client_fail(c, VN_EIO, "cannot use standard input and output");
    else
        loop(&d);
    end(&d);
    return rc;
}
