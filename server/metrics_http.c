/* The --metrics endpoint: a small HTTP/1.0 responder on the server's loop.
 * It answers `GET /metrics` with the counters and closes; anything else
 * gets a short error. Only loopback addresses and UNIX sockets are
 * accepted: the counters are for the machine's own scraper (or an SSH
 * tunnel), never for the network. */
#include "metrics_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUEST_MAX 2048 /* bytes of request read, at most */
#define CLIENT_MS   5000 /* a scraper that sends nothing is closed after */
#define PATH_MAX_UN 107  /* sun_path, less its terminator */

typedef struct vn_http_client {
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } h;
    uv_timer_t timer;
    uv_write_t write;
    vn_metrics *m;
    size_t slot;   /* in m->clients */
    int open;      /* handles not yet closed (stream, timer) */
    bool answered; /* a reply is on its way; ignore further input */
    char *reply;   /* malloc'd response being written */
    size_t len;    /* request bytes in buf */
    char buf[REQUEST_MAX];
} vn_http_client;

/* --- addresses --- */

typedef struct http_addr {
    bool unix_path;
    struct sockaddr_storage sa;
} http_addr;

static vn_err parse_addr(const char *addr, http_addr *out, char *msg, size_t msgsize)
{
    memset(out, 0, sizeof *out);
    if (addr[0] == '/') {
        if (strlen(addr) > PATH_MAX_UN) {
            snprintf(msg, msgsize, "--metrics: the socket path %s is too long", addr);
            return VN_EINVAL;
        }
        out->unix_path = true;
        return VN_OK;
    }
    const char *colon = strrchr(addr, ':');
    char host[64];
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    if (!colon || !*(colon + 1) || *end || port == 0 || port > 65535 || hl == 0 ||
        hl >= sizeof host)
        goto bad;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
        if (uv_ip6_addr(host + 1, (int)port, s6) != 0) goto bad;
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr)) goto not_local;
        return VN_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
    if (uv_ip4_addr(host, (int)port, s4) != 0) goto bad;
    if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) goto not_local;
    return VN_OK;
bad:
    snprintf(msg, msgsize,
             "--metrics must be HOST:PORT such as 127.0.0.1:9477 or [::1]:9477, or a UNIX socket "
             "path, not %s",
             addr);
    return VN_EINVAL;
not_local:
    snprintf(msg, msgsize,
             "--metrics %s is not a loopback address: the counters are served on 127.0.0.0/8, "
             "[::1] or a UNIX socket only (scrape from another machine through a tunnel)",
             addr);
    return VN_EINVAL;
}

vn_err vn_metrics_check_addr(const char *addr, char *msg, size_t msgsize)
{
    http_addr a;
    return parse_addr(addr, &a, msg, msgsize);
}

/* --- connections --- */

static void on_client_closed(uv_handle_t *h)
{
    vn_http_client *c = h->data;
    if (--c->open > 0) return;
    free(c->reply);
    free(c);
}

static void client_close(vn_http_client *c)
{
    if (c->m->clients[c->slot] != c) return; /* closing already */
    c->m->clients[c->slot] = NULL;
    uv_close((uv_handle_t *)&c->h, on_client_closed);
    uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void on_written(uv_write_t *w, int status)
{
    client_close(w->data);
}

static void on_timeout(uv_timer_t *t)
{
    client_close(t->data);
}

static void respond(vn_http_client *c, const char *status, const char *type, const char *body,
                    size_t body_len)
{
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      status, type, body_len);
    c->answered = true;
    c->reply = malloc((size_t)hl + body_len);
    if (!c->reply) {
        client_close(c);
        return;
    }
    memcpy(c->reply, head, (size_t)hl);
    memcpy(c->reply + hl, body, body_len);
    uv_buf_t buf = uv_buf_init(c->reply, (unsigned)((size_t)hl + body_len));
    c->write.data = c;
    uv_read_stop((uv_stream_t *)&c->h);
    if (uv_write(&c->write, (uv_stream_t *)&c->h, &buf, 1, on_written) != 0) client_close(c);
}

static void respond_text(vn_http_client *c, const char *status, const char *text)
{
    respond(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void respond_metrics(vn_http_client *c, bool head_only)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        respond_text(c, "500 Internal Server Error", "out of memory\n");
        return;
    }
    vn_metrics_gauges g = {0};
    c->m->gauges(c->m->gauges_ctx, &g);
    uv_update_time(c->m->loop);
    vn_metrics_write(c->m, &g, uv_now(c->m->loop), f);
    bool ok = fclose(f) == 0;
    if (ok)
        respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, head_only ? 0 : len);
    else
        respond_text(c, "500 Internal Server Error", "out of memory\n");
    free(text);
}

/* Answers once the request line is in: only its method and path matter. */
static void handle_request(vn_http_client *c)
{
    char *eol = memchr(c->buf, '\n', c->len);
    if (!eol) {
        if (c->len == sizeof c->buf) respond_text(c, "400 Bad Request", "request too long\n");
        return;
    }
    *eol = '\0';
    char method[8] = "", path[64] = "", version[16] = "";
    if (sscanf(c->buf, "%7s %63s %15s", method, path, version) != 3 ||
        strncmp(version, "HTTP/", 5) != 0) {
        respond_text(c, "400 Bad Request", "not an HTTP request\n");
        return;
    }
    bool get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    if (!get && !head)
        respond_text(c, "405 Method Not Allowed", "only GET /metrics\n");
    else if (strcmp(path, "/metrics") != 0)
        respond_text(c, "404 Not Found", "only GET /metrics\n");
    else
        respond_metrics(c, head);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    vn_http_client *c = h->data;
    *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    vn_http_client *c = s->data;
    if (c->answered) return;
    if (n < 0) {
        client_close(c);
        return;
    }
    c->len += (size_t)n;
    handle_request(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    vn_metrics *m = server->data;
    if (status < 0) return;
    vn_http_client *c = calloc(1, sizeof *c);
    size_t slot = 0;
    while (slot < HTTP_CLIENTS && m->clients[slot])
        slot++;
    if (!c) return;
    c->m = m;
    c->slot = slot;
    uv_loop_t *loop = server->loop;
    int rc = server->type == UV_NAMED_PIPE ? uv_pipe_init(loop, &c->h.pipe, 0)
                                           : uv_tcp_init(loop, &c->h.tcp);
    if (rc != 0) {
        free(c);
        return;
    }
    uv_timer_init(loop, &c->timer);
    c->h.tcp.data = c->timer.data = c;
    c->open = 2;
    if (uv_accept(server, (uv_stream_t *)&c->h) != 0 || slot == HTTP_CLIENTS) {
        /* Too many at once: this one is closed unanswered. */
        uv_close((uv_handle_t *)&c->h, on_client_closed);
        uv_close((uv_handle_t *)&c->timer, on_client_closed);
        return;
    }
    m->clients[slot] = c;
    uv_timer_start(&c->timer, on_timeout, CLIENT_MS, 0);
    if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0) client_close(c);
}

/* --- the listener --- */

static vn_err bind_unix(vn_metrics *m, uv_loop_t *loop, const char *path, char *msg, size_t msgsize)
{
    struct stat sb;
    /* A socket left by a previous run is replaced; any other file is not. */
    if (lstat(path, &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) {
            snprintf(msg, msgsize, "--metrics: %s exists and is not a socket", path);
            return VN_EEXISTS;
        }
        unlink(path);
    }
    uv_pipe_init(loop, &m->listener.pipe, 0);
    m->listener.pipe.data = m;
    m->listening = true;
    int rc = uv_pipe_bind(&m->listener.pipe, path);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&m->listener.pipe, 16, on_connection);
    if (rc != 0) {
        snprintf(msg, msgsize, "--metrics: cannot listen on %s: %s", path, uv_strerror(rc));
        return VN_EIO;
    }
    return VN_OK;
}

vn_err vn_metrics_listen(vn_metrics *self, uv_loop_t *loop, const char *addr,
                         vn_metrics_gauges_fn *gauges, void *ctx, char *msg, size_t msgsize)
{
    http_addr a;
    vn_err err = parse_addr(addr, &a, msg, msgsize);
    if (err) return err;
    self->loop = loop;
    self->gauges = gauges;
    self->gauges_ctx = ctx;
    if (a.unix_path) return bind_unix(self, loop, addr, msg, msgsize);
    uv_tcp_init(loop, &self->listener.tcp);
    self->listener.tcp.data = self;
    self->listening = true;
    int rc = uv_tcp_bind(&self->listener.tcp, (const struct sockaddr *)&a.sa, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&self->listener.tcp, 16, on_connection);
    if (rc != 0) {
        snprintf(msg, msgsize, "--metrics: cannot listen on %s: %s", addr, uv_strerror(rc));
        return VN_EIO;
    }
    return VN_OK;
}

void vn_metrics_stop(vn_metrics *self)
{
    if (!self || !self->listening) return;
    for (size_t i = 0; i < HTTP_CLIENTS; i++)
        if (self->clients[i]) client_close(self->clients[i]);
    uv_close((uv_handle_t *)&self->listener, NULL);
    self->listening = false;
}
