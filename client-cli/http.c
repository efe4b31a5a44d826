/* A minimal HTTP/1.1 server side, for the daemon's loopback port: one
 * request per connection (Connection: close), a body only by
 * Content-Length, and limits on everything. Only loopback addresses are
 * served, and since a web page in the user's browser can reach loopback
 * too, a request must name the port's own host (no DNS rebinding), carry
 * no Origin (no page's script), and POST only application/json (which no
 * page can send without asking first). */
#define _GNU_SOURCE
#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192 /* bytes of request line and headers */

static vn_http_route fail(vn_http_req *r, int status, const char *why)
{
    r->status = status;
    snprintf(r->why, sizeof r->why, "%s", why);
    return VN_HTTP_FAIL;
}

/* The value of header name in the head (lines after the first), or NULL;
 * its length in *len. */
static const char *header(const char *head, size_t hlen, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = memchr(head, '\n', hlen), *end = head + hlen;
    while (p && ++p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = eol;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

static bool is(const char *v, size_t len, const char *s)
{
    return v && len == strlen(s) && strncasecmp(v, s, len) == 0;
}

/* Host must be this port on a loopback name. */
static bool host_ok(const char *v, size_t len, unsigned port)
{
    char want[64];
    const char *names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; v && i < 3; i++) {
        snprintf(want, sizeof want, "%s:%u", names[i], port);
        if (is(v, len, want)) return true;
    }
    return false;
}

/* The request line and headers are whole and sound: the route, or why not. */
static vn_http_route route(const char *in, size_t hlen, unsigned port, vn_http_req *r)
{
    char method[16], target[256], version[16];
    const char *eol = memchr(in, '\n', hlen);
    size_t ll = eol ? (size_t)(eol - in) : hlen, n;
    char line[300];
    if (ll >= sizeof line) return fail(r, 400, "request line too long");
    memcpy(line, in, ll);
    line[ll] = '\0';
    if (sscanf(line, "%15s %255s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0)
        return fail(r, 400, "not an HTTP/1.x request line");
    for (const char *p = in; p < in + hlen; p++)
        if ((unsigned char)*p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t')
            return fail(r, 400, "control characters in the request head");
    const char *v = header(in, hlen, "Host", &n);
    if (!host_ok(v, n, port)) return fail(r, 403, "Host must be 127.0.0.1:PORT or localhost:PORT");
    if (header(in, hlen, "Origin", &n))
        return fail(r, 403, "requests from web pages (with an Origin) are refused");
    if (header(in, hlen, "Transfer-Encoding", &n))
        return fail(r, 501, "no Transfer-Encoding: send the body with Content-Length");
    bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    if (strcmp(target, "/") == 0) {
        if (!post) return fail(r, 405, "POST a JSON-RPC call or batch to /");
        v = header(in, hlen, "Content-Type", &n);
        if (!v || n < 16 || strncasecmp(v, "application/json", 16) != 0 ||
            (n > 16 && v[16] != ';' && v[16] != ' '))
            return fail(r, 415, "Content-Type must be application/json");
        return VN_HTTP_RPC;
    }
    if (strcmp(target, "/events") == 0 || strcmp(target, "/health") == 0) {
        if (!get) return fail(r, 405, "use GET");
        return target[1] == 'e' ? VN_HTTP_EVENTS : VN_HTTP_HEALTH;
    }
    return fail(r, 404, "no such path: POST /, GET /events, GET /health");
}

vn_http_route vn_http_parse(const char *in, size_t len, unsigned port, vn_http_req *r)
{
    memset(r, 0, sizeof *r);
    const char *end = memmem(in, len < HEAD_MAX + 4 ? len : HEAD_MAX + 4, "\r\n\r\n", 4);
    if (!end)
        return len > HEAD_MAX ? fail(r, 431, "request head larger than 8192 bytes") : VN_HTTP_MORE;
    size_t hlen = (size_t)(end - in) + 2, n;
    vn_http_route rt = route(in, hlen, port, r);
    if (rt != VN_HTTP_RPC) return rt;
    const char *v = header(in, hlen, "Content-Length", &n);
    char num[24];
    if (!v || n == 0 || n >= sizeof num) return fail(r, 411, "POST needs a Content-Length");
    memcpy(num, v, n);
    num[n] = '\0';
    char *e;
    errno = 0;
    unsigned long long cl = strtoull(num, &e, 10);
    if (*e || errno || num[0] == '-' || num[0] == '+')
        return fail(r, 400, "Content-Length is not a whole number");
    if (cl > VN_RPC_MAX_REQUEST) return fail(r, 413, "body larger than 1048576 bytes");
    size_t body = hlen + 2;
    if (len < body + cl) return VN_HTTP_MORE;
    r->body = in + body;
    r->bodylen = (size_t)cl;
    return VN_HTTP_RPC;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    default:
        return "Error";
    }
}

bool vn_http_respond(vn_dconn *c, int status, const char *type, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\nCache-Control: no-store\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason(status), type ? "Content-Type: " : "", type ? type : "",
                     type ? "\r\n" : "", len);
    c->closing = true;
    return vn_dconn_put(c, head, (size_t)n) && vn_dconn_put(c, body, len);
}

bool vn_http_stream_head(vn_dconn *c)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                               "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
                               ": vangnet events\n\n";
    return vn_dconn_put(c, head, sizeof head - 1);
}

vn_err vn_http_listen(const char *addr, int *fd, unsigned *port, char *why, size_t size)
{
    char host[64];
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    const char *colon = strrchr(addr, ':');
    char *e;
    *fd = -1;
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        snprintf(why, size, "wants 127.0.0.1:PORT");
        return VN_EINVAL;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    unsigned long p = strtoul(colon + 1, &e, 10);
    if (*e || colon[1] == '\0' || p == 0 || p > 65535) {
        snprintf(why, size, "the port must be 1 to 65535");
        return VN_EINVAL;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)p);
        sl = sizeof *s4;
        if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127) goto remote;
    } else if (strcmp(host, "[::1]") == 0) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)p);
        s6->sin6_addr = in6addr_loopback;
        sl = sizeof *s6;
    } else {
        goto remote;
    }
    *fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (*fd >= 0) setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&ss, sl) != 0 || listen(*fd, 64) != 0) {
        snprintf(why, size, "cannot listen: %s", strerror(errno));
        if (*fd >= 0) close(*fd);
        *fd = -1;
        return VN_EIO;
    }
    *port = (unsigned)p;
    return VN_OK;
remote:
    snprintf(why, size, "only loopback is served (127.0.0.1, [::1], localhost), not %s", host);
    return VN_EINVAL;
}
