/* The always-on client: `vangnet daemon` and `vangnet jsonrpc`. One
 * process, one thread, one poll loop: the profile opened once, one
 * connection to the server, JSON-RPC connections on PROFILE/daemon.sock
 * (and HTTP on loopback), subscribers to events, notification commands.
 * Every client socket is non-blocking with bounded buffers and deadlines,
 * so no slow or silent client holds the loop; what does hold it is one
 * command at a time, bounded by its --timeout, as for the CLI. */
#ifndef VN_DAEMON_H
#define VN_DAEMON_H

#include "dsock.h"
#include "events.h"
#include "rpc.h"

#include <stdint.h>

/* What one connection speaks. */
typedef enum vn_dconn_kind {
    VN_DCONN_RPC,  /* newline-delimited JSON-RPC (the socket, standard input) */
    VN_DCONN_HTTP, /* one HTTP request, then closed */
    VN_DCONN_SSE,  /* an HTTP event stream (GET /events) */
} vn_dconn_kind;

typedef struct vn_dconn {
    int rfd, wfd;          /* the same socket, or standard input and output */
    vn_dconn_kind kind;    /* its protocol */
    bool subscribed;       /* receives events */
    bool closing;          /* close once out is written */
    bool eof;              /* its reader sent all it will */
    char *in;              /* bytes read, not yet a whole request */
    size_t inlen, incap;   /* used and allocated */
    char *out;             /* bytes to write */
    size_t outlen, outcap; /* used and allocated */
    int64_t deadline;      /* monotonic ms: closed if still waiting then (0: none) */
} vn_dconn;

/* notify: commands run for events a person should see now
 * (daemon_notify.c). */
typedef struct vn_notify vn_notify;
vn_err vn_notify_new(vn_notify **out, const char *cmd, bool content);
void vn_notify_free(vn_notify **n);
/* Runs (or queues, or holds until quiet hours end) the command for one
 * event; never waits for it. */
void vn_notify_event(vn_notify *n, vn_client *c, const vn_event_note *note);
/* Reaps finished commands, starts queued ones, lets held ones go after
 * quiet hours; called from the loop. */
void vn_notify_tick(vn_notify *n, vn_client *c);
bool vn_notify_content(const vn_notify *n);

/* http.c: one HTTP/1.1 request read from c->in. */
typedef enum vn_http_route {
    VN_HTTP_MORE,   /* not whole yet */
    VN_HTTP_RPC,    /* POST /: body is a JSON-RPC call or batch */
    VN_HTTP_EVENTS, /* GET /events */
    VN_HTTP_HEALTH, /* GET /health */
    VN_HTTP_FAIL,   /* answered with an error (status, why) */
} vn_http_route;

typedef struct vn_http_req {
    int status;       /* for VN_HTTP_FAIL: 400, 403, 404, 405, 413, 431, 501 */
    char why[160];    /* and what was wrong */
    const char *body; /* for VN_HTTP_RPC: in c->in */
    size_t bodylen;
} vn_http_req;

/* Reads the request in in[0..len) for a server on loopback port port. */
vn_http_route vn_http_parse(const char *in, size_t len, unsigned port, vn_http_req *req);
/* Appends a whole response (Connection: close) to c->out; false when out
 * of memory. */
bool vn_http_respond(vn_dconn *c, int status, const char *type, const char *body, size_t len);
/* Appends the head of an event stream. */
bool vn_http_stream_head(vn_dconn *c);
/* Parses "127.0.0.1:PORT" (or [::1]:PORT, localhost:PORT) into a
 * loopback socket address; VN_EINVAL with why for anything else. */
vn_err vn_http_listen(const char *addr, int *fd, unsigned *port, char *why, size_t size);

/* daemon_conn.c: buffers. */
bool vn_dconn_put(vn_dconn *c, const char *s, size_t len);

/* daemon_client.c: the CLI's side. Runs cmd through the profile's
 * daemon when one answers on its socket and the command may go there;
 * returns true with *rc the exit code (its output printed) then, false
 * to run it here as always. */
bool vn_daemon_forward(vn_client *c, const vn_cmd *cmd, const vn_args *a, int argc, char **argv,
                       int *rc);

#endif
