/* What vangnetd answers: one row per `oneof body` field of Vn.Request
 * (protocol/vangnet.proto), with its properties as data. The dispatcher
 * (dispatch.c) applies the generic gates from these rows in one place; the
 * handlers (handlers*.c, one file per family) check only what depends on
 * the request's content and on relations to a case (manages it, is in its
 * team). This table is the list a newcomer reads to learn what the server
 * does. vangnetd refuses to start if a body has no row (vn_requests_check). */
#ifndef VN_REQUESTS_H
#define VN_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/role.h"

/* Role sets, as bit masks of vn_role. */
#define R(role) (1u << VN_ROLE_##role)
#define ROLES_ANY                                                                                  \
    (R(PARTICIPANT) | R(CASEMANAGER) | R(BUDDY) | R(NAASTE) | R(MEDICAL_LEAD) | R(ADMIN) |         \
     R(INTAKE) | R(VISITOR) | R(FACILITATOR))
#define ROLES_READERS    (R(CASEMANAGER) | R(PARTICIPANT) | R(MEDICAL_LEAD))
#define ROLES_GROUPS     (R(PARTICIPANT) | R(FACILITATOR) | R(CASEMANAGER))
#define ROLES_RUN_GROUPS (R(FACILITATOR) | R(CASEMANAGER))

/* Flags of a row. */
#define UNREG   (1u << 0) /* may come from a key that belongs to no account */
#define WRITES  (1u << 1) /* a success always writes: its reply waits for the commit */
#define GROWS   (1u << 2) /* adds lasting records: refused while the store is nearly full */
#define RATED   (1u << 3) /* the handler takes from the abuse limiters */
#define AUDITED (1u << 4) /* reads of a participant's data go into their audit log */
#define CRISIS                                                                                     \
    (1u << 5) /* the crisis path: never refused for a quota or the ordinary                        \
               * threshold (it may use the crisis reserve), and a success gives                    \
               * the sender a crisis pass for its reports (quota.h) */
#define FLAT                                                                                       \
    (1u << 6) /* refuses before its first write: while the store has room it                       \
               * runs in the batch's transaction, without a sub-transaction of                     \
               * its own (batch.c) */

/* The refusal for a wrong role. AS_UNKNOWN (no text) means the
 * handler refuses in its relation check, with the very words it uses for
 * a case or alert that does not exist, so a wrong role learns nothing more
 * than that; the dispatcher tells it through vn_req.role_ok. */
#define AS_UNKNOWN NULL

/* clang-format off */
#define VN_REQUESTS(X)                                                                             \
    /* body               name                 handler                      roles            flags                     refusal for a wrong role */ \
    X(REDEEM,             "redeem",            vn_handle_redeem,            ROLES_ANY,       UNREG,                    NULL)                                      \
    X(WHOAMI,             "whoami",            vn_handle_whoami,            ROLES_ANY,       0,                        NULL)                                      \
    X(PUBLISH_KEYS,       "publish-keys",      vn_handle_publish_keys,      ROLES_ANY,       WRITES,                   NULL)                                      \
    X(FETCH_BUNDLE,       "fetch-bundle",      vn_handle_fetch_bundle,      ROLES_ANY,       WRITES,                   NULL)                                      \
    X(SEND,               "send",              vn_handle_send,              ROLES_ANY,       WRITES | RATED | FLAT,    NULL)                                      \
    X(FETCH,              "fetch",             vn_handle_fetch,             ROLES_ANY,       0,                        NULL)                                      \
    X(ACK,                "ack",               vn_handle_ack,               ROLES_ANY,       FLAT,                     NULL)                                      \
    X(SUBSCRIBE,          "subscribe",         vn_handle_subscribe,         ROLES_ANY,       0,                        NULL)                                      \
    X(SENDER_CERT,        "sender-cert",       vn_handle_sender_cert,       ROLES_ANY,       0,                        NULL)                                      \
    X(CASE_NEW,           "case-new",          vn_handle_case_new,          R(CASEMANAGER),  WRITES | GROWS,           "only a casemanager creates cases")        \
    X(CASE_INVITE,        "case-invite",       vn_handle_case_invite,       R(CASEMANAGER),  WRITES | GROWS,           AS_UNKNOWN)                                \
    X(CASE_SHOW,          "case-show",         vn_handle_case_show,         ROLES_READERS | R(BUDDY), AUDITED,         AS_UNKNOWN)                                \
    X(CASE_REMOVE,        "case-remove",       vn_handle_case_remove,       R(CASEMANAGER),  WRITES,                   AS_UNKNOWN)                                \
    X(CASE_REASSIGN,      "case-reassign",     vn_handle_case_reassign,     R(CASEMANAGER) | R(ADMIN), WRITES,         AS_UNKNOWN)                                \
    X(CASE_CLOSE,         "case-close",        vn_handle_case_close,        R(CASEMANAGER),  WRITES,                   AS_UNKNOWN)                                \
    X(CASE_LIST,          "case-list",         vn_handle_case_list,         R(CASEMANAGER),  0,                        "only a casemanager lists their cases")    \
    X(AUDIT_READ,         "audit-read",        vn_handle_audit_read,        R(PARTICIPANT),  0,                        "the audit log is the participant's own: only they read it") \
    X(DELETE_ACCOUNT,     "delete-account",    vn_handle_delete_account,    ROLES_ANY,       WRITES,                   NULL)                                      \
    X(CONTRACT_SET,       "contract-set",      vn_handle_contract_set,      R(CASEMANAGER),  WRITES | GROWS,           AS_UNKNOWN)                                \
    X(CONTRACT_GET,       "contract-get",      vn_handle_contract_get,      ROLES_READERS,   AUDITED,                  AS_UNKNOWN)                                \
    X(CONTRACT_SIGN,      "contract-sign",     vn_handle_contract_sign,     R(PARTICIPANT),  WRITES,                   AS_UNKNOWN)                                \
    X(CHECKIN,            "checkin",           vn_handle_checkin,           R(PARTICIPANT),  WRITES,                   "only a participant checks in")            \
    X(RECORD,             "record",            vn_handle_record,            R(CASEMANAGER) | R(BUDDY) | R(PARTICIPANT), WRITES | GROWS, AS_UNKNOWN)       \
    X(ABSENCE_ADD,        "absence-add",       vn_handle_absence_add,       R(CASEMANAGER),  WRITES | GROWS,           AS_UNKNOWN)                                \
    X(CASELOAD,           "caseload",          vn_handle_caseload,          R(CASEMANAGER),  AUDITED,                  "the caseload is a casemanager's view")    \
    X(CALENDAR,           "calendar",          vn_handle_calendar,          ROLES_READERS,   AUDITED,                  AS_UNKNOWN)                                \
    X(ALERT_RAISE,        "alert-raise",       vn_handle_alert_raise,       R(PARTICIPANT) | R(BUDDY) | R(NAASTE), WRITES | RATED | CRISIS, AS_UNKNOWN)   \
    X(ALERT_CLAIM,        "alert-claim",       vn_handle_alert_claim,       R(BUDDY),        WRITES | CRISIS,          AS_UNKNOWN)                                \
    X(ALERT_ACK,          "alert-ack",         vn_handle_alert_ack,         R(CASEMANAGER) | R(BUDDY) | R(MEDICAL_LEAD), CRISIS, AS_UNKNOWN)                \
    X(ALERT_LIST,         "alert-list",        vn_handle_alert_list,        ROLES_ANY,       AUDITED,                  NULL)                                      \
    X(DISCLOSURE_ATTEST,  "disclosure-attest", vn_handle_disclosure_attest, R(CASEMANAGER) | R(MEDICAL_LEAD), WRITES,  AS_UNKNOWN)                                \
    X(QUIET_HOURS,        "quiet-hours",       vn_handle_quiet_hours,       ROLES_ANY,       WRITES | GROWS,           NULL)                                      \
    X(EXPIRED_GET,        "expired-get",       vn_handle_expired_get,       ROLES_ANY,       0,                        NULL)                                      \
    X(INTAKE_DESK,        "intake-desk",       vn_handle_intake_desk,       R(VISITOR),      WRITES,                   "only an anonymous first contact asks for the intake desk") \
    X(INTAKE_LIST,        "intake-list",       vn_handle_intake_list,       R(INTAKE),       0,                        "only intake staff list the first contacts") \
    X(CASE_REOPEN,        "case-reopen",       vn_handle_case_reopen,       R(CASEMANAGER),  WRITES,                   AS_UNKNOWN)                                \
    X(GROUP_NEW,          "group-new",         vn_handle_group_new,         ROLES_RUN_GROUPS, WRITES | GROWS,         "only a facilitator or a casemanager creates groups") \
    X(GROUP_INVITE,       "group-invite",      vn_handle_group_invite,      ROLES_RUN_GROUPS, WRITES | GROWS,         AS_UNKNOWN)                                \
    X(GROUP_JOIN,         "group-join",        vn_handle_group_join,        R(PARTICIPANT),  WRITES | GROWS,          "only the programme's doctors (participants) join intervision groups") \
    X(GROUP_SHOW,         "group-show",        vn_handle_group_show,        ROLES_GROUPS,    0,                        AS_UNKNOWN)                                \
    X(GROUP_LEAVE,        "group-leave",       vn_handle_group_leave,       ROLES_GROUPS,    WRITES,                   AS_UNKNOWN)                                \
    X(GROUP_LIST,         "group-list",        vn_handle_group_list,        ROLES_GROUPS,    0,                        "only members and facilitators of groups list them")
/* clang-format on */

typedef struct vn_server vn_server;
typedef struct vn_sstore vn_sstore;
struct vn_peer;
struct vn_outcome;
struct vn_request_row;

/* One request while it is handled. Built by the dispatcher; valid until
 * the handler returns. */
typedef struct vn_req {
    vn_server *srv;                   /* the server (notices, limiters, config) */
    vn_sstore *store;                 /* the store, inside the loop turn's transaction */
    uint64_t now;                     /* the clock, read once for the whole request */
    const struct vn_peer *peer;       /* who sent it */
    const Vn__Request *req;           /* what they sent */
    const struct vn_request_row *row; /* its row in VN_REQUESTS */
    bool role_ok;                     /* whether the peer's role is in the row's roles */
    struct vn_outcome *out;           /* the reply (and push) the handler builds */
    char *msg;                        /* error text for an error reply */
    size_t msgsize;
    uint64_t retry_ms; /* for VN_ERATE and VN_EFULL: when to try again */
} vn_req;

/* A handler: VN_OK with r->out->reply set, or an error code with r->msg
 * filled (vn_fail). Writes go into the open (sub-)transaction. */
typedef vn_err vn_handler(vn_req *r);

/* One row of VN_REQUESTS. */
typedef struct vn_request_row {
    Vn__Request__BodyCase body; /* the oneof field it answers */
    const char *name;           /* for logs and metrics, e.g. "case-new" */
    vn_handler *handler;        /* NULL only in tests of the table itself */
    unsigned roles;             /* R(...) mask of the roles that may send it */
    unsigned flags;             /* UNREG, WRITES, GROWS, RATED, AUDITED, CRISIS, FLAT */
    const char *refusal;        /* text for a wrong role; AS_UNKNOWN: see above */
} vn_request_row;

#define VN_REQUEST_DECLARE(body, name, handler, roles, flags, refusal) vn_handler handler;
VN_REQUESTS(VN_REQUEST_DECLARE)
#undef VN_REQUEST_DECLARE

#define VN_REQUEST_COUNT1(...) +1
/* The number of rows. */
enum { VN_REQUEST_COUNT = 0 VN_REQUESTS(VN_REQUEST_COUNT1) };
#undef VN_REQUEST_COUNT1

/* The table, in VN_REQUESTS order (dispatch.c). */
extern const vn_request_row vn_requests[VN_REQUEST_COUNT];

/* Checks that every `oneof body` field of Vn.Request has a row in
 * rows[0..n). On a missing one returns VN_EINTERNAL with msg naming it by
 * its proto field name. Used at start-up, and by the tests with a table
 * missing a row. */
vn_err vn_requests_check(const vn_request_row *rows, size_t n, char *msg, size_t msgsize);

/* Handles one decoded request from peer: the gates, then the row's
 * handler. Same contract as a handler; *retry_ms is set for VN_ERATE and
 * VN_EFULL. */
vn_err vn_dispatch(vn_server *srv, const struct vn_peer *peer, const Vn__Request *req,
                   struct vn_outcome *out, char *msg, size_t msgsize, uint64_t *retry_ms);

/* The name of req's row if the row is FLAT (it refuses before it
 * writes), else NULL. */
const char *vn_dispatch_flat(const Vn__Request *req);

/* How often row i of vn_requests was called since start (for metrics). */
uint64_t vn_dispatch_calls(vn_server *srv, size_t i);

/* Formats an error message into r->msg and returns code (handlers' helper). */
vn_err vn_fail(vn_req *r, vn_err code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
