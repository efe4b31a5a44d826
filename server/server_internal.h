/* What the loop (server.c) and the batch (batch.c) share: the server's
 * state and the requests of the turn being handled. Only those two files
 * include this; everyone else goes through server.h. */
#ifndef VN_SERVER_INTERNAL_H
#define VN_SERVER_INTERNAL_H

#include "server.h"

#include "conns.h"
#include "peers.h"
#include "quota.h"
#include "ratelimit.h"
#include "subs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define BATCH_MAX   256               /* most requests one transaction groups */
#define ROUTE_MAX   VN_SUBS_ROUTE_MAX /* longest ROUTER routing id we keep */
#define SUBS_MAX    65536             /* most connections listening for pushes */
#define NOTICES_MAX 65536             /* most pushes waiting for one commit */

/* One request of the current batch, waiting for the commit. */
typedef struct pending {
    uint8_t route[ROUTE_MAX]; /* where the reply goes */
    size_t route_len;
    uint64_t request_id;          /* echoed in the reply */
    vn_outcome out;               /* the handler's result */
    vn_err err;                   /* or the error to report */
    char msg[256];                /* with its message */
    uint64_t retry_ms;            /* and, for VN_ERATE, when to retry */
    bool forwarded;               /* handed to the cluster's writer: it answers (cluster_edge.c) */
    struct vn_forward_call *call; /* forwarded to us: the answer goes back through it */
} pending;

struct vn_server {
    vn_server_config cfg;  /* settings, validated by main.c */
    uv_loop_t loop;        /* the one event loop */
    uv_poll_t router_poll; /* readiness of the ROUTER's ZMQ_FD */
    uv_poll_t zap_poll;    /* readiness of the ZAP socket's ZMQ_FD */
    uv_poll_t mon_poll;    /* readiness of the monitor socket's ZMQ_FD */
    uv_timer_t sweep;      /* expiry of old envelopes and invites */
    uv_timer_t tclock;     /* a test clock: a sweep at once when `vangnetd clock` moves it */
    uv_idle_t sched_idle;  /* runs the scheduler's steps while a pass is under way */
    uv_timer_t sched_gap;  /* the loop's time for requests between two steps */
    uv_idle_t drain_idle;  /* goes on reading requests a full drain left waiting */
    uv_signal_t sigterm, sigint;
    uv_timer_t trim;      /* gives freed memory back after connections come and go */
    void *zctx;           /* ZeroMQ context */
    void *router;         /* client-facing socket */
    void *zap;            /* ZAP handler socket (REP) */
    void *mon;            /* the ROUTER's connection events (PAIR) */
    vn_conns *conns;      /* connection count and limits, dropped replies */
    vn_sstore *store;     /* the LMDB store; this process is its only writer */
    vn_clock *clock;      /* the one source of now */
    int lock_fd;          /* flock on the state directory */
    vn_subs *subs;        /* who listens for pushes, on which connection */
    vn_peers *peers;      /* who is on each connection: the device key's account */
    vn_subs_conn cur;     /* the connection of the request being handled */
    bool cur_forwarded;   /* that request came from another node of the cluster */
    struct vn_edge *edge; /* cluster mode: forwarding and cross-node pushes, or NULL */
    pending *batch;       /* BATCH_MAX slots for the current turn */
    vn_ratelimit *rl_pair, *rl_account, *rl_inbound; /* abuse limits */
    vn_ratelimit *rl_alert, *rl_case_alert;          /* signals raised */
    vn_quota *quota;                                 /* storage quotas, crisis reserve */
    struct notice_push {
        uint8_t to[VN_ACCOUNT_LEN]; /* recipient */
        uint8_t *frame;             /* packed push */
        size_t len;
    } * notices; /* pushes waiting for the commit */
    size_t nnotices, capnotices;
    uint64_t usage_checked_ms; /* when nearly_full was last computed */
    bool nearly_full;          /* new messages wait; deletions go on */
    bool flat_off;             /* a FLAT request failed after writing: none runs flat any more */
    uint64_t requests;         /* requests handled, for the shutdown log */
    uint64_t calls[VN_REQUEST_COUNT]; /* calls per row of vn_requests */
    uint64_t events[VN_LOG_COUNT];    /* counted since the last report */
    uint64_t events_reported_ms;      /* monotonic time of that report */

    vn_scheduler *sched; /* passes over the cases under contract */

    struct vn_cluster *cluster; /* cluster mode (cluster.h), or NULL: a single node */
};

/* Applies the connection events waiting on the monitor socket (server.c). */
void vn_server_read_events(vn_server *s);
/* Handles requests in group commits until none is waiting, or a few
 * batches at most; true when more may be waiting (batch.c). ZMQ_FD is
 * edge-triggered, so whoever gets true must come back without waiting for
 * the fd (server.c's drain() does, on the loop's next turn). */
bool vn_server_drain(vn_server *s);
/* Sends a push to account's connection here, or (none here) to the node
 * of the cluster that holds it (batch.c). */
void vn_server_push(vn_server *s, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                    size_t len);
/* Cluster mode: opens the forwarding of requests and pushes between the
 * nodes (cluster_edge.c) on the cluster's NATS connection, its key derived
 * from the store key; closes it before the cluster (the loop must run once
 * more). Close is safe when off. */
vn_err vn_edge_open(vn_server *s, const uint8_t store_key[32]);
void vn_edge_close(vn_server *s);
/* Sends p's reply, or its error (p->err, p->msg) as an error reply, to
 * p->route (batch.c); a reply over the frame limit becomes an error too. */
void vn_server_send_reply(vn_server *s, pending *p);
/* Sends one frame to a routing id of the ROUTER, never waiting. */
void vn_server_send_frame(vn_server *s, const uint8_t *route, size_t route_len, const uint8_t *buf,
                          size_t len);
/* Between two group commits of a drain: answers the handshakes waiting for
 * ZAP, so that a new connection waits one batch for its admission, not a
 * whole drain of them (server.c). */
void vn_server_between_batches(vn_server *s);

#endif
