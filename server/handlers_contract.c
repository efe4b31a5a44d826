/* Contract and schedule requests: set, show and sign the monitoring
 * contract, the daily check-in with its draw, dated records, absences, the
 * casemanager's caseload and a case's month calendar. The server keeps the
 * date and kind of every record and never a result. */
#include "server.h"

#include "vn/absences.h"
#include "vn/contracts.h"
#include "vn/events.h"
#include "vn/sched.h"
#include "vn/e2ee.h"
#include "vn/day.h"
#include "vn/rand.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define DUE_MAX      16
#define CASELOAD_MAX 512

static vn_err stored_reply(Vn__StoredContract *sc, vn_outcome *out)
{
    out->reply->body_case = VN__REPLY__BODY_STORED_CONTRACT;
    out->reply->stored_contract = sc;
    return VN_OK;
}

/* Tells every member of the case (and its casemanager) about a contract. */
static vn_err notify_case(vn_server *srv, const vn_case_info *ci, const Vn__Notice *n,
                          bool members_too)
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t count = 0;
    vn_err err = vn_server_notify(srv, ci->casemanager, n);
    if (err || !members_too) return err;
    if ((err = vn_cases_members(vn_server_store(srv), ci->id, m, VN_CASE_MEMBERS_MAX, &count)))
        return err;
    for (size_t i = 0; !err && i < count; i++)
        err = vn_server_notify(srv, m[i].account, n);
    return err;
}

/* Sets the start date of an unpacked contract. The old string was the
 * unpacker's (freed here: an explicitly empty one was allocated too)
 * unless it is protobuf-c's shared empty string. */
static vn_err set_start(Vn__Contract *c, const char *date)
{
    char *dup = strdup(date);
    if (!dup) return VN_ENOMEM;
    if (c->start_date && c->start_date != protobuf_c_empty_string) free(c->start_date);
    c->start_date = dup;
    return VN_OK;
}

vn_err vn_handle_contract_set(vn_req *r)
{
    const Vn__ContractSet *q = r->req->contract_set;
    vn_server *srv = r->srv;
    vn_outcome *out = r->out;
    vn_case_info ci;
    uint8_t participant[VN_ACCOUNT_LEN];
    char phex[VN_ACCOUNT_HEX + 1], tz[64];
    vn_terms t;
    Vn__StoredContract *prev = NULL;
    if (!q->contract) return vn_fail(r, VN_EINVAL, "no contract in the request");
    Vn__Contract *c = q->contract;
    vn_err err = vn_managed_case(r, c->case_id, &ci, true);
    if (err) return err;
    if (!vn_case_participant(srv, ci.id, participant))
        return vn_fail(r, VN_EINVAL,
                       "case %s has no participant yet: invite them before setting a contract",
                       c->case_id);
    uint32_t version = 1;
    err = vn_contracts_latest(r->store, ci.id, &prev);
    if (err && err != VN_ENOTFOUND) return vn_fail(r, err, "cannot read the contract");
    if (!err) {
        Vn__Contract *pc = vn__contract__unpack(NULL, prev->canonical.len, prev->canonical.data);
        version = (pc ? pc->version : 0) + 1;
        /* A new version (a raised rate after a relapse) keeps the contract's
         * start unless the casemanager names another. */
        if (pc && (!c->start_date || !c->start_date[0])) err = set_start(c, pc->start_date);
        if (pc) vn__contract__free_unpacked(pc, NULL);
        vn__stored_contract__free_unpacked(prev, NULL);
        if (err) return err;
    }
    char today[11];
    if (!c->start_date || !c->start_date[0]) {
        vn_day_format(vn_day_local(r->now, NULL), today);
        if ((err = set_start(c, today))) return err;
    }
    if ((err = vn_terms_from_pb(c, &t)))
        return vn_fail(r, err,
                       "the contract terms are not valid: phases must cover months 1..%u without "
                       "overlap, rates at most 31 a month, minimums above 0, the window within "
                       "the day, the start a date YYYY-MM-DD",
                       c->months);
    vn_hex_encode(participant, VN_ACCOUNT_LEN, phex);
    snprintf(tz, sizeof tz, "%s", vn_server_cfg(srv)->time_zone);
    /* The stored (and signed) bytes are rebuilt from the validated terms,
     * so nothing a client slipped into the message (unknown fields, extra
     * text) reaches the store or the participant's signature. */
    Vn__Contract *canonical = NULL;
    if ((err = vn_terms_to_pb(&t, c->case_id, tz, &canonical))) {
        if (canonical) vn__contract__free_unpacked(canonical, NULL);
        return err;
    }
    canonical->version = version;
    canonical->participant = vn_dup_str(phex);
    if (!canonical->participant) {
        vn__contract__free_unpacked(canonical, NULL);
        return VN_ENOMEM;
    }
    size_t len = vn__contract__get_packed_size(canonical);
    uint8_t *canon = malloc(len ? len : 1);
    if (canon) vn__contract__pack(canonical, canon);
    vn__contract__free_unpacked(canonical, NULL);
    if (!canon) return VN_ENOMEM;
    uint64_t now = r->now;
    err = vn_contracts_put(r->store, ci.id, canon, len, now, version);
    free(canon);
    if (err) return vn_fail(r, err, "cannot store the contract: %s", vn_err_str(err));
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = "contract-set";
    n.case_id = c->case_id;
    n.version = version;
    n.date = c->start_date;
    if ((err = vn_server_notify(srv, participant, &n))) return err;
    Vn__StoredContract *sc = NULL;
    if ((err = vn_contracts_latest(r->store, ci.id, &sc))) return err;
    return stored_reply(sc, out);
}

vn_err vn_handle_contract_get(vn_req *r)
{
    const Vn__ContractGet *q = r->req->contract_get;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], participant[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN];
    vn_case_info ci;
    Vn__StoredContract *sc = NULL;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* A role the row refuses hears what an unknown case hears. */
    bool found = r->role_ok && vn_cases_get(r->store, id, &ci) == VN_OK;
    bool is_cm = found && memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN) == 0;
    bool own = found && peer->role == VN_ROLE_PARTICIPANT &&
               vn_cases_of(r->store, peer->account, mine) == VN_OK &&
               memcmp(mine, id, VN_ACCOUNT_LEN) == 0;
    bool lead = found && peer->role == VN_ROLE_MEDICAL_LEAD;
    if (!is_cm && !own && !lead)
        return vn_fail(r, VN_EDENIED,
                       "case %s is unknown or its contract is not yours to read: a contract is "
                       "read by the participant, their casemanager and medical leads",
                       q->case_id);
    err = vn_contracts_latest(r->store, id, &sc);
    if (err == VN_ENOTFOUND) return vn_fail(r, err, "case %s has no contract yet", q->case_id);
    if (err) return vn_fail(r, err, "cannot read the contract");
    if (!own && vn_case_participant(srv, id, participant)) {
        err = vn_audit_note(r, participant, VN_AUDIT_CONTRACT);
        if (err) {
            vn__stored_contract__free_unpacked(sc, NULL);
            return vn_audit_refuse(r, err);
        }
        out->wrote = true;
    }
    return stored_reply(sc, out);
}

vn_err vn_handle_contract_sign(vn_req *r)
{
    const Vn__ContractSign *q = r->req->contract_sign;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN], key[VN_KEYS_PUBLIC_LEN];
    vn_case_info ci;
    Vn__StoredContract *sc = NULL;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    if (!r->role_ok || vn_cases_of(r->store, peer->account, mine) != VN_OK ||
        memcmp(mine, id, VN_ACCOUNT_LEN) != 0 || vn_cases_get(r->store, id, &ci))
        return vn_fail(r, VN_EDENIED, "only the participant of case %s signs its contract",
                       q->case_id);
    if ((err = vn_contracts_latest(r->store, id, &sc)))
        return vn_fail(r, err, "case %s has no contract to sign", q->case_id);
    Vn__Contract *c = vn__contract__unpack(NULL, sc->canonical.len, sc->canonical.data);
    if (!c || strcmp(c->participant, peer->account_hex) != 0 || ci.state == VN_CASE_CLOSED) {
        err = vn_fail(r, VN_EDENIED,
                      "this contract is not yours to sign (it names another participant, or the "
                      "case is closed)");
        goto out;
    }
    if (c->version != q->version) {
        err = vn_fail(r, VN_EINVAL,
                      "version %u is not the newest contract (%u): read it again before signing",
                      q->version, c ? c->version : 0);
        goto out;
    }
    if ((err = vn_keys_identity(r->store, peer->account, key)) ||
        (err = vn_e2ee_verify(key, sc->canonical.data, sc->canonical.len, q->signature.data,
                              q->signature.len))) {
        err = vn_fail(r, VN_ECRYPTO,
                      "the signature does not match the contract and your identity key");
        goto out;
    }
    uint64_t now = r->now;
    if ((err = vn_contracts_sign(r->store, id, q->version, q->signature.data, q->signature.len,
                                 now)) ||
        ((ci.state == VN_CASE_INTAKE || ci.state == VN_CASE_COMPLETED) &&
         (err = vn_cases_set_state(r->store, id, VN_CASE_ACTIVE, now)))) {
        err = vn_fail(r, err, "cannot record the signature: %s", vn_err_str(err));
        goto out;
    }
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = "contract-signed";
    n.case_id = q->case_id;
    n.version = q->version;
    n.date = c->start_date;
    if ((err = notify_case(srv, &ci, &n, true))) goto out;
    vn__stored_contract__free_unpacked(sc, NULL);
    sc = NULL;
    if ((err = vn_contracts_latest(r->store, id, &sc))) goto out;
    vn__contract__free_unpacked(c, NULL);
    return stored_reply(sc, out);
out:
    if (c) vn__contract__free_unpacked(c, NULL);
    if (sc) vn__stored_contract__free_unpacked(sc, NULL);
    return err;
}

static void window_text(const vn_terms *t, char *out, size_t size)
{
    snprintf(out, size, "%02d:%02d-%02d:%02d", t->checkin_start_min / 60, t->checkin_start_min % 60,
             t->checkin_end_min / 60, t->checkin_end_min % 60);
}

/* Makes (once) and records the day's draw; *test tells the result. */
vn_err vn_draw_day(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN], const vn_terms *t,
                   const vn_absence *abs, size_t nabs, int32_t day, bool *test);

vn_err vn_draw_day(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN], const vn_terms *t,
                   const vn_absence *abs, size_t nabs, int32_t day, bool *test)
{
    vn_sstore *st = vn_server_store(srv);
    uint32_t r;
    if (vn_events_has(st, case_id, day, VN_EV_DRAW_TEST)) {
        *test = true;
        return VN_OK;
    }
    *test = false;
    if (vn_events_has(st, case_id, day, VN_EV_DRAW_NONE)) return VN_OK;
    if (!vn_terms_active(t, day) || vn_schedule_absent(abs, nabs, day)) return VN_OK;
    /* Made no earlier than the day it concerns, from the OS CSPRNG, and
     * recorded either way so the casemanager sees every draw. */
    vn_err err = vn_rand_bytes(&r, sizeof r);
    if (err) return err;
    *test = vn_schedule_draw(t, abs, nabs, day, r);
    return vn_events_add(st, case_id, day, *test ? VN_EV_DRAW_TEST : VN_EV_DRAW_NONE);
}

vn_err vn_handle_checkin(vn_req *r)
{
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN];
    vn_terms t;
    vn_absence *abs = NULL;
    size_t nabs = 0;
    int minute;
    char window[16], date[11];
    bool test = false;
    vn_sstore *st = r->store;
    if (vn_cases_of(st, peer->account, id) != VN_OK)
        return vn_fail(r, VN_EDENIED, "only a participant checks in");
    vn_err err = vn_contracts_in_force(st, id, &t);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, VN_ENOTFOUND,
                       "there is no signed contract yet: read and sign it first (vangnet contract "
                       "sign)");
    if (err) return vn_fail(r, err, "cannot read the contract");
    vn_case_info ci;
    if (vn_cases_get(st, id, &ci) != VN_OK || ci.state == VN_CASE_CLOSED)
        return vn_fail(r, VN_EDENIED, "the case is closed");
    int32_t today = vn_day_local(r->now, &minute);
    window_text(&t, window, sizeof window);
    vn_day_format(today, date);
    if (!vn_terms_active(&t, today))
        return vn_fail(r, VN_EDENIED, "the contract is not running on %s", date);
    if (minute < t.checkin_start_min || minute >= t.checkin_end_min)
        return vn_fail(r, VN_EDENIED, "check-in is open %s (server time %02d:%02d); try again then",
                       window, minute / 60, minute % 60);
    if ((err = vn_absences_load(st, id, &abs, &nabs))) return err;
    bool absent = vn_schedule_absent(abs, nabs, today);
    if (!vn_events_has(st, id, today, VN_EV_CHECKIN))
        err = vn_events_add(st, id, today, VN_EV_CHECKIN);
    if (!err) err = vn_draw_day(srv, id, &t, abs, nabs, today, &test);
    free(abs);
    if (err) return vn_fail(r, err, "cannot record the check-in: %s", vn_err_str(err));
    Vn__CheckedIn *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__checked_in__init(body);
    out->reply->body_case = VN__REPLY__BODY_CHECKED_IN;
    out->reply->checked_in = body;
    body->test_today = test;
    body->absent = absent;
    body->date = vn_dup_str(date);
    body->window = vn_dup_str(window);
    return body->date && body->window ? VN_OK : VN_ENOMEM;
}

/* Who may record what: contacts and tests by the casemanager, buddy
 * contacts by buddies too, self-help by the participant too. */
static vn_err record_kind(const char *kind, vn_role role, bool is_cm, vn_event_kind *ev)
{
    if (strcmp(kind, "casemanager-contact") == 0)
        *ev = VN_EV_CM_CONTACT;
    else if (strcmp(kind, "buddy-contact") == 0)
        *ev = VN_EV_BUDDY_CONTACT;
    else if (strcmp(kind, "selfhelp") == 0)
        *ev = VN_EV_SELFHELP;
    else if (strcmp(kind, "test") == 0)
        *ev = VN_EV_TEST;
    else
        return VN_EINVAL;
    if (is_cm) return VN_OK;
    if (*ev == VN_EV_BUDDY_CONTACT && role == VN_ROLE_BUDDY) return VN_OK;
    if (*ev == VN_EV_SELFHELP && role == VN_ROLE_PARTICIPANT) return VN_OK;
    return VN_EDENIED;
}

vn_err vn_handle_record(vn_req *r)
{
    const Vn__Record *q = r->req->record;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN];
    vn_case_info ci;
    vn_event_kind ev;
    int32_t day;
    vn_sstore *st = r->store;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* A role the row refuses hears what an unknown case hears. */
    bool found = r->role_ok && vn_cases_get(st, id, &ci) == VN_OK && ci.state != VN_CASE_CLOSED;
    bool is_cm = found && memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN) == 0;
    bool member = found && vn_cases_of(st, peer->account, mine) == VN_OK &&
                  memcmp(mine, id, VN_ACCOUNT_LEN) == 0;
    err = record_kind(q->kind ? q->kind : "", peer->role, is_cm, &ev);
    if (err == VN_EINVAL)
        return vn_fail(r, err,
                       "unknown record kind %s: casemanager-contact, buddy-contact, selfhelp or "
                       "test",
                       q->kind);
    if (err || (!is_cm && !member))
        return vn_fail(r, VN_EDENIED,
                       "you may not record %s for case %s: the casemanager records contacts and "
                       "tests, buddies their contacts, the participant self-help",
                       q->kind, q->case_id);
    int32_t today = vn_day_local(r->now, NULL);
    if (!q->date || !q->date[0])
        day = today;
    else if (vn_day_parse(q->date, &day))
        return vn_fail(r, VN_EINVAL, "not a date: %s (use YYYY-MM-DD)", q->date);
    if (day > today)
        return vn_fail(r, VN_EINVAL, "%s is in the future: record what happened", q->date);
    if (q->not_taken) {
        /* A test recorded as taken by mistake: only the casemanager says so. */
        if (ev != VN_EV_TEST || !is_cm)
            return vn_fail(r, VN_EDENIED, "only the casemanager takes back a test taken");
        if ((err = vn_events_drop(st, id, day, VN_EV_TEST)))
            return vn_fail(r, err, "cannot take the test back: %s", vn_err_str(err));
        char d[11];
        vn_day_format(day, d);
        return vn_reply_recorded(out, q->kind, d);
    }
    /* A test counts only where a draw asked for one: a test on another
     * day (for cause) would tell the server more than its rule needs. */
    bool keep = ev != VN_EV_TEST || vn_events_has(st, id, day, VN_EV_DRAW_TEST);
    /* One test per test day: recording it again (a corrected result) adds
     * no second one. */
    bool again = keep && ev == VN_EV_TEST && vn_events_has(st, id, day, VN_EV_TEST);
    if (keep && !again && (err = vn_events_add(st, id, day, ev)))
        return vn_fail(r, err, "cannot store the record: %s", vn_err_str(err));
    char date[11];
    vn_day_format(day, date);
    err = vn_reply_recorded(out, q->kind, date);
    if (!err) out->reply->recorded->not_kept = !keep;
    return err;
}

vn_err vn_handle_absence_add(vn_req *r)
{
    const Vn__AbsenceAdd *q = r->req->absence_add;
    vn_outcome *out = r->out;
    vn_case_info ci;
    int32_t from, to;
    vn_terms t;
    vn_absence *abs = NULL;
    size_t n = 0;
    vn_err err = vn_managed_case(r, q->case_id, &ci, true);
    if (err) return err;
    if (q->kind && strcmp(q->kind, "medication") == 0)
        return vn_fail(r, VN_EINVAL,
                       "a medication exception is not kept on the server: it travels end to end "
                       "to the participant and the medical leads (vangnet absence add --kind "
                       "medication does that)");
    if (q->kind && q->kind[0] && strcmp(q->kind, "absence"))
        return vn_fail(r, VN_EINVAL, "kind must be absence, not %s", q->kind);
    if (vn_day_parse(q->from, &from) || vn_day_parse(q->to, &to) || to < from)
        return vn_fail(r, VN_EINVAL, "FROM and TO must be dates YYYY-MM-DD with FROM not after TO");
    /* The yearly cap comes from the contract: the one in force, else the
     * one waiting for its signature. Without either there is no cap to
     * hold an absence to, and an absence before the contract would later
     * switch off its draws unchecked. */
    err = vn_contracts_in_force(r->store, ci.id, &t);
    if (err == VN_ENOTFOUND) err = vn_contracts_newest_terms(r->store, ci.id, &t);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, VN_EDENIED,
                       "case %s has no contract yet: set it first (the yearly absence cap comes "
                       "from it)",
                       q->case_id);
    if (err) return vn_fail(r, err, "cannot read the contract");
    if ((err = vn_absences_load(r->store, ci.id, &abs, &n))) return err;
    vn_absence add = {from, to};
    bool ok = vn_schedule_absence_allowed(&t, abs, n, add);
    int used = vn_schedule_absence_days_in_year(&t, abs, n, from);
    free(abs);
    if (!ok)
        return vn_fail(r, VN_EDENIED,
                       "%s..%s would exceed the %u days of absence a contract year allows "
                       "(%d used in the year of %s)",
                       q->from, q->to, t.absence_max_days, used, q->from);
    if ((err = vn_absences_add(r->store, ci.id, from, to)))
        return vn_fail(r, err, "cannot store the absence: %s", vn_err_str(err));
    return vn_reply_recorded(out, "absence", q->from);
}
