/* vn_server: vangnetd's running state. One libuv loop thread owns the
 * ZeroMQ sockets and the LMDB write transactions. */
#ifndef VN_SERVER_H
#define VN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "vangnet.pb-c.h"
#include "vn/accounts.h"
#include "vn/alerts.h"
#include "vn/audit.h"
#include "vn/cases.h"
#include "vn/clock.h"
#include "vn/err.h"
#include "vn/invites.h"
#include "vn/keys.h"
#include "vn/lifecycle.h"
#include "vn/mailbox.h"
#include "vn/meta.h"
#include "vn/quiet.h"
#include "vn/sstore.h"
#include "log.h" /* vn_log: never message content, an account, case, role or alert kind */
#include "requests.h"
#include "vn/account.h"

typedef struct vn_server vn_server;

/* Settings of `vangnetd run`, validated by main.c before use. */
typedef struct vn_server_config {
    const char *state_dir;           /* holds the LMDB store and the CURVE key files */
    const uint8_t *store_key;        /* 32 bytes sealing the store; read in open only */
    const uint8_t *server_secret;    /* 32-byte CURVE secret (serverkey.h); open only */
    const char *listen;              /* ZeroMQ endpoint to bind */
    const char *public_endpoint;     /* what invites carry (tcp://HOST:PORT), or NULL */
    size_t frame_max;                /* largest accepted frame in bytes */
    size_t max_connections;          /* most open client connections (lowered to fit fds) */
    size_t send_queue;               /* replies queued per connection before drops */
    size_t socket_buffer;            /* SO_SNDBUF of each connection */
    uint64_t mail_ttl_ms;            /* undelivered envelopes expire after this */
    uint64_t sweep_ms;               /* how often expiry runs */
    bool test_clock;                 /* whether `vangnetd clock` may move time */
    bool test_fail_flat;             /* tests: the first flat send or ack fails after writing */
    size_t map_size;                 /* LMDB map size in bytes */
    int verbose;                     /* log every request when > 0 */
    uint64_t case_retention_ms;      /* closed cases are purged after this */
    uint64_t event_retention_ms;     /* older dated records are pruned (vn_events_prune) */
    const char *time_zone;           /* local dates of contracts (TZ name) */
    uint64_t sos_window_ms;          /* an unclaimed SOS goes to the casemanager after this */
    double pair_burst, pair_per_sec; /* messages per (sender, recipient) */
    double account_burst, account_per_sec;        /* messages per sending account */
    double inbound_burst, inbound_per_sec;        /* bytes per recipient */
    double alert_burst, alert_per_hour;           /* signals per (reporter, case) */
    double case_alert_burst, case_alert_per_hour; /* signals per case, all reporters */
    uint64_t alert_fold_ms; /* a like signal this soon after an open one folds into it; 0: never */
    struct vn_metrics *metrics; /* counters for --metrics, or NULL (metrics.h) */
    const char *log_level;      /* --log-level: error, warn, info or debug */
    const char *metrics_addr;   /* --metrics: loopback HOST:PORT or UNIX socket path, or NULL */
    size_t quota_sender_bytes, quota_sender_envelopes;       /* per sender per day; 0: default */
    size_t quota_recipient_bytes, quota_recipient_envelopes; /* per mailbox; 0: default */
    size_t crisis_reserve_pct; /* percent of the map only the crisis path may use */
    uint64_t visitor_idle_ms;  /* an anonymous first contact idle this long is purged */
    size_t visitor_messages;   /* messages a visitor may send a day */
    const char *cluster;       /* --cluster nats://...,...: cluster mode (cluster.h), or NULL */
    const char *node;          /* --node NAME in cluster mode */
    size_t lease_ms;           /* --lease-ms: the write lease's TTL in cluster mode */
    uint64_t snapshot_keep_ms; /* --snapshot-keep: backups stay registered this long */
    uint64_t log_trim_ms;      /* --log-trim-every: the writer trims the log this often */
} vn_server_config;

/* Opens the store and keys, binds the ZAP handler and then the ROUTER. */
vn_err vn_server_open(vn_server **out, const vn_server_config *cfg);
/* Runs the loop until SIGTERM or SIGINT. */
vn_err vn_server_run(vn_server *self);
void vn_server_close(vn_server **self_p);

/* Counts one event about people (log.h: logged and published hourly). */
void vn_server_count(vn_server *self, vn_log_event ev);

/* --- used by the handlers (handlers.c) --- */

/* Who sent a request, resolved from its CURVE key on every request, so a
 * deleted device loses access at once. */
typedef struct vn_peer {
    uint8_t key[32];                 /* the connection's CURVE public key */
    bool registered;                 /* whether the key belongs to an account */
    uint8_t account[VN_ACCOUNT_LEN]; /* its account, if registered */
    char account_hex[VN_ACCOUNT_HEX + 1];
    vn_role role;         /* its role, if registered */
    const uint8_t *route; /* ROUTER routing id of the connection */
    size_t route_len;
} vn_peer;

/* What a handler produces: a reply, and maybe a push of one envelope to
 * its recipients, sent once the loop turn's writes are durable. */
typedef struct vn_outcome {
    Vn__Reply *reply; /* filled by the handler (body set) */
    bool wrote; /* whether the reply depends on the commit (the row's WRITES, or the handler) */
    uint8_t (*push_to)[VN_ACCOUNT_LEN]; /* recipients of the push (malloc'd) */
    size_t npush;
    uint8_t *push_frame; /* packed push Reply (malloc'd) */
    size_t push_len;
} vn_outcome;

/* Frees what a handler allocated in out. */
void vn_outcome_clear(vn_outcome *out);

vn_sstore *vn_server_store(vn_server *self);
/* The loop, for listeners that live on it (the --metrics endpoint). */
uv_loop_t *vn_server_loop(vn_server *self);
/* VN_REQUEST_COUNT call counters, one per row of vn_requests (dispatch.c). */
uint64_t *vn_server_request_calls(vn_server *self);
/* True when the store is so full that new messages must wait: the rest is
 * kept for deletions (LMDB needs free pages even to delete), so recipients
 * can always read and so make room. Rechecked at most once a second. */
bool vn_server_nearly_full(vn_server *self);
/* Milliseconds of a monotonic clock, for rate limits (never the test clock). */
uint64_t vn_server_mono_ms(vn_server *self);
struct vn_ratelimit;
/* The limiters: per (sender, recipient), per sender, inbound bytes per recipient. */
struct vn_ratelimit *vn_server_rl_pair(vn_server *self);
struct vn_ratelimit *vn_server_rl_account(vn_server *self);
struct vn_ratelimit *vn_server_rl_inbound(vn_server *self);
/* Signals raised: per (reporter, case), and per case. */
struct vn_ratelimit *vn_server_rl_alert(vn_server *self);
struct vn_ratelimit *vn_server_rl_case_alert(vn_server *self);
vn_clock *vn_server_clock(vn_server *self);
struct vn_quota;
/* The storage quotas and the crisis reserve (quota.h). */
struct vn_quota *vn_server_quota(vn_server *self);
/* Cluster mode (cluster.h), or NULL for a single node. */
struct vn_cluster *vn_server_cluster(vn_server *self);
const vn_server_config *vn_server_cfg(vn_server *self);
/* Remembers that account listens for pushes on route (copied). */
vn_err vn_server_subscribe(vn_server *self, const uint8_t account[VN_ACCOUNT_LEN],
                           const uint8_t *route, size_t route_len);

/* Parses an account or case id from the wire, naming field in the error. */
vn_err vn_parse_id(vn_req *r, const char *hex, const char *field, uint8_t out[VN_ACCOUNT_LEN]);
/* Sets a Recorded reply (what was recorded, and its date). */
vn_err vn_reply_recorded(vn_outcome *out, const char *kind, const char *date);
/* malloc'd copy of s for reply fields. */
char *vn_dup_str(const char *s);

/* Loads the case named in a request and checks that peer manages it. */
vn_err vn_managed_case(vn_req *r, const char *case_hex, vn_case_info *ci, bool must_be_open);
/* The participant of a case; false if it has none. */
bool vn_case_participant(vn_server *srv, const uint8_t id[VN_ACCOUNT_LEN],
                         uint8_t participant[VN_ACCOUNT_LEN]);

/* Writes to participant's audit log that the peer of r read what of their
 * case data, sealed to the participant's Signal identity key (the server
 * cannot read the entry back). VN_ENOTFOUND if the participant has
 * published no keys: then the caller refuses the read with
 * vn_audit_refuse, since a read that cannot be logged must not happen. */
vn_err vn_audit_note(vn_req *r, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_what what);
/* Fails r after vn_audit_note returned err, saying why the read was
 * refused; returns err. */
vn_err vn_audit_refuse(vn_req *r, vn_err err);

/* Stores a notice from the server for `to` in the open transaction; it is
 * pushed once that transaction commits. */
vn_err vn_server_notify(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Notice *n);
/* The escalation ladder of alerts (handlers_alerts.c), run by the
 * scheduler: one step walks the climbing alerts from *pos (zeroed: from
 * the first), escalating those due, within a bound of entries and time,
 * in one transaction; the step that ends the walk also sends the notices
 * held for quiet hours. Returns whether the walk goes on. */
bool vn_escalation_step(vn_server *srv, vn_kv_pos *pos);
/* Anonymous first contact (handlers_intake.c, core/store vn/intake.h). A
 * redeem whose secret is no invite: if it is the first-contact code, a
 * visitor account is made (VN_OK, *account and *role set); VN_EINVITE_BAD
 * (nothing said) if it is not the code either; other errors with r->msg
 * filled (VN_ERATE: the code's redeems this hour are used up). */
vn_err vn_intake_redeem_code(vn_req *r, uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
/* A send the policy allowed, before it is stored: when a visitor sends, or
 * intake staff write to one, the visitor's bounds (messages a day,
 * conversations) are checked and its last active day kept. VN_OK for every
 * other send; an error with r->msg filled. */
vn_err vn_intake_on_send(vn_req *r, const uint8_t to[VN_ACCOUNT_LEN]);
/* The sweep's part: deletes visitors idle for --visitor-idle, a batch at a
 * time, and logs how many. */
void vn_intake_sweep(vn_server *srv, uint64_t now);
/* Reopens the SOS alerts claimer holds in case_id (NULL: in any case) and
 * tells the other buddies, when the claimer leaves (handlers_alerts.c). */
vn_err vn_alerts_reopen_claims(vn_server *srv, const uint8_t *case_id,
                               const uint8_t claimer[VN_ACCOUNT_LEN]);
/* An alert as its reply shows it (handlers_alerts.c, for alert-list too). */
vn_err vn_alert_info(const vn_alert *a, Vn__AlertInfo **out);

/* Sends (committed) or drops the notices queued by vn_server_notify, for
 * writers outside the request batch such as the scheduler. */
void vn_server_commit_notices(vn_server *self, bool committed);
/* The scheduler (scheduler.c): closes past days (draws, missed check-ins)
 * and sends reminders and overdue notices for every case under contract,
 * in passes the loop runs a bounded step at a time. */
typedef struct vn_scheduler vn_scheduler;
vn_err vn_scheduler_open(vn_scheduler **out, vn_server *srv);
/* Safe on NULL and twice; a pass under way is dropped (each step is kept
 * or undone whole, and the next pass catches up). */
void vn_scheduler_close(vn_scheduler **self_p);
/* Begins a walk of the climbing alerts (vn_escalation_step) and a pass
 * over every case; while one is under way, only notes that another
 * follows it. */
void vn_scheduler_start(vn_scheduler *self);
/* Begins a walk that expires mail and invites as of now (the expiry's
 * clock, vn_clock_expiry_now), in steps ahead of the cases; while one is
 * under way, notes that another follows it. */
void vn_scheduler_expire(vn_scheduler *self, uint64_t now);
/* Runs one step in one transaction: of the escalation while its walk is
 * under way, else of the pass: up to a few hundred cases, two
 * milliseconds of work, or as many bytes written as the commits of the
 * steps before it allow (scheduler.c). Returns whether there is more (the
 * loop calls it again, server.c's on_sched). */
bool vn_scheduler_step(vn_scheduler *self);
/* Whether one more connection may be admitted: false when the open client
 * connections (counted from the ROUTER's monitor events, the one being
 * authenticated included) exceed the maximum. Logs refusals, at most one
 * line a second, with counts only. */
bool vn_server_conn_admit(vn_server *self);

/* The ZAP handler (zap.c): answers one pending ZAP request. */
void vn_zap_handle(vn_server *srv, void *zap_sock);

#endif
