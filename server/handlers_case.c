/* Care-network requests: cases, invites into them, membership, the audit
 * log and account deletion. Who may do what follows docs/ARCHITECTURE.md: only a
 * case's casemanager manages it; reads of a participant's case data by
 * anyone else are written to the participant's audit log. */
#include "server.h"
#include "announce.h"

#include "vn/alerts.h"
#include "vn/array.h"
#include "vn/disclosures.h"
#include "vn/cases.h"
#include "vn/sealed.h"
#include "vn/hex.h"
#include "vn/account.h"
#include "vn/contracts.h"
#include "vn/day.h"
#include "vn/sched.h"

#include <stdlib.h>
#include <string.h>

#define INVITE_TTL_DEFAULT (7ULL * 86400000)
#define INVITE_TTL_MAX     (90ULL * 86400000)
#define CASES_MAX          512  /* most cases listed in one reply */
#define AUDIT_RECORD_LEN   31   /* a packed AuditRecord: every field set, each of one size */
#define DISCLOSURES_MAX    1024 /* most disclosures in one reply */
/* Most audit entries in one page: with its disclosures it must fit a
 * reply frame (2 x --frame-max, 128 KiB by default); a sealed entry takes
 * 83 bytes on the wire. The rest follow in later pages (AuditRead.cursor). */
#define AUDIT_MAX 512

static vn_err case_info_reply(vn_sstore *st, const vn_case_info *ci, Vn__CaseInfo **out)
{
    char hex[VN_ACCOUNT_HEX + 1];
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    vn_err err = vn_cases_members(st, ci->id, m, VN_CASE_MEMBERS_MAX, &n);
    if (err) return err;
    Vn__CaseInfo *info = malloc(sizeof *info);
    if (!info) return VN_ENOMEM;
    vn__case_info__init(info);
    *out = info;
    vn_hex_encode(ci->id, VN_ACCOUNT_LEN, hex);
    info->case_id = vn_dup_str(hex);
    vn_hex_encode(ci->casemanager, VN_ACCOUNT_LEN, hex);
    info->casemanager = vn_dup_str(hex);
    info->state = vn_dup_str(vn_cases_state_name(ci->state));
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

static vn_err reply_case(vn_req *r, const vn_case_info *ci)
{
    r->out->reply->body_case = VN__REPLY__BODY_CASE_INFO;
    return case_info_reply(r->store, ci, &r->out->reply->case_info);
}

vn_err vn_managed_case(vn_req *r, const char *case_hex, vn_case_info *ci, bool must_be_open)
{
    uint8_t id[VN_ACCOUNT_LEN];
    vn_err err = vn_parse_id(r, case_hex, "case", id);
    if (err) return err;
    err = vn_cases_get(r->store, id, ci);
    if ((err && err != VN_ENOTFOUND)) return vn_fail(r, err, "cannot read the case");
    /* A role the row refuses hears what an unknown case hears. */
    if (err || !r->role_ok || memcmp(ci->casemanager, r->peer->account, VN_ACCOUNT_LEN) != 0)
        return vn_fail(r, VN_EDENIED,
                       "case %s is unknown or not yours: only a case's own casemanager manages it",
                       case_hex);
    if (must_be_open && ci->state == VN_CASE_CLOSED)
        return vn_fail(r, VN_EDENIED, "case %s is closed", case_hex);
    return VN_OK;
}

vn_err vn_handle_case_new(vn_req *r)
{
    const vn_peer *peer = r->peer;
    vn_case_info ci;
    vn_err err = vn_cases_create(r->store, peer->account, r->now, &ci);
    if (err) return vn_fail(r, err, "cannot create the case: %s", vn_err_str(err));
    return reply_case(r, &ci);
}

vn_err vn_handle_case_invite(vn_req *r)
{
    const Vn__CaseInvite *q = r->req->case_invite;
    vn_outcome *out = r->out;
    vn_case_info ci;
    vn_role role;
    uint8_t secret[VN_INVITE_SECRET_LEN];
    uint64_t ttl = q->ttl_ms ? q->ttl_ms : INVITE_TTL_DEFAULT;
    vn_err err = vn_managed_case(r, q->case_id, &ci, true);
    if (err) return err;
    if (vn_role_parse(q->role, &role) ||
        (role != VN_ROLE_PARTICIPANT && role != VN_ROLE_BUDDY && role != VN_ROLE_NAASTE))
        return vn_fail(r, VN_EINVAL, "a case invites a participant, buddy or naaste, not %s",
                       q->role);
    if (ttl > INVITE_TTL_MAX)
        return vn_fail(r, VN_EINVAL, "an invite may be valid for at most 90 days");
    vn_member all[VN_CASE_MEMBERS_MAX];
    size_t count = 0;
    err = vn_cases_members(r->store, ci.id, all, VN_CASE_MEMBERS_MAX, &count);
    if (err == VN_ETOOBIG || (!err && count >= VN_CASE_MEMBERS_MAX))
        return vn_fail(r, VN_ETOOBIG, "case %s has its maximum of %d members", q->case_id,
                       VN_CASE_MEMBERS_MAX);
    if (err) return err;
    if (role == VN_ROLE_PARTICIPANT) {
        for (size_t i = 0; i < count; i++)
            if (all[i].role == VN_ROLE_PARTICIPANT)
                return vn_fail(r, VN_EEXISTS, "case %s already has its participant", q->case_id);
    }
    uint64_t now = r->now;
    err = vn_invites_create(r->store, role, ci.id, now, ttl, secret);
    if (err) return vn_fail(r, err, "cannot create the invite: %s", vn_err_str(err));
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
    body->case_id = vn_dup_str(q->case_id);
    body->expires_ms = now + ttl;
    /* --public-endpoint may name several (checked at start): the first in
     * endpoint, for clients of before the list, and all in endpoints. */
    const char *pe = vn_server_cfg(r->srv)->public_endpoint;
    vn_endpoints eps = {0};
    if (pe && vn_invite_endpoints_parse(pe, &eps, NULL, 0)) return VN_EINTERNAL;
    body->endpoint = vn_dup_str(eps.n ? eps.ep[0] : "");
    if (eps.n > 1) {
        body->endpoints = calloc(eps.n, sizeof *body->endpoints);
        if (!body->endpoints) return VN_ENOMEM;
        for (size_t k = 0; k < eps.n; k++)
            if (!(body->endpoints[body->n_endpoints++] = vn_dup_str(eps.ep[k]))) return VN_ENOMEM;
    }
    return body->role && body->case_id && body->endpoint ? VN_OK : VN_ENOMEM;
}

bool vn_case_participant(vn_server *srv, const uint8_t id[VN_ACCOUNT_LEN],
                         uint8_t participant[VN_ACCOUNT_LEN])
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    if (vn_cases_members(vn_server_store(srv), id, m, VN_CASE_MEMBERS_MAX, &n)) return false;
    for (size_t i = 0; i < n; i++) {
        if (m[i].role == VN_ROLE_PARTICIPANT) {
            memcpy(participant, m[i].account, VN_ACCOUNT_LEN);
            return true;
        }
    }
    return false;
}

/* The medical leads, as hex ids in the reply. */
static vn_err add_leads(vn_req *r, Vn__CaseInfo *info)
{
    uint8_t(*ids)[VN_ACCOUNT_LEN] = NULL;
    size_t n = 0;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_err err = vn_accounts_with_role(r->store, VN_ROLE_MEDICAL_LEAD, &ids, &n);
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
static vn_err team_reply(vn_req *r, const vn_case_info *ci, bool is_cm)
{
    vn_outcome *out = r->out;
    vn_err err = reply_case(r, ci);
    if (err) return err;
    if (is_cm && (err = add_leads(r, out->reply->case_info))) return err;
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

vn_err vn_handle_case_show(vn_req *r)
{
    const Vn__CaseShow *q = r->req->case_show;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN], participant[VN_ACCOUNT_LEN];
    vn_case_info ci;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* A role the row refuses hears what an unknown case hears. */
    bool found = r->role_ok && vn_cases_get(r->store, id, &ci) == VN_OK;
    bool is_cm = found && memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN) == 0;
    bool member = found && vn_cases_of(r->store, peer->account, mine) == VN_OK &&
                  memcmp(mine, id, VN_ACCOUNT_LEN) == 0 && vn_policy_in_team(peer->role);
    bool lead = found && peer->role == VN_ROLE_MEDICAL_LEAD;
    if (q->team_only && (!(is_cm || member) || ci.state == VN_CASE_CLOSED))
        return vn_fail(r, VN_EDENIED,
                       "case %s is unknown or you are not in its care team: the team chat is "
                       "for the participant, the casemanager and the buddies of an open case",
                       q->case_id);
    if (!is_cm && !member && !lead)
        return vn_fail(r, VN_EDENIED,
                       "case %s is unknown or not yours to read: a case is read by its "
                       "casemanager, participant and buddies, and by medical leads",
                       q->case_id);
    if (q->team_only) return team_reply(r, &ci, is_cm);
    /* Reading someone's case is logged where they can see it. */
    if (vn_case_participant(srv, id, participant) &&
        memcmp(participant, peer->account, VN_ACCOUNT_LEN) != 0) {
        err = vn_audit_note(r, participant, VN_AUDIT_CASE);
        if (err) return vn_audit_refuse(r, err);
        out->wrote = true;
    }
    return reply_case(r, &ci);
}

vn_err vn_handle_case_remove(vn_req *r)
{
    const Vn__CaseRemove *q = r->req->case_remove;
    vn_case_info ci;
    uint8_t who[VN_ACCOUNT_LEN];
    vn_err err = vn_managed_case(r, q->case_id, &ci, false);
    if (err) return err;
    if ((err = vn_parse_id(r, q->account, "account", who))) return err;
    /* Who hears of it is worked out while they are still a member. */
    vn_announce_audience aud;
    err = vn_announce_audience_of(r->srv, &ci, who, &aud);
    if (!err) err = vn_cases_remove_member(r->store, ci.id, who);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, err, "%s is not a member of case %s", q->account, q->case_id);
    if (err) return vn_fail(r, err, "cannot remove: %s", vn_err_str(err));
    if ((err = vn_alerts_reopen_claims(r->srv, ci.id, who))) return err;
    if ((err = vn_announce_leaving(r->srv, &aud, who, "member-removed", true))) return err;
    vn_server_count(r->srv, VN_LOG_REMOVED);
    return reply_case(r, &ci);
}

vn_err vn_handle_case_reassign(vn_req *r)
{
    const Vn__CaseReassign *q = r->req->case_reassign;
    const vn_peer *peer = r->peer;
    vn_case_info ci;
    uint8_t id[VN_ACCOUNT_LEN], cm[VN_ACCOUNT_LEN];
    vn_role role;
    vn_err err;
    /* The programme office (admin) may hand over cases of a casemanager who left. */
    if (peer->role == VN_ROLE_ADMIN) {
        if ((err = vn_parse_id(r, q->case_id, "case", id))) return err;
        if (vn_cases_get(r->store, id, &ci) || ci.state == VN_CASE_CLOSED)
            return vn_fail(r, VN_ENOTFOUND, "no open case %s", q->case_id);
    } else if ((err = vn_managed_case(r, q->case_id, &ci, true))) {
        return err;
    }
    if ((err = vn_parse_id(r, q->account, "account", cm))) return err;
    if (vn_accounts_role(r->store, cm, &role) || role != VN_ROLE_CASEMANAGER)
        return vn_fail(r, VN_EINVAL, "%s is not a casemanager account", q->account);
    if (memcmp(cm, ci.casemanager, VN_ACCOUNT_LEN) == 0)
        return vn_fail(r, VN_EINVAL, "%s already manages case %s", q->account, q->case_id);
    uint8_t previous[VN_ACCOUNT_LEN];
    memcpy(previous, ci.casemanager, VN_ACCOUNT_LEN);
    if ((err = vn_cases_reassign(r->store, ci.id, cm)))
        return vn_fail(r, err, "cannot reassign: %s", vn_err_str(err));
    memcpy(ci.casemanager, cm, VN_ACCOUNT_LEN);
    if ((err = vn_announce_case(r->srv, &ci, "casemanager-changed", previous, NULL))) return err;
    return reply_case(r, &ci);
}

/* The last day a closed case can be reopened: it is purged once its
 * retention has passed since the day it closed. */
static void reopen_until(vn_req *r, const vn_case_info *ci, char until[11])
{
    uint64_t end = ci->closed_ms + vn_server_cfg(r->srv)->case_retention_ms;
    /* In UTC days, as the purge counts them (closed_ms is a UTC midnight). */
    vn_day_format((int32_t)((end > 0 ? end - 1 : 0) / 86400000), until);
}

vn_err vn_handle_case_close(vn_req *r)
{
    const Vn__CaseClose *q = r->req->case_close;
    vn_case_info ci;
    vn_err err = vn_managed_case(r, q->case_id, &ci, true);
    if (err) return err;
    uint64_t now = r->now;
    if ((err = vn_cases_set_state(r->store, ci.id, VN_CASE_CLOSED, now)))
        return vn_fail(r, err, "cannot close: %s", vn_err_str(err));
    if ((err = vn_cases_get(r->store, ci.id, &ci))) return err;
    char until[11];
    reopen_until(r, &ci, until);
    if ((err = vn_announce_case(r->srv, &ci, "case-closed", NULL, until))) return err;
    return reply_case(r, &ci);
}

vn_err vn_handle_case_reopen(vn_req *r)
{
    const Vn__CaseReopen *q = r->req->case_reopen;
    uint64_t retention = vn_server_cfg(r->srv)->case_retention_ms;
    vn_case_info ci;
    uint8_t id[VN_ACCOUNT_LEN];
    vn_terms t;
    char until[11];
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* A role the row refuses hears what an unknown case hears; so does a
     * case already purged, which the server no longer knows. */
    if (!r->role_ok || vn_cases_get(r->store, id, &ci) ||
        memcmp(ci.casemanager, r->peer->account, VN_ACCOUNT_LEN) != 0)
        return vn_fail(r, VN_EDENIED,
                       "case %s is unknown or not yours: only a case's own casemanager reopens "
                       "it, and a closed case is purged %llu days after it closed "
                       "(--case-retention) and cannot be reopened after that",
                       q->case_id, (unsigned long long)(retention / 86400000));
    if (ci.state != VN_CASE_CLOSED)
        return vn_fail(r, VN_EINVAL, "case %s is %s, not closed: only a closed case is reopened",
                       q->case_id, vn_cases_state_name(ci.state));
    reopen_until(r, &ci, until);
    if (r->now > ci.closed_ms + retention)
        return vn_fail(r, VN_EDENIED,
                       "case %s closed more than its retention of %llu days ago (reopening "
                       "was possible until %s): it is purged and cannot be reopened",
                       q->case_id, (unsigned long long)(retention / 86400000), until);
    /* Back to what it was: active under a signed contract, else intake. */
    err = vn_contracts_in_force(r->store, id, &t);
    if (err && err != VN_ENOTFOUND) return vn_fail(r, err, "cannot read the contract");
    vn_case_state state = err ? VN_CASE_INTAKE : VN_CASE_ACTIVE;
    if ((err = vn_cases_set_state(r->store, id, state, r->now)))
        return vn_fail(r, err, "cannot reopen: %s", vn_err_str(err));
    /* The days it was closed expected nothing of anyone: the scheduler
     * goes on from yesterday instead of catching them up as missed. */
    int32_t last, yesterday = vn_day_local(r->now, NULL) - 1;
    if (state == VN_CASE_ACTIVE &&
        (vn_sched_last(r->store, id, &last) != VN_OK || last < yesterday) &&
        (err = vn_sched_set_last(r->store, id, yesterday)))
        return vn_fail(r, err, "cannot reopen: %s", vn_err_str(err));
    if ((err = vn_cases_get(r->store, id, &ci))) return err;
    if ((err = vn_announce_case(r->srv, &ci, "case-reopened", NULL, NULL))) return err;
    return reply_case(r, &ci);
}

struct list_ctx {
    vn_sstore *st;    /* for member lookups */
    Vn__Cases *cases; /* reply being filled */
};

static vn_err list_cb(void *ud, const vn_case_info *ci)
{
    struct list_ctx *c = ud;
    if (c->cases->n_cases == CASES_MAX) return VN_ETOOBIG;
    vn_err err = case_info_reply(c->st, ci, &c->cases->cases[c->cases->n_cases]);
    /* Count it even on failure so the reply's free sees it. */
    if (c->cases->cases[c->cases->n_cases]) c->cases->n_cases++;
    return err;
}

vn_err vn_handle_case_list(vn_req *r)
{
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    Vn__Cases *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__cases__init(body);
    out->reply->body_case = VN__REPLY__BODY_CASES;
    out->reply->cases = body;
    body->cases = calloc(CASES_MAX, sizeof *body->cases);
    if (!body->cases) return VN_ENOMEM;
    struct list_ctx c = {r->store, body};
    vn_err err = vn_cases_each_managed(r->store, peer->account, list_cb, &c);
    if (err == VN_ETOOBIG) err = VN_OK; /* the first CASES_MAX are enough for one screen */
    return err ? vn_fail(r, err, "cannot list cases: %s", vn_err_str(err)) : VN_OK;
}

/* The entry is sealed here, before the store sees it: the kv layer's
 * own sealing protects against a stolen disk, but whoever holds the store
 * key on a live server reads everything under it. Sealed to the
 * participant's identity key, the reader, role, what and minute are
 * readable by the participant's device only. The minute, not the instant,
 * as before. */
vn_err vn_audit_note(vn_req *r, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_what what)
{
    uint8_t key[VN_KEYS_PUBLIC_LEN];
    uint8_t plain[AUDIT_RECORD_LEN], box[AUDIT_RECORD_LEN + VN_SEALED_BOX_OVERHEAD];
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    vn_err err = vn_keys_identity(r->store, participant, key);
    if (err) return err;
    rec.minute_ms = r->now / 60000 * 60000;
    rec.reader = (ProtobufCBinaryData){VN_ACCOUNT_LEN, (uint8_t *)r->peer->account};
    rec.reader_role = (uint32_t)r->peer->role;
    rec.what = (uint32_t)what;
    /* A record of another length would make box lengths tell roles or
     * reads apart; that only happens for values the server never sets. */
    if (vn__audit_record__get_packed_size(&rec) != sizeof plain) return VN_EINVAL;
    vn__audit_record__pack(&rec, plain);
    err = vn_sealed_box(key, plain, sizeof plain, box);
    explicit_bzero(plain, sizeof plain);
    if (err) return err;
    return vn_audit_put(r->store, participant, box, sizeof box);
}

vn_err vn_audit_refuse(vn_req *r, vn_err err)
{
    if (err == VN_ENOTFOUND)
        return vn_fail(r, err,
                       "the participant has no published keys yet, so this read cannot go into "
                       "their audit log and is refused; try again once their device has joined");
    return vn_fail(r, err, "cannot write the participant's audit log, so the read is refused: %s",
                   vn_err_str(err));
}

struct audit_ctx {
    Vn__AuditLog *log; /* reply being filled */
    size_t cap;        /* allocated slots of log->entries */
    size_t dcap;       /* allocated slots of log->disclosures_ms */
};

static vn_err audit_cb(void *ud, const uint8_t *box, size_t len)
{
    struct audit_ctx *c = ud;
    vn_err err = vn_array_reserve(&c->log->entries, &c->cap, c->log->n_entries + 1,
                                  sizeof *c->log->entries, AUDIT_MAX);
    if (err) return err;
    Vn__AuditEntry *e = malloc(sizeof *e);
    if (!e) return VN_ENOMEM;
    vn__audit_entry__init(e);
    c->log->entries[c->log->n_entries++] = e;
    if (!(e->box.data = malloc(len))) return VN_ENOMEM;
    memcpy(e->box.data, box, len);
    e->box.len = len;
    return VN_OK;
}

static vn_err disclosure_cb(void *ud, uint64_t recorded_ms)
{
    struct audit_ctx *c = ud;
    Vn__AuditLog *log = c->log;
    vn_err err = vn_array_reserve(&log->disclosures_ms, &c->dcap, log->n_disclosures_ms + 1,
                                  sizeof *log->disclosures_ms, DISCLOSURES_MAX);
    if (err) return err;
    log->disclosures_ms[log->n_disclosures_ms++] = recorded_ms;
    return VN_OK;
}

vn_err vn_handle_audit_read(vn_req *r)
{
    const Vn__AuditRead *q = r->req->audit_read;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t after[VN_AUDIT_ID_LEN], last[VN_AUDIT_ID_LEN];
    char hex[2 * VN_AUDIT_ID_LEN + 1] = "";
    size_t rest = 0, limit = q->limit && q->limit < AUDIT_MAX ? q->limit : AUDIT_MAX;
    bool first = !q->cursor || !q->cursor[0];
    if (!first &&
        (strlen(q->cursor) != 2 * VN_AUDIT_ID_LEN || vn_hex_decode(q->cursor, after, sizeof after)))
        return vn_fail(r, VN_EINVAL,
                       "the cursor is not one this server gave; read the audit log from the start");
    Vn__AuditLog *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__audit_log__init(body);
    out->reply->body_case = VN__REPLY__BODY_AUDIT_LOG;
    out->reply->audit_log = body;
    struct audit_ctx c = {body, 0, 0};
    /* A page of at most AUDIT_MAX entries, so a reply fits one frame. */
    vn_err err = vn_audit_page(r->store, peer->account, first ? NULL : after, limit, audit_cb, &c,
                               last, &rest);
    uint8_t case_id[VN_ACCOUNT_LEN];
    /* The participant also sees every disclosure recorded about them, with
     * the first page. */
    if (!err && first && vn_cases_of(r->store, peer->account, case_id) == VN_OK)
        err = vn_disclosures_each(r->store, case_id, disclosure_cb, &c);
    /* Past DISCLOSURES_MAX disclosures the rest is left out. */
    if (err == VN_ETOOBIG) err = VN_OK;
    if (err) return vn_fail(r, err, "cannot read the audit log: %s", vn_err_str(err));
    body->more = rest > 0;
    body->remaining = (uint32_t)rest;
    if (rest) vn_hex_encode(last, sizeof last, hex);
    body->cursor = vn_dup_str(hex);
    return body->cursor ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_delete_account(vn_req *r)
{
    const Vn__DeleteAccount *q = r->req->delete_account;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    if (!q->confirm) return vn_fail(r, VN_EINVAL, "deleting an account must be confirmed");
    /* Who hears of it is worked out while the account is still a member. */
    vn_announce_audience aud;
    uint8_t case_id[VN_ACCOUNT_LEN];
    vn_case_info ci;
    bool announce = vn_cases_of(r->store, peer->account, case_id) == VN_OK &&
                    vn_cases_get(r->store, case_id, &ci) == VN_OK &&
                    vn_announce_audience_of(r->srv, &ci, peer->account, &aud) == VN_OK;
    /* Its claims go back to the other buddies before it is forgotten. */
    vn_err err = vn_alerts_reopen_claims(r->srv, NULL, peer->account);
    if (!err) err = vn_lifecycle_delete_account(r->store, peer->account);
    if (err == VN_EDENIED)
        return vn_fail(r, err, "you still manage open cases: reassign or close them first");
    if (err) return vn_fail(r, err, "cannot delete the account: %s", vn_err_str(err));
    if (announce && (err = vn_announce_leaving(r->srv, &aud, peer->account, "member-left", false)))
        return vn_fail(r, err, "cannot tell the case: %s", vn_err_str(err));
    vn_server_count(r->srv, VN_LOG_DELETED);
    Vn__Deleted *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__deleted__init(body);
    out->reply->body_case = VN__REPLY__BODY_DELETED;
    out->reply->deleted = body;
    return VN_OK;
}
