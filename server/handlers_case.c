/* Care-network requests: cases, invites into them, membership, the audit
 * log and account deletion. Who may do what follows DESIGN §1: only a
 * case's casemanager manages it; reads of a participant's case data by
 * anyone else are written to the participant's audit log. */
#include "server.h"

#include "vn/alerts.h"
#include "vn/cases.h"
#include "vn/disclosures.h"

#include <stdlib.h>
#include <string.h>

#define MEMBERS_MAX        64 /* most members listed in one reply */
#define INVITE_TTL_DEFAULT (7ULL * 86400000)
#define INVITE_TTL_MAX     (90ULL * 86400000)
#define CASES_MAX          512 /* most cases listed in one reply */

static vn_err case_info_reply(vn_server *srv, const vn_case_info *ci, Vn__CaseInfo **out)
{
    char hex[VN_ACCOUNT_HEX + 1];
    vn_member m[MEMBERS_MAX];
    size_t n = 0;
    vn_err err = vn_cases_members(vn_server_store(srv), ci->id, m, MEMBERS_MAX, &n);
    if (err) return err;
    Vn__CaseInfo *info = malloc(sizeof *info);
    if (!info) return VN_ENOMEM;
    vn__case_info__init(info);
    *out = info;
    vn_hex_encode(ci->id, VN_ACCOUNT_LEN, hex);
    info->case_id = vn_dup_str(hex);
    vn_hex_encode(ci->casemanager, VN_ACCOUNT_LEN, hex);
    info->casemanager = vn_dup_str(hex);
    info->state = vn_dup_str(vn_case_state_name(ci->state));
    info->created_ms = ci->created_ms;
    info->closed_ms = ci->closed_ms;
    if (!info->case_id || !info->casemanager || !info->state) return VN_ENOMEM;
    info->members = calloc(n ? n : 1, sizeof *info->members);
    if (!info->members) return VN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        Vn__Member *mm = malloc(sizeof *mm);
        if (!mm) return VN_ENOMEM;
        vn__member__init(mm);
        info->members[info->n_members++] = mm;
        vn_hex_encode(m[i].account, VN_ACCOUNT_LEN, hex);
        mm->account = vn_dup_str(hex);
        mm->role = vn_dup_str(vn_role_name(m[i].role));
        mm->added_ms = m[i].added_ms;
        if (!mm->account || !mm->role) return VN_ENOMEM;
    }
    return VN_OK;
}

static vn_err reply_case(vn_server *srv, const vn_case_info *ci, vn_outcome *out)
{
    out->reply->body_case = VN__REPLY__BODY_CASE_INFO;
    return case_info_reply(srv, ci, &out->reply->case_info);
}

vn_err vn_managed_case(vn_server *srv, const vn_peer *peer, const char *case_hex, vn_case_info *ci,
                       bool must_be_open, char *msg, size_t msgsize)
{
    uint8_t id[VN_ACCOUNT_LEN];
    vn_err err = vn_parse_id(case_hex, "case", id, msg, msgsize);
    if (err) return err;
    err = vn_cases_get(vn_server_store(srv), id, ci);
    if ((err && err != VN_ENOTFOUND)) return vn_fail(msg, msgsize, err, "cannot read the case");
    if (err || peer->role != VN_ROLE_CASEMANAGER ||
        memcmp(ci->casemanager, peer->account, VN_ACCOUNT_LEN) != 0)
        return vn_fail(msg, msgsize, VN_EDENIED,
                       "case %s is unknown or not yours: only a case's own casemanager manages it",
                       case_hex);
    if (must_be_open && ci->state == VN_CASE_CLOSED)
        return vn_fail(msg, msgsize, VN_EDENIED, "case %s is closed", case_hex);
    return VN_OK;
}

static vn_err h_case_new(vn_server *srv, const vn_peer *peer, vn_outcome *out, char *msg,
                         size_t msgsize)
{
    vn_case_info ci;
    if (peer->role != VN_ROLE_CASEMANAGER)
        return vn_fail(msg, msgsize, VN_EDENIED, "only a casemanager creates cases");
    vn_err err = vn_cases_create(vn_server_store(srv), peer->account,
                                 vn_clock_now(vn_server_clock(srv)), &ci);
    if (err) return vn_fail(msg, msgsize, err, "cannot create the case: %s", vn_err_str(err));
    out->wrote = true;
    return reply_case(srv, &ci, out);
}

static vn_err h_case_invite(vn_server *srv, const vn_peer *peer, const Vn__CaseInvite *r,
                            vn_outcome *out, char *msg, size_t msgsize)
{
    vn_case_info ci;
    vn_role role;
    uint8_t secret[VN_INVITE_SECRET_LEN];
    uint64_t ttl = r->ttl_ms ? r->ttl_ms : INVITE_TTL_DEFAULT;
    vn_err err = vn_managed_case(srv, peer, r->case_id, &ci, true, msg, msgsize);
    if (err) return err;
    if (vn_role_parse(r->role, &role) ||
        (role != VN_ROLE_PARTICIPANT && role != VN_ROLE_BUDDY && role != VN_ROLE_NAASTE))
        return vn_fail(msg, msgsize, VN_EINVAL,
                       "a case invites a participant, buddy or naaste, not %s", r->role);
    if (ttl > INVITE_TTL_MAX)
        return vn_fail(msg, msgsize, VN_EINVAL, "an invite may be valid for at most 90 days");
    vn_member all[VN_CASE_MEMBERS_MAX];
    size_t count = 0;
    err = vn_cases_members(vn_server_store(srv), ci.id, all, VN_CASE_MEMBERS_MAX, &count);
    if (err == VN_ETOOBIG || (!err && count >= VN_CASE_MEMBERS_MAX))
        return vn_fail(msg, msgsize, VN_ETOOBIG, "case %s has its maximum of %d members",
                       r->case_id, VN_CASE_MEMBERS_MAX);
    if (err) return err;
    if (role == VN_ROLE_PARTICIPANT) {
        vn_member m[MEMBERS_MAX];
        size_t n = 0;
        if ((err = vn_cases_members(vn_server_store(srv), ci.id, m, MEMBERS_MAX, &n))) return err;
        for (size_t i = 0; i < n; i++)
            if (m[i].role == VN_ROLE_PARTICIPANT)
                return vn_fail(msg, msgsize, VN_EEXISTS, "case %s already has its participant",
                               r->case_id);
    }
    uint64_t now = vn_clock_now(vn_server_clock(srv));
    err = vn_invites_create(vn_server_store(srv), role, ci.id, now, ttl, secret);
    if (err) return vn_fail(msg, msgsize, err, "cannot create the invite: %s", vn_err_str(err));
    out->wrote = true;
    Vn__Invited *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__invited__init(body);
    out->reply->body_case = VN__REPLY__BODY_INVITED;
    out->reply->invited = body;
    body->secret.data = malloc(sizeof secret);
    if (!body->secret.data) return VN_ENOMEM;
    memcpy(body->secret.data, secret, sizeof secret);
    body->secret.len = sizeof secret;
    explicit_bzero(secret, sizeof secret);
    body->role = vn_dup_str(vn_role_name(role));
    body->case_id = vn_dup_str(r->case_id);
    body->expires_ms = now + ttl;
    return body->role && body->case_id ? VN_OK : VN_ENOMEM;
}

bool vn_case_participant(vn_server *srv, const uint8_t id[VN_ACCOUNT_LEN],
                         uint8_t participant[VN_ACCOUNT_LEN])
{
    vn_member m[MEMBERS_MAX];
    size_t n = 0;
    if (vn_cases_members(vn_server_store(srv), id, m, MEMBERS_MAX, &n)) return false;
    for (size_t i = 0; i < n; i++) {
        if (m[i].role == VN_ROLE_PARTICIPANT) {
            memcpy(participant, m[i].account, VN_ACCOUNT_LEN);
            return true;
        }
    }
    return false;
}

/* The medical leads, by id, into info. */
static vn_err add_leads(vn_server *srv, Vn__CaseInfo *info)
{
    uint8_t(*ids)[VN_ACCOUNT_LEN] = NULL;
    size_t n = 0;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_err err = vn_accounts_with_role(vn_server_store(srv), VN_ROLE_MEDICAL_LEAD, &ids, &n);
    if (!err && n > 0 && !(info->medical_leads = calloc(n, sizeof *info->medical_leads)))
        err = VN_ENOMEM;
    for (size_t i = 0; !err && i < n; i++) {
        vn_hex_encode(ids[i], VN_ACCOUNT_LEN, hex);
        if (!(info->medical_leads[i] = vn_dup_str(hex))) err = VN_ENOMEM;
        if (!err) info->n_medical_leads++;
    }
    free(ids);
    return err;
}

/* Just the care team (participant, buddies, casemanager), for encrypting
 * team messages; a casemanager also learns the medical leads, whom they may
 * message and who receive results with the participant. */
static vn_err team_reply(vn_server *srv, const vn_case_info *ci, vn_outcome *out, bool is_cm)
{
    vn_err err = reply_case(srv, ci, out);
    if (err) return err;
    if (is_cm && (err = add_leads(srv, out->reply->case_info))) return err;
    Vn__CaseInfo *info = out->reply->case_info;
    size_t keep = 0;
    for (size_t i = 0; i < info->n_members; i++) {
        vn_role role = VN_ROLE_NONE;
        vn_role_parse(info->members[i]->role, &role);
        if (vn_policy_in_team(role))
            info->members[keep++] = info->members[i];
        else
            vn__member__free_unpacked(info->members[i], NULL);
    }
    info->n_members = keep;
    info->created_ms = info->closed_ms = 0;
    return VN_OK;
}

static vn_err h_case_show(vn_server *srv, const vn_peer *peer, const Vn__CaseShow *r,
                          vn_outcome *out, char *msg, size_t msgsize)
{
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN], participant[VN_ACCOUNT_LEN];
    vn_case_info ci;
    vn_err err = vn_parse_id(r->case_id, "case", id, msg, msgsize);
    if (err) return err;
    bool found = vn_cases_get(vn_server_store(srv), id, &ci) == VN_OK;
    bool is_cm = found && memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN) == 0;
    bool member = found && vn_cases_of(vn_server_store(srv), peer->account, mine) == VN_OK &&
                  memcmp(mine, id, VN_ACCOUNT_LEN) == 0 && vn_policy_in_team(peer->role);
    bool lead = found && peer->role == VN_ROLE_MEDICAL_LEAD;
    if (r->team_only && (!(is_cm || member) || ci.state == VN_CASE_CLOSED))
        return vn_fail(msg, msgsize, VN_EDENIED,
                       "case %s is unknown or you are not in its care team: the team chat is "
                       "for the participant, the casemanager and the buddies of an open case",
                       r->case_id);
    if (!is_cm && !member && !lead)
        return vn_fail(msg, msgsize, VN_EDENIED,
                       "case %s is unknown or not yours to read: a case is read by its "
                       "casemanager, participant and buddies, and by medical leads",
                       r->case_id);
    if (r->team_only) return team_reply(srv, &ci, out, is_cm);
    /* Reading someone's case is logged where they can see it. */
    if (vn_case_participant(srv, id, participant) &&
        memcmp(participant, peer->account, VN_ACCOUNT_LEN) != 0) {
        err = vn_audit_record(vn_server_store(srv), participant, peer->account, VN_AUDIT_CASE,
                              vn_clock_now(vn_server_clock(srv)));
        if (err) return vn_fail(msg, msgsize, err, "cannot write the audit log");
        out->wrote = true;
    }
    return reply_case(srv, &ci, out);
}

static vn_err h_case_remove(vn_server *srv, const vn_peer *peer, const Vn__CaseRemove *r,
                            vn_outcome *out, char *msg, size_t msgsize)
{
    vn_case_info ci;
    uint8_t who[VN_ACCOUNT_LEN];
    vn_err err = vn_managed_case(srv, peer, r->case_id, &ci, false, msg, msgsize);
    if (err) return err;
    if ((err = vn_parse_id(r->account, "account", who, msg, msgsize))) return err;
    err = vn_cases_remove_member(vn_server_store(srv), ci.id, who);
    if (err == VN_ENOTFOUND)
        return vn_fail(msg, msgsize, err, "%s is not a member of case %s", r->account, r->case_id);
    if (err) return vn_fail(msg, msgsize, err, "cannot remove: %s", vn_err_str(err));
    out->wrote = true;
    vn_log("case member removed");
    return reply_case(srv, &ci, out);
}

static vn_err h_case_reassign(vn_server *srv, const vn_peer *peer, const Vn__CaseReassign *r,
                              vn_outcome *out, char *msg, size_t msgsize)
{
    vn_case_info ci;
    uint8_t id[VN_ACCOUNT_LEN], cm[VN_ACCOUNT_LEN];
    vn_role role;
    vn_err err;
    /* The programme office (admin) may hand over cases of a casemanager who left. */
    if (peer->role == VN_ROLE_ADMIN) {
        if ((err = vn_parse_id(r->case_id, "case", id, msg, msgsize))) return err;
        if (vn_cases_get(vn_server_store(srv), id, &ci) || ci.state == VN_CASE_CLOSED)
            return vn_fail(msg, msgsize, VN_ENOTFOUND, "no open case %s", r->case_id);
    } else if ((err = vn_managed_case(srv, peer, r->case_id, &ci, true, msg, msgsize))) {
        return err;
    }
    if ((err = vn_parse_id(r->account, "account", cm, msg, msgsize))) return err;
    if (vn_accounts_role(vn_server_store(srv), cm, &role) || role != VN_ROLE_CASEMANAGER)
        return vn_fail(msg, msgsize, VN_EINVAL, "%s is not a casemanager account", r->account);
    if ((err = vn_cases_reassign(vn_server_store(srv), ci.id, cm)))
        return vn_fail(msg, msgsize, err, "cannot reassign: %s", vn_err_str(err));
    memcpy(ci.casemanager, cm, VN_ACCOUNT_LEN);
    out->wrote = true;
    return reply_case(srv, &ci, out);
}

static vn_err h_case_close(vn_server *srv, const vn_peer *peer, const Vn__CaseClose *r,
                           vn_outcome *out, char *msg, size_t msgsize)
{
    vn_case_info ci;
    vn_err err = vn_managed_case(srv, peer, r->case_id, &ci, true, msg, msgsize);
    if (err) return err;
    uint64_t now = vn_clock_now(vn_server_clock(srv));
    if ((err = vn_cases_set_state(vn_server_store(srv), ci.id, VN_CASE_CLOSED, now)))
        return vn_fail(msg, msgsize, err, "cannot close: %s", vn_err_str(err));
    ci.state = VN_CASE_CLOSED;
    ci.closed_ms = now;
    out->wrote = true;
    return reply_case(srv, &ci, out);
}

struct list_ctx {
    vn_server *srv;   /* for member lookups */
    Vn__Cases *cases; /* reply being filled */
};

static vn_err list_cb(void *ud, const vn_case_info *ci)
{
    struct list_ctx *c = ud;
    if (c->cases->n_cases == CASES_MAX) return VN_ETOOBIG;
    vn_err err = case_info_reply(c->srv, ci, &c->cases->cases[c->cases->n_cases]);
    /* Count it even on failure so the reply's free sees it. */
    if (c->cases->cases[c->cases->n_cases]) c->cases->n_cases++;
    return err;
}

static vn_err h_case_list(vn_server *srv, const vn_peer *peer, vn_outcome *out, char *msg,
                          size_t msgsize)
{
    if (peer->role != VN_ROLE_CASEMANAGER)
        return vn_fail(msg, msgsize, VN_EDENIED, "only a casemanager lists their cases");
    Vn__Cases *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__cases__init(body);
    out->reply->body_case = VN__REPLY__BODY_CASES;
    out->reply->cases = body;
    body->cases = calloc(CASES_MAX, sizeof *body->cases);
    if (!body->cases) return VN_ENOMEM;
    struct list_ctx c = {srv, body};
    vn_err err = vn_cases_each_managed(vn_server_store(srv), peer->account, list_cb, &c);
    if (err == VN_ETOOBIG) err = VN_OK; /* the first CASES_MAX are enough for one screen */
    return err ? vn_fail(msg, msgsize, err, "cannot list cases: %s", vn_err_str(err)) : VN_OK;
}

struct audit_ctx {
    vn_server *srv;    /* for role lookups */
    Vn__AuditLog *log; /* reply being filled */
    size_t cap;
};

static vn_err audit_cb(void *ud, uint64_t minute_ms, const uint8_t reader[VN_ACCOUNT_LEN],
                       vn_audit_what what)
{
    struct audit_ctx *c = ud;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_role role = VN_ROLE_NONE;
    if (c->log->n_entries == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        Vn__AuditEntry **e = realloc(c->log->entries, cap * sizeof *e);
        if (!e) return VN_ENOMEM;
        c->log->entries = e;
        c->cap = cap;
    }
    Vn__AuditEntry *e = malloc(sizeof *e);
    if (!e) return VN_ENOMEM;
    vn__audit_entry__init(e);
    c->log->entries[c->log->n_entries++] = e;
    vn_hex_encode(reader, VN_ACCOUNT_LEN, hex);
    vn_accounts_role(vn_server_store(c->srv), reader, &role);
    e->minute_ms = minute_ms;
    e->reader = vn_dup_str(hex);
    e->reader_role = vn_dup_str(vn_role_name(role));
    e->what = vn_dup_str(vn_audit_what_name(what));
    return e->reader && e->reader_role && e->what ? VN_OK : VN_ENOMEM;
}

static vn_err disclosure_cb(void *ud, uint64_t recorded_ms)
{
    Vn__AuditLog *log = ud;
    uint64_t *d = realloc(log->disclosures_ms, (log->n_disclosures_ms + 1) * sizeof *d);
    if (!d) return VN_ENOMEM;
    log->disclosures_ms = d;
    d[log->n_disclosures_ms++] = recorded_ms;
    return VN_OK;
}

static vn_err h_audit(vn_server *srv, const vn_peer *peer, vn_outcome *out, char *msg,
                      size_t msgsize)
{
    if (peer->role != VN_ROLE_PARTICIPANT)
        return vn_fail(msg, msgsize, VN_EDENIED,
                       "the audit log is the participant's own: only they read it");
    Vn__AuditLog *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__audit_log__init(body);
    out->reply->body_case = VN__REPLY__BODY_AUDIT_LOG;
    out->reply->audit_log = body;
    struct audit_ctx c = {srv, body, 0};
    vn_err err = vn_audit_each(vn_server_store(srv), peer->account, audit_cb, &c);
    uint8_t case_id[VN_ACCOUNT_LEN];
    /* The participant also sees every disclosure recorded about them. */
    if (!err && vn_cases_of(vn_server_store(srv), peer->account, case_id) == VN_OK)
        err = vn_disclosures_each(vn_server_store(srv), case_id, disclosure_cb, body);
    return err ? vn_fail(msg, msgsize, err, "cannot read the audit log: %s", vn_err_str(err))
               : VN_OK;
}

static vn_err h_delete(vn_server *srv, const vn_peer *peer, const Vn__DeleteAccount *r,
                       vn_outcome *out, char *msg, size_t msgsize)
{
    if (!r->confirm)
        return vn_fail(msg, msgsize, VN_EINVAL, "deleting an account must be confirmed");
    vn_err err = vn_lifecycle_delete_account(vn_server_store(srv), peer->account);
    if (err == VN_EDENIED)
        return vn_fail(msg, msgsize, err,
                       "you still manage open cases: reassign or close them first");
    if (err) return vn_fail(msg, msgsize, err, "cannot delete the account: %s", vn_err_str(err));
    out->wrote = true;
    vn_log("account deleted");
    Vn__Deleted *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__deleted__init(body);
    out->reply->body_case = VN__REPLY__BODY_DELETED;
    out->reply->deleted = body;
    return VN_OK;
}

vn_err vn_handle_case(vn_server *srv, const vn_peer *peer, const Vn__Request *req, vn_outcome *out,
                      char *msg, size_t msgsize)
{
    switch (req->body_case) {
    case VN__REQUEST__BODY_CASE_NEW:
        return h_case_new(srv, peer, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_INVITE:
        return h_case_invite(srv, peer, req->case_invite, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_SHOW:
        return h_case_show(srv, peer, req->case_show, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_REMOVE:
        return h_case_remove(srv, peer, req->case_remove, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_REASSIGN:
        return h_case_reassign(srv, peer, req->case_reassign, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_CLOSE:
        return h_case_close(srv, peer, req->case_close, out, msg, msgsize);
    case VN__REQUEST__BODY_CASE_LIST:
        return h_case_list(srv, peer, out, msg, msgsize);
    case VN__REQUEST__BODY_AUDIT_READ:
        return h_audit(srv, peer, out, msg, msgsize);
    case VN__REQUEST__BODY_DELETE_ACCOUNT:
        return h_delete(srv, peer, req->delete_account, out, msg, msgsize);
    default:
        return vn_handle_contract(srv, peer, req, out, msg, msgsize);
    }
}
