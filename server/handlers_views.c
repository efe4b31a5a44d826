/* The casemanager's views, computed from contract, records and the clock:
 * the caseload (next due item, overdue items, open alerts per case) and a
 * case's month calendar. */
#include "server.h"

#include "vn/alerts.h"
#include "vn/absences.h"
#include "vn/contracts.h"
#include "vn/events.h"
#include "vn/sched.h"
#include "vn/signals.h"
#include "vn/day.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#define CASELOAD_MAX 512

/* What is due for one case now; *n gets the count (0 without a contract). */
static vn_err case_due(vn_req *r, const uint8_t id[VN_ACCOUNT_LEN], vn_due *due, size_t *n)
{
    vn_terms t;
    vn_event *ev = NULL;
    vn_absence *abs = NULL;
    size_t nev = 0, nabs = 0;
    int minute;
    *n = 0;
    vn_err err = vn_contracts_in_force(r->store, id, &t);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    int32_t today = vn_day_local(r->now, &minute);
    if ((err = vn_events_load(r->store, id, t.start_day, &ev, &nev)) ||
        (err = vn_absences_load(r->store, id, &abs, &nabs)))
        goto out;
    *n = vn_schedule_due(&t, ev, nev, abs, nabs, today, minute, due, VN_DUE_MAX);
    if (*n > VN_DUE_MAX) *n = VN_DUE_MAX;
out:
    free(ev);
    free(abs);
    return err;
}

static Vn__DueItem *due_item(const vn_due *d)
{
    char date[11];
    Vn__DueItem *it = malloc(sizeof *it);
    if (!it) return NULL;
    vn__due_item__init(it);
    vn_day_format(d->due_day, date);
    it->kind = vn_dup_str(vn_schedule_due_name((vn_due_kind)d->kind));
    it->date = vn_dup_str(date);
    return it;
}

struct load_ctx {
    vn_req *r;              /* the request */
    Vn__CaseloadView *view; /* reply being filled */
    bool wrote;             /* audit entries were written */
    bool unlogged;          /* an audit entry could not be written: the read is refused */
    size_t alert_budget;    /* alert lines the reply may still hold beyond each case's first */
};

/* A case lists its most urgent alerts, at most CASE_ALERTS_SHOWN, and
 * the whole reply at most CASELOAD_ALERTS_MAX beyond each case's first, so
 * it fits one frame even with CASELOAD_MAX cases full of alerts (a line
 * takes about 55 bytes); alerts_more counts the rest, and `vangnet alerts`
 * pages through them all. */
#define CASE_ALERTS_SHOWN   8
#define CASELOAD_ALERTS_MAX 512

static int sev_rank(const char *alert)
{
    return !strncmp(alert, "crisis", 6) ? 3 : !strncmp(alert, "urgent", 6) ? 2 : 1;
}

/* The case's open alerts as "severity:kind:state:id", most severe and
 * oldest first, from the case index alone; alerts_more counts the rest. */
static vn_err case_alerts(vn_req *r, const uint8_t id[VN_ACCOUNT_LEN], Vn__CaseDue *cd,
                          size_t *budget)
{
    vn_alert_key keys[CASE_ALERTS_SHOWN];
    vn_alert_pick p = {.keys = keys};
    p.limit = 1 + (*budget < CASE_ALERTS_SHOWN - 1 ? *budget : CASE_ALERTS_SHOWN - 1);
    vn_err err = vn_alerts_pick_case(r->store, &p, id);
    if (!err) err = vn_alerts_pick_run(r->store, &p);
    vn_alerts_pick_free(&p);
    if (err) return err;
    *budget -= p.n > 1 ? p.n - 1 : 0;
    cd->alerts = calloc(p.n ? p.n : 1, sizeof *cd->alerts);
    if (!cd->alerts) return VN_ENOMEM;
    for (size_t i = 0; i < p.n; i++) {
        char line[96], hex[VN_ACCOUNT_HEX + 1];
        vn_hex_encode(keys[i].id, VN_ALERT_ID_LEN, hex);
        snprintf(line, sizeof line, "%s:%s:%s:%s",
                 vn_signals_severity_name((vn_severity)keys[i].severity),
                 vn_alerts_kind_name(keys[i].kind), vn_alerts_state_name(keys[i].state), hex);
        if (!(cd->alerts[cd->n_alerts++] = vn_dup_str(line))) return VN_ENOMEM;
    }
    cd->alerts_more = (uint32_t)p.following;
    return VN_OK;
}

static vn_err caseload_cb(void *ud, const vn_case_info *ci)
{
    struct load_ctx *c = ud;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_due due[VN_DUE_MAX];
    size_t n = 0;
    if (ci->state == VN_CASE_CLOSED || c->view->n_cases == CASELOAD_MAX) return VN_OK;
    vn_err err = case_due(c->r, ci->id, due, &n);
    if (err) return err;
    Vn__CaseDue *cd = malloc(sizeof *cd);
    if (!cd) return VN_ENOMEM;
    vn__case_due__init(cd);
    c->view->cases[c->view->n_cases++] = cd;
    vn_hex_encode(ci->id, VN_ACCOUNT_LEN, hex);
    cd->case_id = vn_dup_str(hex);
    cd->state = vn_dup_str(vn_cases_state_name(ci->state));
    cd->overdue = calloc(VN_DUE_MAX, sizeof *cd->overdue);
    if (!cd->case_id || !cd->state || !cd->overdue) return VN_ENOMEM;
    if ((err = case_alerts(c->r, ci->id, cd, &c->alert_budget))) return err;
    /* The caseload is computed from the participant's events and alerts:
     * the read goes into their audit log. */
    uint8_t participant[VN_ACCOUNT_LEN];
    /* A participant is in one case only, so each entry is written once per
     * request without further de-duplication. */
    if (vn_case_participant(c->r->srv, ci->id, participant)) {
        if ((err = vn_audit_note(c->r, participant, VN_AUDIT_EVENTS)) ||
            (cd->n_alerts && (err = vn_audit_note(c->r, participant, VN_AUDIT_ALERTS)))) {
            c->unlogged = true;
            return err;
        }
        c->wrote = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (due[i].overdue) {
            if (!(cd->overdue[cd->n_overdue++] = due_item(&due[i]))) return VN_ENOMEM;
        } else if (!cd->next_due) {
            if (!(cd->next_due = due_item(&due[i]))) return VN_ENOMEM;
        }
    }
    return VN_OK;
}

/* Most urgent first: alerts (most severe first), then more overdue items,
 * then the oldest overdue, then the nearest next deadline. */
static int urgency_cmp(const void *a, const void *b)
{
    const Vn__CaseDue *x = *(Vn__CaseDue *const *)a, *y = *(Vn__CaseDue *const *)b;
    /* Alerts come first (the caseload shows them before anything due). */
    if ((x->n_alerts > 0) != (y->n_alerts > 0)) return x->n_alerts ? -1 : 1;
    if (x->n_alerts && sev_rank(x->alerts[0]) != sev_rank(y->alerts[0]))
        return sev_rank(y->alerts[0]) - sev_rank(x->alerts[0]);
    if (x->n_overdue != y->n_overdue) return x->n_overdue > y->n_overdue ? -1 : 1;
    if (x->n_overdue) {
        int c = strcmp(x->overdue[0]->date, y->overdue[0]->date);
        if (c) return c;
    }
    if (x->next_due && y->next_due) return strcmp(x->next_due->date, y->next_due->date);
    return x->next_due ? -1 : (y->next_due ? 1 : 0);
}

vn_err vn_handle_caseload(vn_req *r)
{
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    char today[11];
    Vn__CaseloadView *view = malloc(sizeof *view);
    if (!view) return VN_ENOMEM;
    vn__caseload_view__init(view);
    out->reply->body_case = VN__REPLY__BODY_CASELOAD_VIEW;
    out->reply->caseload_view = view;
    view->cases = calloc(CASELOAD_MAX, sizeof *view->cases);
    vn_day_format(vn_day_local(r->now, NULL), today);
    view->today = vn_dup_str(today);
    if (!view->cases || !view->today) return VN_ENOMEM;
    struct load_ctx c = {r, view, false, false, CASELOAD_ALERTS_MAX};
    vn_err err = vn_cases_each_managed(r->store, peer->account, caseload_cb, &c);
    out->wrote = c.wrote;
    if (err && c.unlogged) return vn_audit_refuse(r, err);
    if (err) return vn_fail(r, err, "cannot compute the caseload: %s", vn_err_str(err));
    qsort(view->cases, view->n_cases, sizeof *view->cases, urgency_cmp);
    return VN_OK;
}

static vn_err fill_days(vn_req *r, const uint8_t id[VN_ACCOUNT_LEN], int32_t first, int ndays,
                        Vn__CalendarView *view)
{
    vn_event *ev = NULL;
    vn_absence *abs = NULL;
    size_t nev = 0, nabs = 0;
    vn_sstore *st = r->store;
    vn_err err = vn_events_load(st, id, first, &ev, &nev);
    if (!err) err = vn_absences_load(st, id, &abs, &nabs);
    for (int i = 0; !err && i < ndays; i++) {
        char date[11];
        Vn__CalendarDay *d = malloc(sizeof *d);
        if (!d) {
            err = VN_ENOMEM;
            break;
        }
        vn__calendar_day__init(d);
        view->days[view->n_days++] = d;
        vn_day_format(first + i, date);
        if (!(d->date = vn_dup_str(date))) err = VN_ENOMEM;
        d->absent = vn_schedule_absent(abs, nabs, first + i);
        /* medication: never from the server; the casemanager's device adds
         * its own end-to-end records. */
        for (size_t k = 0; k < nev; k++) {
            if (ev[k].day != first + i) continue;
            switch (ev[k].kind) {
            case VN_EV_CHECKIN:
                d->checkin = true;
                break;
            case VN_EV_CHECKIN_MISSED:
                d->checkin_missed = true;
                break;
            case VN_EV_DRAW_TEST:
                d->test_day = true;
                break;
            case VN_EV_TEST:
                d->test_taken = true;
                break;
            case VN_EV_CM_CONTACT:
                d->cm_contacts++;
                break;
            case VN_EV_BUDDY_CONTACT:
                d->buddy_contacts++;
                break;
            case VN_EV_SELFHELP:
                d->selfhelp++;
                break;
            default:
                break;
            }
        }
    }
    free(ev);
    free(abs);
    return err;
}

/* The items whose deadline fell in the month [first, first + ndays) and
 * that were not done by it, as far as today: the schedule asked on the
 * day after each deadline (contacts, drawn tests; the check-in has its
 * own missed days). */
static vn_err month_overdue(vn_req *r, const uint8_t id[VN_ACCOUNT_LEN], int32_t first, int ndays,
                            Vn__CalendarView *view)
{
    vn_terms t;
    vn_event *ev = NULL;
    vn_absence *abs = NULL;
    size_t nev = 0, nabs = 0;
    vn_err err = vn_contracts_in_force(r->store, id, &t);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    int32_t today = vn_day_local(r->now, NULL);
    if ((err = vn_events_load(r->store, id, t.start_day, &ev, &nev)) ||
        (err = vn_absences_load(r->store, id, &abs, &nabs)))
        goto out;
    view->overdue = calloc((size_t)ndays * VN_DUE_MAX, sizeof *view->overdue);
    if (!view->overdue) {
        err = VN_ENOMEM;
        goto out;
    }
    for (int32_t d = first + 1; d <= first + ndays && d <= today; d++) {
        vn_due due[VN_DUE_MAX];
        size_t n = vn_schedule_due(&t, ev, nev, abs, nabs, d, 0, due, VN_DUE_MAX);
        for (size_t i = 0; i < n && i < VN_DUE_MAX; i++) {
            if (!due[i].overdue || due[i].due_day != d - 1 || due[i].kind == VN_DUE_CHECKIN)
                continue;
            if (!(view->overdue[view->n_overdue++] = due_item(&due[i]))) {
                err = VN_ENOMEM;
                goto out;
            }
        }
    }
out:
    free(ev);
    free(abs);
    return err;
}

/* A participant's own calendar shows a day's draw only once the day is
 * past, or today once they checked in (the check-in told them). */
static void hide_draws(Vn__CalendarView *view, int32_t today)
{
    for (size_t i = 0; i < view->n_days; i++) {
        Vn__CalendarDay *d = view->days[i];
        int32_t day;
        if (vn_day_parse(d->date, &day) || day < today) continue;
        if (day > today || !d->checkin) d->test_day = false;
    }
}

vn_err vn_handle_calendar(vn_req *r)
{
    const Vn__Calendar *q = r->req->calendar;
    vn_server *srv = r->srv;
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    uint8_t id[VN_ACCOUNT_LEN], mine[VN_ACCOUNT_LEN], participant[VN_ACCOUNT_LEN];
    vn_case_info ci;
    int y, m, n = 0;
    char today[11];
    vn_sstore *st = r->store;
    vn_err err = vn_parse_id(r, q->case_id, "case", id);
    if (err) return err;
    /* A role the row refuses hears what an unknown case hears. */
    bool found = r->role_ok && vn_cases_get(st, id, &ci) == VN_OK;
    bool is_cm = found && memcmp(ci.casemanager, peer->account, VN_ACCOUNT_LEN) == 0;
    bool own = found && peer->role == VN_ROLE_PARTICIPANT &&
               vn_cases_of(st, peer->account, mine) == VN_OK &&
               memcmp(mine, id, VN_ACCOUNT_LEN) == 0;
    bool lead = found && peer->role == VN_ROLE_MEDICAL_LEAD;
    if (!is_cm && !own && !lead)
        return vn_fail(r, VN_EDENIED, "case %s is unknown or its calendar is not yours to read",
                       q->case_id);
    if (!q->month || sscanf(q->month, "%4d-%2d%n", &y, &m, &n) != 2 || q->month[n] || n != 7 ||
        m < 1 || m > 12 || y < 1970)
        return vn_fail(r, VN_EINVAL, "not a month: %s (use YYYY-MM)", q->month ? q->month : "");
    /* Reading someone's events is logged where they can see it. */
    if (!own && vn_case_participant(srv, id, participant)) {
        err = vn_audit_note(r, participant, VN_AUDIT_EVENTS);
        if (err) return vn_audit_refuse(r, err);
        out->wrote = true;
    }
    Vn__CalendarView *view = malloc(sizeof *view);
    if (!view) return VN_ENOMEM;
    vn__calendar_view__init(view);
    out->reply->body_case = VN__REPLY__BODY_CALENDAR_VIEW;
    out->reply->calendar_view = view;
    int ndays = vn_day_month_len(y, m);
    view->days = calloc((size_t)ndays, sizeof *view->days);
    vn_day_format(vn_day_local(r->now, NULL), today);
    view->case_id = vn_dup_str(q->case_id);
    view->month = vn_dup_str(q->month);
    view->today = vn_dup_str(today);
    if (!view->days || !view->case_id || !view->month || !view->today) return VN_ENOMEM;
    err = fill_days(r, id, vn_day_from_civil(y, m, 1), ndays, view);
    if (!err) err = month_overdue(r, id, vn_day_from_civil(y, m, 1), ndays, view);
    /* A draw is made on its day and never ahead; should one exist all the
     * same, the participant learns of it by checking in, not from here. */
    if (!err && own) hide_draws(view, vn_day_local(r->now, NULL));
    return err ? vn_fail(r, err, "cannot read the calendar: %s", vn_err_str(err)) : VN_OK;
}
