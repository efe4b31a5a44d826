/* Signals, SOS and escalation (docs/ARCHITECTURE.md). The server sees an alert's
 * case, kind, severity and times; what was observed travels end to end.
 * An SOS goes to every buddy at once and the first to claim it owns it; an
 * alert nobody acknowledges in time climbs to the casemanager and then the
 * medical lead. Disclosure is recorded only with both gates attested by
 * both the casemanager and a medical lead. */
#include "server.h"

#include "ratelimit.h"
#include "vn/alerts.h"
#include "vn/array.h"
#include "vn/disclosures.h"
#include "vn/absences.h"
#include "vn/contracts.h"
#include "vn/events.h"
#include "vn/sched.h"
#include "vn/signals.h"
#include "vn/day.h"
#include "vn/hex.h"
#include "vn/account.h"
#include "vn/be.h"

#include <stdlib.h>
#include <string.h>

static uint64_t alert_limit_ms(const vn_alert *a)
{
    return (uint64_t)vn_signals_ack_minutes((vn_severity)a->severity) * 60000;
}

static const char *const notice_kinds[] = {"",          "alert",       "sos", "sos-claimed",
                                           "escalated", "sos-reopened"};

static uint8_t notice_code(const char *kind)
{
    for (uint8_t i = 1; i < sizeof notice_kinds / sizeof notice_kinds[0]; i++)
        if (strcmp(kind, notice_kinds[i]) == 0) return i;
    return 0;
}

/* Is it now within account's quiet hours? */
static bool quiet_now(vn_server *srv, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint16_t from, to;
    int minute;
    if (vn_quiet_get(vn_server_store(srv), account, &from, &to) != VN_OK) return false;
    vn_day_local(vn_clock_now(vn_server_clock(srv)), &minute);
    return from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);
}

/* What some alert notices say beyond the alert itself. */
typedef struct notice_extra {
    bool reporter;     /* to the one who raised it */
    const char *level; /* escalated: who has it now */
    uint32_t minutes;  /* sos-unclaimed: how long it has waited */
} notice_extra;

static vn_err send_notice_x(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const vn_alert *a,
                            const char *kind, const uint8_t *by, const notice_extra *x);

static vn_err send_notice(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const vn_alert *a,
                          const char *kind, const uint8_t *by)
{
    return send_notice_x(srv, to, a, kind, by, NULL);
}

static vn_err send_notice_x(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const vn_alert *a,
                            const char *kind, const uint8_t *by, const notice_extra *x)
{
    char id[VN_ACCOUNT_HEX + 1], case_hex[VN_ACCOUNT_HEX + 1], by_hex[VN_ACCOUNT_HEX + 1] = "";
    vn_hex_encode(a->id, VN_ALERT_ID_LEN, id);
    vn_hex_encode(a->case_id, VN_ACCOUNT_LEN, case_hex);
    if (by) vn_hex_encode(by, VN_ACCOUNT_LEN, by_hex);
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)kind;
    n.item = (char *)vn_alerts_kind_name(a->kind);
    n.case_id = case_hex;
    n.alert = id;
    n.severity = (char *)vn_signals_severity_name((vn_severity)a->severity);
    n.by = by_hex;
    n.date = "";
    if (x) {
        n.reporter = x->reporter;
        n.level = (char *)(x->level ? x->level : "");
        n.minutes = x->minutes;
    }
    return vn_server_notify(srv, to, &n);
}

/* Sends a notice about alert a to one account now, or, for a concern
 * during the recipient's quiet hours, holds it until they end. Urgent and
 * crisis notices never wait. */
static vn_err deliver(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const vn_alert *a,
                      const char *kind, const uint8_t *by)
{
    uint8_t code = notice_code(kind);
    if (a->severity == VN_SEV_CONCERN && code && !by && quiet_now(srv, to)) {
        vn_deferred d = {.kind = code};
        memcpy(d.account, to, VN_ACCOUNT_LEN);
        memcpy(d.alert, a->id, VN_ALERT_ID_LEN);
        return vn_quiet_defer(vn_server_store(srv), &d);
    }
    return send_notice(srv, to, a, kind, by);
}

/* A notice about alert a to one account, or (to == NULL) every medical lead. */
static vn_err alert_notify(vn_server *srv, const uint8_t to[VN_ACCOUNT_LEN], const vn_alert *a,
                           const char *kind, const uint8_t *by)
{
    if (to) return deliver(srv, to, a, kind, by);
    uint8_t(*leads)[VN_ACCOUNT_LEN] = NULL;
    size_t count = 0;
    vn_err err = vn_accounts_with_role(vn_server_store(srv), VN_ROLE_MEDICAL_LEAD, &leads, &count);
    for (size_t i = 0; !err && i < count; i++)
        err = deliver(srv, leads[i], a, kind, by);
    free(leads);
    return err;
}

/* Held notices whose recipient's quiet hours are over go out now. */
static vn_err release_held(vn_server *srv)
{
    vn_deferred *h = NULL;
    size_t n = 0;
    vn_err err = vn_quiet_deferred(vn_server_store(srv), &h, &n);
    for (size_t i = 0; !err && i < n; i++) {
        vn_alert a;
        if (quiet_now(srv, h[i].account)) continue;
        uint8_t code = h[i].kind;
        if (vn_alerts_get(vn_server_store(srv), h[i].alert, &a) == VN_OK &&
            code < sizeof notice_kinds / sizeof notice_kinds[0] && a.state != VN_ALERT_ACKED)
            err = send_notice(srv, h[i].account, &a, notice_kinds[code], NULL);
        if (!err) err = vn_quiet_undefer(vn_server_store(srv), &h[i]);
    }
    free(h);
    return err;
}

vn_err vn_alert_info(const vn_alert *a, Vn__AlertInfo **out)
{
    char hex[VN_ACCOUNT_HEX + 1];
    static const uint8_t none[VN_ACCOUNT_LEN] = {0};
    Vn__AlertInfo *ai = malloc(sizeof *ai);
    if (!ai) return VN_ENOMEM;
    vn__alert_info__init(ai);
    *out = ai;
    vn_hex_encode(a->id, VN_ALERT_ID_LEN, hex);
    ai->alert = vn_dup_str(hex);
    vn_hex_encode(a->case_id, VN_ACCOUNT_LEN, hex);
    ai->case_id = vn_dup_str(hex);
    ai->kind = vn_dup_str(vn_alerts_kind_name(a->kind));
    ai->severity = vn_dup_str(vn_signals_severity_name((vn_severity)a->severity));
    ai->state = vn_dup_str(vn_alerts_state_name(a->state));
    if (memcmp(a->claimed_by, none, VN_ACCOUNT_LEN))
        vn_hex_encode(a->claimed_by, VN_ACCOUNT_LEN, hex);
    else
        hex[0] = '\0';
    ai->claimed_by = vn_dup_str(hex);
    ai->created_ms = a->created_ms;
    ai->level = a->level;
    ai->acked_ms = a->acked_ms;
    ai->ack_due_ms = a->created_ms + alert_limit_ms(a);
    return ai->alert && ai->case_id && ai->kind && ai->severity && ai->state && ai->claimed_by
               ? VN_OK
               : VN_ENOMEM;
}

static vn_err reply_alert(const vn_alert *a, vn_outcome *out)
{
    out->reply->body_case = VN__REPLY__BODY_ALERT_INFO;
    return vn_alert_info(a, &out->reply->alert_info);
}

/* Notifies every buddy of the case (an SOS), or one other role. */
static vn_err notify_role(vn_server *srv, const vn_alert *a, vn_role role, const char *kind,
                          const uint8_t *by, const uint8_t *except)
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    vn_err err = vn_cases_members(vn_server_store(srv), a->case_id, m, VN_CASE_MEMBERS_MAX, &n);
    for (size_t i = 0; !err && i < n; i++) {
        if (m[i].role != role || (except && !memcmp(m[i].account, except, VN_ACCOUNT_LEN)))
            continue;
        err = alert_notify(srv, m[i].account, a, kind, by);
    }
    return err;
}

/* ---- feedback to the one who raised an alert ---- */

/* Tells whoever raised alert a what became of it: an SOS is its case's
 * participant's (nothing is kept for that); a signal's reporters are kept
 * while it is open (vn_sched_reporter_add), those of signals folded into
 * it too. Only reporters still in the case are told, and not the one who
 * did it (by). */
static vn_err tell_reporters(vn_server *srv, const vn_alert *a, const char *kind, const uint8_t *by,
                             const char *level)
{
    vn_sstore *st = vn_server_store(srv);
    uint8_t who[VN_REPORTERS_MAX][VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_err err = VN_OK;
    if (a->kind == VN_ALERT_SOS)
        n = vn_case_participant(srv, a->case_id, who[0]) ? 1 : 0;
    else
        err = vn_sched_reporters(st, a->case_id, a->id, who, &n);
    notice_extra x = {.reporter = true, .level = level};
    for (size_t i = 0; !err && i < n; i++) {
        if (by && !memcmp(who[i], by, VN_ACCOUNT_LEN)) continue;
        if (vn_cases_of(st, who[i], mine) != VN_OK || memcmp(mine, a->case_id, VN_ACCOUNT_LEN))
            continue;
        err = send_notice_x(srv, who[i], a, kind, by, &x);
    }
    return err;
}

/* Tells everyone else alert a reached that it was answered (by), so
 * nobody goes on acting on it: an SOS's buddies; the casemanager of a
 * signal, or of an SOS once it went to them; the medical leads once it
 * went to them. Not the one who answered; reporters hear it as reporters
 * (tell_reporters). Good news holds no one up: never held for quiet
 * hours, and the daemon's notification treats it as any alert update. */
static vn_err tell_alerted(vn_server *srv, const vn_alert *a, const uint8_t *by)
{
    vn_sstore *st = vn_server_store(srv);
    vn_case_info ci;
    vn_member m[VN_CASE_MEMBERS_MAX];
    uint8_t(*leads)[VN_ACCOUNT_LEN] = NULL;
    size_t n = 0;
    bool sos = a->kind == VN_ALERT_SOS;
    vn_err err = sos ? vn_cases_members(st, a->case_id, m, VN_CASE_MEMBERS_MAX, &n) : VN_OK;
    for (size_t i = 0; !err && sos && i < n; i++)
        if (m[i].role == VN_ROLE_BUDDY && memcmp(m[i].account, by, VN_ACCOUNT_LEN) != 0)
            err = send_notice(srv, m[i].account, a, "acknowledged", by);
    if (!err && (!sos || a->level >= VN_LEVEL_CASEMANAGER) &&
        vn_cases_get(st, a->case_id, &ci) == VN_OK &&
        memcmp(ci.casemanager, by, VN_ACCOUNT_LEN) != 0)
        err = send_notice(srv, ci.casemanager, a, "acknowledged", by);
    if (err || a->level < VN_LEVEL_MEDICAL_LEAD) return err;
    err = vn_accounts_with_role(st, VN_ROLE_MEDICAL_LEAD, &leads, &n);
    for (size_t i = 0; !err && i < n; i++)
        if (memcmp(leads[i], by, VN_ACCOUNT_LEN) != 0)
            err = send_notice(srv, leads[i], a, "acknowledged", by);
    free(leads);
    return err;
}

/* The unclaimed-SOS reminder's kind for vn_sched_alert_once (the
 * scheduler's notice kinds are 1-5). */
#define SOS_REMIND_ONCE 6

/* Reminds the buddies that an SOS still waits for one of them: once after
 * a few minutes, and again when it goes to the casemanager (level). An
 * SOS is never held for quiet hours. */
static vn_err remind_buddies(vn_server *srv, const vn_alert *a, uint64_t now, const char *level)
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    notice_extra x = {.level = level, .minutes = (uint32_t)((now - a->created_ms) / 60000)};
    vn_err err = vn_cases_members(vn_server_store(srv), a->case_id, m, VN_CASE_MEMBERS_MAX, &n);
    for (size_t i = 0; !err && i < n; i++)
        if (m[i].role == VN_ROLE_BUDDY)
            err = send_notice_x(srv, m[i].account, a, "sos-unclaimed", NULL, &x);
    return err;
}

/* Signals are limited per (reporter, case) and per case, so one naaste
 * cannot bury the case's real alerts, nor all reporters together the
 * casemanager's list. An SOS is not: only the participant sends one, and
 * one in crisis must always get through (the account limit still holds). */
static vn_err take_signal(vn_req *r, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    uint8_t pair[2 * VN_ACCOUNT_LEN];
    uint64_t now = vn_server_mono_ms(r->srv), retry = 0;
    const char *what = NULL;
    memcpy(pair, r->peer->account, VN_ACCOUNT_LEN);
    memcpy(pair + VN_ACCOUNT_LEN, case_id, VN_ACCOUNT_LEN);
    /* Checked both before either is taken, so a refusal costs nothing. */
    if (vn_ratelimit_check(vn_server_rl_alert(r->srv), pair, sizeof pair, 1, now, &retry))
        what = "you raised too many signals in this case";
    else if (vn_ratelimit_check(vn_server_rl_case_alert(r->srv), case_id, VN_ACCOUNT_LEN, 1, now,
                                &retry))
        what = "too many signals were raised in this case";
    if (what) {
        r->retry_ms = retry;
        return vn_fail(r, VN_ERATE, "rate limit: %s; retry after %llu s", what,
                       (unsigned long long)(retry + 999) / 1000);
    }
    vn_ratelimit_take(vn_server_rl_alert(r->srv), pair, sizeof pair, 1, now, &retry);
    vn_ratelimit_take(vn_server_rl_case_alert(r->srv), case_id, VN_ACCOUNT_LEN, 1, now, &retry);
    return VN_OK;
}

/* Folding: a signal like an alert of its case that is still open (same
 * kind and severity, raised within the fold window) adds nothing to
 * escalate, so it joins that alert: the list keeps one entry and the
 * casemanager is not told twice (the items still reach them end to end).
 * A more severe signal is never folded into a milder alert: it gets its
 * own alert and its own, shorter, deadline. The reporter is not stored,
 * so alike signals of several reporters fold together. */
struct fold_ctx {
    const vn_alert *like; /* the signal being raised */
    uint64_t since;       /* oldest creation time that folds */
    vn_alert_key into;    /* the open alert found */
    bool found;
};

/* From the case index alone: only the alert found is read. */
static vn_err fold_cb(void *ud, const vn_alert_key *a)
{
    struct fold_ctx *f = ud;
    if (f->found || a->kind != f->like->kind || a->severity != f->like->severity ||
        a->state != VN_ALERT_OPEN || a->created_ms < f->since)
        return VN_OK;
    f->into = *a;
    f->found = true;
    return VN_OK;
}

static vn_err find_fold(vn_req *r, const vn_alert *like, vn_alert *into, bool *found)
{
    uint64_t window = vn_server_cfg(r->srv)->alert_fold_ms;
    struct fold_ctx f = {.like = like, .since = r->now > window ? r->now - window : 0};
    *found = false;
    if (!window || like->kind != VN_ALERT_SIGNAL) return VN_OK;
    vn_err err =
        vn_alerts_keys_recent(r->store, like->case_id, like->severity, f.since, fold_cb, &f);
    if (!err && f.found) {
        err = vn_alerts_get(r->store, f.into.id, into);
        *found = err == VN_OK;
    }
    return err;
}

vn_err vn_handle_alert_raise(vn_req *r)
{
    const Vn__AlertRaise *q = r->req->alert_raise;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN];
    vn_case_info ci;
    vn_severity sev;
    vn_alert a;
    vn_sstore *st = r->store;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    bool sos = q->kind && strcmp(q->kind, "sos") == 0;
    if (!sos && (!q->kind || strcmp(q->kind, "signal") != 0))
        return vn_fail(r, VN_EINVAL, "kind must be signal or sos");
    if (vn_signals_severity_parse(q->severity, &sev))
        return vn_fail(r, VN_EINVAL, "severity must be concern, urgent or crisis");
    bool member = vn_cases_of(st, peer->account, mine) == VN_OK &&
                  !memcmp(mine, id, VN_ACCOUNT_LEN) && vn_cases_get(st, id, &ci) == VN_OK &&
                  ci.state != VN_CASE_CLOSED;
    /* The row admits the roles of a signal; an SOS is the participant's. */
    if (!member || !r->role_ok || (sos && peer->role != VN_ROLE_PARTICIPANT))
        return vn_fail(r, VN_EDENIED,
                       sos ? "an SOS is sent by the participant of an open case"
                           : "signals are reported by the participant, buddies and naasten of "
                             "an open case");
    uint64_t retry = 0;
    if (vn_ratelimit_take(vn_server_rl_account(srv), peer->account, VN_ACCOUNT_LEN, 1,
                          vn_server_mono_ms(srv), &retry))
        return vn_fail(r, VN_ERATE, "rate limit: too many requests; retry after %llu ms",
                       (unsigned long long)retry);
    if (!sos && (err = take_signal(r, id))) return err;
    if (vn_server_nearly_full(srv))
        return vn_fail(r, VN_EFULL, "the server's storage is full; try again later");
    memset(&a, 0, sizeof a);
    memcpy(a.case_id, id, VN_ACCOUNT_LEN);
    a.kind = sos ? VN_ALERT_SOS : VN_ALERT_SIGNAL;
    a.severity = (uint8_t)sev;
    a.state = VN_ALERT_OPEN;
    a.created_ms = a.level_ms = r->now;
    a.level = sos ? VN_LEVEL_BUDDIES : VN_LEVEL_CASEMANAGER;
    bool folded = false;
    vn_alert into;
    if ((err = find_fold(r, &a, &into, &folded))) return err;
    if (folded) {
        /* Its reporter is told what becomes of the alert it joined. */
        if ((err = vn_sched_reporter_add(st, into.case_id, into.id, peer->account))) return err;
        return reply_alert(&into, out);
    }
    if ((err = vn_alerts_create(st, &a)))
        return vn_fail(r, err, "cannot store the alert: %s", vn_err_str(err));
    if (!sos && (err = vn_sched_reporter_add(st, a.case_id, a.id, peer->account))) return err;
    /* An SOS reaches every buddy at once; a signal the casemanager. */
    err = sos ? notify_role(srv, &a, VN_ROLE_BUDDY, "sos", NULL, NULL)
              : alert_notify(srv, ci.casemanager, &a, "alert", NULL);
    if (err) return err;
    vn_server_count(srv, VN_LOG_ALERT);
    return reply_alert(&a, out);
}

/* Who sees an alert: its casemanager; a medical lead once it reached
 * them; the buddies of an SOS; the participant their own case's. */
static bool visible(vn_sstore *st, const vn_peer *p, const vn_alert *a)
{
    vn_case_info ci;
    uint8_t mine[VN_ACCOUNT_LEN];
    if (vn_cases_get(st, a->case_id, &ci)) return false;
    if (!memcmp(ci.casemanager, p->account, VN_ACCOUNT_LEN)) return true;
    if (p->role == VN_ROLE_MEDICAL_LEAD) return a->level >= VN_LEVEL_MEDICAL_LEAD;
    bool member =
        vn_cases_of(st, p->account, mine) == VN_OK && !memcmp(mine, a->case_id, VN_ACCOUNT_LEN);
    if (!member) return false;
    return p->role == VN_ROLE_PARTICIPANT || (p->role == VN_ROLE_BUDDY && a->kind == VN_ALERT_SOS);
}

/* Loads the alert named in a request. An alert the peer may not see is
 * answered as an unknown one, word for word: an outsider cannot learn
 * which alert ids exist. */
static vn_err load_alert(vn_req *r, const char *hex, vn_alert *a, vn_case_info *ci)
{
    uint8_t id[VN_ALERT_ID_LEN];
    vn_err err = vn_parse_id(r, hex, "alert", id);
    if (err) return err;
    if (vn_alerts_get(r->store, id, a) || vn_cases_get(r->store, a->case_id, ci) ||
        !visible(r->store, r->peer, a))
        return vn_fail(r, VN_ENOTFOUND, "no alert %s that you can see", hex);
    return VN_OK;
}

vn_err vn_handle_alert_claim(vn_req *r)
{
    const Vn__AlertClaim *q = r->req->alert_claim;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    vn_alert a;
    vn_case_info ci;
    uint8_t mine[VN_ACCOUNT_LEN];
    vn_err err = load_alert(r, q->alert, &a, &ci);
    if (err) return err;
    bool buddy = r->role_ok && vn_cases_of(r->store, peer->account, mine) == VN_OK &&
                 !memcmp(mine, a.case_id, VN_ACCOUNT_LEN);
    if (!buddy || a.kind != VN_ALERT_SOS || ci.state == VN_CASE_CLOSED)
        return vn_fail(r, VN_EDENIED, "an SOS is claimed by a buddy of its open case");
    if (a.state != VN_ALERT_OPEN) {
        char by[VN_ACCOUNT_HEX + 1];
        vn_hex_encode(a.claimed_by, VN_ACCOUNT_LEN, by);
        return vn_fail(r, VN_EEXISTS, "this SOS was already %s by %s",
                       a.state == VN_ALERT_ACKED ? "answered" : "claimed", by);
    }
    a.state = VN_ALERT_CLAIMED;
    memcpy(a.claimed_by, peer->account, VN_ACCOUNT_LEN);
    if ((err = vn_alerts_put(r->store, &a))) return err;
    /* The other buddies learn who has it, and so does the participant who
     * sent it (told as its reporter). */
    if ((err = notify_role(srv, &a, VN_ROLE_BUDDY, "sos-claimed", peer->account, peer->account)))
        return err;
    if ((err = tell_reporters(srv, &a, "sos-claimed", peer->account, NULL))) return err;
    return reply_alert(&a, out);
}

vn_err vn_handle_alert_ack(vn_req *r)
{
    const Vn__AlertAck *q = r->req->alert_ack;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    vn_alert a;
    vn_case_info ci;
    vn_err err = load_alert(r, q->alert, &a, &ci);
    if (err) return err;
    bool cm = !memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN);
    uint8_t mine[VN_ACCOUNT_LEN];
    /* A claimer who has since left the case no longer answers for it. */
    bool claimer = a.state == VN_ALERT_CLAIMED &&
                   !memcmp(a.claimed_by, peer->account, VN_ACCOUNT_LEN) &&
                   vn_cases_of(r->store, peer->account, mine) == VN_OK &&
                   !memcmp(mine, a.case_id, VN_ACCOUNT_LEN);
    bool lead = peer->role == VN_ROLE_MEDICAL_LEAD && a.level >= VN_LEVEL_MEDICAL_LEAD;
    if (!r->role_ok || (!cm && !claimer && !lead))
        return vn_fail(r, VN_EDENIED,
                       "an alert is acknowledged by the case's casemanager, the buddy who "
                       "claimed the SOS, or (once escalated) a medical lead");
    /* Answered, the alert has nothing left to escalate: it is forgotten,
     * so the store holds no history of a participant's crises. */
    a.state = VN_ALERT_ACKED;
    a.acked_ms = r->now;
    /* Its reporters hear it was answered, and by whom; then nothing of it
     * is kept. */
    if ((err = tell_reporters(r->srv, &a, "acknowledged", peer->account, NULL)) ||
        (err = tell_alerted(r->srv, &a, peer->account)) ||
        (err = vn_sched_alert_forget(r->store, a.case_id, a.id)))
        return err;
    if ((err = vn_alerts_delete(r->store, a.id))) return err;
    return reply_alert(&a, out);
}

vn_err vn_handle_disclosure_attest(vn_req *r)
{
    const Vn__DisclosureAttest *q = r->req->disclosure_attest;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], participant[VN_ACCOUNT_LEN];
    vn_case_info ci;
    bool recorded = false;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* Unknown, closed and not yours read alike: a disclosure is attested by
     * the case's casemanager and a medical lead, and nobody else learns
     * whether the case exists. */
    bool found = vn_cases_get(r->store, id, &ci) == VN_OK && ci.state != VN_CASE_CLOSED;
    bool cm = found && !memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN);
    if (!found || !r->role_ok || (!cm && peer->role != VN_ROLE_MEDICAL_LEAD))
        return vn_fail(r, VN_ENOTFOUND,
                       "no open case %s of yours to attest: a disclosure is attested by the "
                       "case's casemanager and a medical lead",
                       q->case_id);
    /* Both gates, every time: nothing is recorded with one missing. */
    if (!q->safety_at_risk || !q->no_action_taken)
        return vn_fail(r, VN_EINVAL,
                       "a disclosure needs both gates: --safety-at-risk (the safety of the doctor "
                       "or of patients is at risk) and --no-action-taken (the doctor takes no "
                       "action to avert it); nothing was recorded");
    uint64_t now = r->now;
    if ((err = vn_disclosures_attest(r->store, id, cm ? 1 : 2, now, &recorded)))
        return vn_fail(r, err, "cannot store the attestation: %s", vn_err_str(err));
    if (recorded && vn_case_participant(srv, id, participant)) {
        Vn__Notice n = VN__NOTICE__INIT;
        char date[11];
        vn_day_format(vn_day_local(now, NULL), date);
        n.kind = "disclosure";
        n.case_id = q->case_id;
        n.date = date;
        if ((err = vn_server_notify(srv, participant, &n))) return err;
    }
    Vn__Attested *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__attested__init(body);
    out->reply->body_case = VN__REPLY__BODY_ATTESTED;
    out->reply->attested = body;
    body->recorded = recorded;
    body->waiting_for = vn_dup_str(recorded ? "" : cm ? "medical-lead" : "casemanager");
    return body->waiting_for ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_quiet_hours(vn_req *r)
{
    const Vn__QuietHours *q = r->req->quiet_hours;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    vn_err err;
    if (q->off) {
        err = vn_quiet_clear(r->store, peer->account);
        if (err == VN_ENOTFOUND) err = VN_OK;
    } else {
        if (q->start_min >= 1440 || q->end_min > 1440 || q->start_min == q->end_min)
            return vn_fail(r, VN_EINVAL, "quiet hours must be HH:MM-HH:MM, not empty");
        err = vn_quiet_set(r->store, peer->account, (uint16_t)q->start_min, (uint16_t)q->end_min);
    }
    if (err) return vn_fail(r, err, "cannot store quiet hours: %s", vn_err_str(err));
    return vn_reply_recorded(out, "quiet-hours", "");
}

/* SOS alerts claimed by an account that leaves the case (or whose case
 * is not given: any case) go back to the other buddies. */
struct reopen_ctx {
    vn_server *srv;
    const uint8_t *case_id; /* NULL: any case */
    const uint8_t *claimer;
};

static vn_err reopen_cb(void *ud, const vn_alert *a)
{
    struct reopen_ctx *c = ud;
    if (a->kind != VN_ALERT_SOS || a->state != VN_ALERT_CLAIMED ||
        memcmp(a->claimed_by, c->claimer, VN_ACCOUNT_LEN) != 0 ||
        (c->case_id && memcmp(a->case_id, c->case_id, VN_ACCOUNT_LEN) != 0))
        return VN_OK;
    /* Open again: the other buddies may claim it, and if its window has
     * passed the next sweep takes it to the casemanager. */
    vn_alert next = *a;
    next.state = VN_ALERT_OPEN;
    memset(next.claimed_by, 0, VN_ACCOUNT_LEN);
    vn_err err = vn_alerts_put(vn_server_store(c->srv), &next);
    if (!err) err = notify_role(c->srv, &next, VN_ROLE_BUDDY, "sos-reopened", NULL, c->claimer);
    return err;
}

vn_err vn_alerts_reopen_claims(vn_server *srv, const uint8_t *case_id,
                               const uint8_t claimer[VN_ACCOUNT_LEN])
{
    uint8_t mine[VN_ACCOUNT_LEN];
    struct reopen_ctx c = {srv, case_id, claimer};
    /* Only a buddy of the case claims, so an account's claims are all in
     * its own case: the case index has them. */
    if (!case_id) {
        if (vn_cases_of(vn_server_store(srv), claimer, mine) != VN_OK) return VN_OK;
        case_id = mine;
    }
    return vn_alerts_each_case(vn_server_store(srv), case_id, reopen_cb, &c);
}

/* The escalation ladder, run by the scheduler. */
static vn_err escalate_cb(void *ud, const vn_alert *a)
{
    vn_server *srv = ud;
    vn_case_info ci;
    uint64_t now = vn_clock_now(vn_server_clock(srv));
    if (a->state == VN_ALERT_ACKED || vn_cases_get(vn_server_store(srv), a->case_id, &ci))
        return VN_OK;
    vn_alert next = *a;
    uint64_t sos_window = vn_server_cfg(srv)->sos_window_ms;
    if (a->level == VN_LEVEL_BUDDIES && a->state == VN_ALERT_OPEN &&
        now >= a->created_ms + sos_window) {
        next.level = VN_LEVEL_CASEMANAGER;
        next.level_ms = now;
        vn_err err = alert_notify(srv, ci.casemanager, &next, "escalated", NULL);
        /* The buddies are reminded once more, the participant told. */
        if (!err) err = remind_buddies(srv, &next, now, "casemanager");
        if (!err) err = tell_reporters(srv, &next, "escalated", NULL, "casemanager");
        if (!err) err = vn_alerts_put(vn_server_store(srv), &next);
        if (err) return err;
    } else if (a->kind == VN_ALERT_SOS && a->level == VN_LEVEL_BUDDIES &&
               a->state == VN_ALERT_OPEN &&
               now >= a->created_ms + vn_schedule_sos_remind_ms(sos_window)) {
        bool already = false;
        vn_err err =
            vn_sched_alert_once(vn_server_store(srv), a->case_id, SOS_REMIND_ONCE, a->id, &already);
        if (!err && !already) err = remind_buddies(srv, a, now, "buddies");
        if (err) return err;
    }
    if (next.level < VN_LEVEL_MEDICAL_LEAD && now > a->created_ms + alert_limit_ms(a)) {
        /* Not acknowledged within its severity's limit: the casemanager is
         * told (if the SOS never reached them) and the medical lead. */
        if (next.level < VN_LEVEL_CASEMANAGER) {
            vn_err err = alert_notify(srv, ci.casemanager, &next, "escalated", NULL);
            if (err) return err;
        }
        next.level = VN_LEVEL_MEDICAL_LEAD;
        next.level_ms = now;
        vn_err err = alert_notify(srv, NULL, &next, "escalated", NULL);
        if (!err) err = tell_reporters(srv, &next, "escalated", NULL, "medical-lead");
        if (!err) err = vn_alerts_put(vn_server_store(srv), &next);
        if (err) return err;
        vn_server_count(srv, VN_LOG_ESCALATED);
    }
    return VN_OK;
}

/* A step slower than this says how many index entries it read. */
#define SWEEP_SLOW_MS 100
/* The sweep walks the climbing alerts in steps, one transaction each:
 * a few index entries a call, up to a bound of entries or of time. */
#define ESC_READS_PER_CALL 8
#define ESC_READS_PER_STEP 1024
#define ESC_BUDGET_MS      3

/* The climbing alerts whose next step is due, found from the index
 * entries alone; each is then read and moved by escalate_cb. */
struct due_ctx {
    vn_server *srv;
    uint64_t now;
    vn_alert_key *due;
    size_t n, cap;
    size_t read; /* index entries read */
};

static vn_err due_cb(void *ud, const vn_alert_key *k)
{
    struct due_ctx *d = ud;
    vn_alert a = {.kind = k->kind, .severity = k->severity, .created_ms = k->created_ms};
    uint64_t sos_window = vn_server_cfg(d->srv)->sos_window_ms;
    d->read++;
    bool to_cm = k->level == VN_LEVEL_BUDDIES && k->state == VN_ALERT_OPEN &&
                 d->now >= k->created_ms + sos_window;
    bool to_lead = d->now > k->created_ms + alert_limit_ms(&a);
    /* An SOS past its reminder time is looked at until it escalates: the
     * reminder is sent once (vn_sched_alert_once). */
    bool remind = k->kind == VN_ALERT_SOS && k->level == VN_LEVEL_BUDDIES &&
                  k->state == VN_ALERT_OPEN &&
                  d->now >= k->created_ms + vn_schedule_sos_remind_ms(sos_window);
    if (k->state == VN_ALERT_ACKED || (!to_cm && !to_lead && !remind)) return VN_OK;
    vn_err err = vn_array_reserve(&d->due, &d->cap, d->n + 1, sizeof *d->due, VN_ALERTS_MAX);
    if (!err) d->due[d->n++] = *k;
    return err;
}

static int due_cmp(const void *x, const void *y)
{
    return vn_alerts_key_order(x, y);
}

/* Escalates the due ones of at most ESC_READS_PER_CALL climbing alerts
 * after *pos. */
static vn_err escalate_due(vn_server *srv, vn_kv_pos *pos, size_t *read)
{
    vn_sstore *st = vn_server_store(srv);
    struct due_ctx d = {.srv = srv, .now = vn_clock_now(vn_server_clock(srv))};
    vn_err err = vn_alerts_keys_climbing_from(st, pos, ESC_READS_PER_CALL, due_cb, &d);
    /* In list order, so the escalated index's buckets fill with
     * neighbours and a medical lead's page opens few of them. */
    if (!err && d.n > 1) qsort(d.due, d.n, sizeof *d.due, due_cmp);
    for (size_t i = 0; !err && i < d.n; i++) {
        vn_alert a;
        if (vn_alerts_get(st, d.due[i].id, &a) == VN_OK) err = escalate_cb(srv, &a);
    }
    free(d.due);
    *read += d.read;
    return err;
}

bool vn_escalation_step(vn_server *srv, vn_kv_pos *pos)
{
    vn_kv *kv = vn_sstore_kv(vn_server_store(srv));
    uint64_t t0 = vn_server_mono_ms(srv);
    size_t read = 0;
    vn_err err = vn_kv_begin(kv);
    if (err) return false;
    /* A few alerts a call, so the time bound is looked at between
     * escalations, each of which notifies a handful of people. */
    while (!err && !pos->done && read < ESC_READS_PER_STEP &&
           (read == 0 || vn_server_mono_ms(srv) < t0 + ESC_BUDGET_MS))
        err = escalate_due(srv, pos, &read);
    /* Held notices go once the walk is through (there are few). */
    if (!err && pos->done) err = release_held(srv);
    if (err) {
        if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
        vn_server_commit_notices(srv, false);
        /* The next sweep begins the walk again. */
        vn_log("escalation: %s", vn_err_str(err));
        return false;
    }
    err = vn_kv_commit(kv);
    vn_server_commit_notices(srv, !err);
    uint64_t took = vn_server_mono_ms(srv) - t0;
    if (took >= SWEEP_SLOW_MS)
        vn_log("escalation step took %llu ms for %zu climbing alerts", (unsigned long long)took,
               read);
    return !err && !pos->done;
}
