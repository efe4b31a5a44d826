/* The dispatcher: finds a request's row, applies the generic gates from
 * its flags in one place (registration, store full, role), runs the
 * handler, and logs and counts the call. */
#include "requests.h"
#include "vn/utf8.h"
#include "cluster.h"
#include "metrics.h"
#include "quota.h"
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#define VN_REQUEST_ROW(b, n, h, r, f, d)                                                           \
    {.body = VN__REQUEST__BODY_##b, .name = n, .handler = h, .roles = r, .flags = f, .refusal = d},
const vn_request_row vn_requests[VN_REQUEST_COUNT] = {VN_REQUESTS(VN_REQUEST_ROW)};
#undef VN_REQUEST_ROW

vn_err vn_fail(vn_req *r, vn_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, r->msgsize, fmt, ap);
    va_end(ap);
    return code;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const vn_request_row *row_of(Vn__Request__BodyCase body)
{
    for (size_t i = 0; i < VN_REQUEST_COUNT; i++)
        if (vn_requests[i].body == body) return &vn_requests[i];
    return NULL;
}

/* The gates, in the order the server has always applied them: an unknown
 * key may only redeem; a full store refuses what grows it; then the role. */
static vn_err gate(vn_req *r)
{
    const vn_request_row *row = r->row;
    /* Text that is not UTF-8 is refused by name, from anyone, before any
     * handler could echo it into a reply, a log line or the store. */
    const char *field = NULL;
    if (!vn_utf8_message_valid(&r->req->base, &field))
        return vn_fail(r, VN_EINVAL, "the field %s of this %s request is not valid UTF-8",
                       field ? field : "?", row ? row->name : "unknown");
    if (!r->peer->registered && !(row && (row->flags & UNREG)))
        return vn_fail(r, VN_EUNREGISTERED,
                       "this device key is not registered; redeem an invite code first");
    if (!row) return vn_fail(r, VN_EPROTO, "unknown request type %d", (int)r->req->body_case);
    /* What grows the store stops at the ordinary threshold, short of the
     * crisis reserve; the crisis path (CRISIS rows, which never grow in
     * this sense) goes on into the reserve. */
    if ((row->flags & GROWS) && vn_quota_store_full(vn_server_quota(r->srv), vn_sstore_kv(r->store),
                                                    vn_server_mono_ms(r->srv))) {
        r->retry_ms = 60000;
        return vn_fail(r, VN_EFULL,
                       "the server's storage is full; try again later (reading, acknowledging, "
                       "checking in, alerts and SOS still work)");
    }
    /* An unregistered key has no role; UNREG rows answer it anyway. */
    r->role_ok = !r->peer->registered || (row->roles & (1u << r->peer->role));
    if (!r->role_ok && row->refusal) return vn_fail(r, VN_EDENIED, "%s", row->refusal);
    return VN_OK;
}

/* In a cluster only the writer serves requests, for now: a follower's
 * store lags, and its writes would be refused (cluster.h). The client is
 * told which node to ask. */
static vn_err follower_gate(vn_req *r)
{
    char writer[VN_CLUSTER_NODE_MAX + 1];
    vn_cluster *c = vn_server_cluster(r->srv);
    if (vn_cluster_may_write(c)) return VN_OK;
    vn_cluster_writer(c, writer, sizeof writer);
    if (!writer[0])
        return vn_fail(r, VN_EUNAVAILABLE,
                       "this node is a follower and no node is the writer right now; try again "
                       "in a few seconds");
    return vn_fail(r, VN_EUNAVAILABLE, "this node is a follower; the writer is %s", writer);
}

vn_err vn_dispatch(vn_server *srv, const vn_peer *peer, const Vn__Request *req, vn_outcome *out,
                   char *msg, size_t msgsize, uint64_t *retry_ms)
{
    uint64_t start = mono_us();
    vn_req r = {
        .srv = srv,
        .store = vn_server_store(srv),
        .now = vn_clock_now(vn_server_clock(srv)),
        .peer = peer,
        .req = req,
        .row = row_of(req->body_case),
        .out = out,
        .msg = msg,
        .msgsize = msgsize,
    };
    /* Every call of a row counts, refused ones too. */
    if (r.row) vn_server_request_calls(srv)[r.row - vn_requests]++;
    vn_err err = follower_gate(&r);
    if (!err) err = gate(&r);
    if (!err) {
        err = r.row->handler(&r);
        /* A handler that answers a role its row refuses is a bug in the
         * handler's relation check: fail rather than leak. */
        if (!err && !r.role_ok) {
            vn_log("request %s: handler answered a role its row refuses", r.row->name);
            err = vn_fail(&r, VN_EDENIED, "not allowed for this role");
        }
        if (!err && (r.row->flags & WRITES)) out->wrote = true;
        /* The reports that go with an alert are sends the server cannot
         * tell from others: a crisis pass lets them into the reserve. */
        if (!err && (r.row->flags & CRISIS))
            vn_quota_pass_grant(vn_server_quota(srv), peer->account, vn_server_mono_ms(srv));
    }
    *retry_ms = r.retry_ms;
    vn_metrics_request(vn_server_cfg(srv)->metrics,
                       r.row ? (size_t)(r.row - vn_requests) : VN_REQUEST_COUNT, err,
                       mono_us() - start);
    if (vn_server_cfg(srv)->verbose)
        vn_logl(VN_LEVEL_DEBUG, "request %s result=%s %lluus", r.row ? r.row->name : "unknown",
                vn_err_name(err), (unsigned long long)(mono_us() - start));
    return err;
}

const char *vn_dispatch_flat(const Vn__Request *req)
{
    const vn_request_row *row = row_of(req->body_case);
    return row && (row->flags & FLAT) ? row->name : NULL;
}

uint64_t vn_dispatch_calls(vn_server *srv, size_t i)
{
    return i < VN_REQUEST_COUNT ? vn_server_request_calls(srv)[i] : 0;
}
