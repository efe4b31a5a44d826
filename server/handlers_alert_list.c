/* alert-list: the alerts a person may see, a page at a time, newest
 * first, from a cursor; reads by someone other than the participant are
 * in the participant's audit log (docs/ARCHITECTURE.md). */
#include "server.h"

#include "vn/alerts.h"
#include "vn/audit.h"
#include "vn/be.h"
#include "vn/cases.h"
#include "vn/hex.h"
#include "vn/sched.h"

#include <stdlib.h>
#include <string.h>

/* Most alerts in one page of alert-list. */
#define ALERTS_PAGE 100

struct managed_ctx {
    vn_sstore *st;
    vn_alert_pick *p;
};

static vn_err managed_cb(void *ud, const vn_case_info *ci)
{
    struct managed_ctx *m = ud;
    return vn_alerts_pick_case(m->st, m->p, ci->id);
}

/* A casemanager's list reads the index of their own cases, a member's
 * that of their case (a participant sees its alerts, a buddy its SOS
 * alerts), a medical lead's the escalated index: no list reads every alert
 * on the server, and a page reads only the index buckets that reach into
 * it (vn_alerts_pick_run). */
static vn_err pick_visible(vn_req *r, vn_alert_pick *p)
{
    vn_sstore *st = r->store;
    uint8_t mine[VN_ACCOUNT_LEN];
    vn_case_info ci;
    if (r->peer->role == VN_ROLE_MEDICAL_LEAD) return vn_alerts_pick_escalated(st, p);
    struct managed_ctx m = {st, p};
    vn_err err = vn_cases_each_managed(st, r->peer->account, managed_cb, &m);
    if (err) return err;
    /* A case they manage was added already. */
    if (vn_cases_of(st, r->peer->account, mine) != VN_OK || vn_cases_get(st, mine, &ci) != VN_OK ||
        !memcmp(ci.casemanager, r->peer->account, VN_ACCOUNT_LEN))
        return VN_OK;
    if (r->peer->role == VN_ROLE_BUDDY)
        p->sos_only = true;
    else if (r->peer->role != VN_ROLE_PARTICIPANT)
        return VN_OK;
    return vn_alerts_pick_case(st, p, mine);
}

/* A cursor is the sort key of the last alert of a page, in hex. */
#define CURSOR_LEN (1 + 8 + VN_ALERT_ID_LEN)

static void cursor_of(const vn_alert_key *a, char hex[2 * CURSOR_LEN + 1])
{
    uint8_t k[CURSOR_LEN];
    k[0] = a->severity;
    vn_be_put64(k + 1, a->created_ms);
    memcpy(k + 9, a->id, VN_ALERT_ID_LEN);
    vn_hex_encode(k, sizeof k, hex);
}

static vn_err cursor_parse(vn_req *r, const char *hex, vn_alert_key *key)
{
    uint8_t k[CURSOR_LEN];
    if (strlen(hex) != 2 * CURSOR_LEN || vn_hex_decode(hex, k, sizeof k))
        return vn_fail(r, VN_EINVAL, "the cursor is not one this server gave; list from the start");
    memset(key, 0, sizeof *key);
    key->severity = k[0];
    key->created_ms = vn_be_get64(k + 1);
    memcpy(key->id, k + 9, VN_ALERT_ID_LEN);
    return VN_OK;
}

/* Sealed entries cannot be merged in the store as the clear ones of one
 * minute were, so one request writes each participant's entry once. A
 * page holds at most ALERTS_PAGE alerts, so logged never overflows. */
struct page_log {
    size_t n;
    uint8_t logged[ALERTS_PAGE][VN_ACCOUNT_LEN];
};

/* Someone else reading a participant's alerts is in their audit log, once
 * per request however many of their alerts the page holds. */
static vn_err log_read(vn_req *r, struct page_log *l, const vn_alert *a, bool *unlogged)
{
    uint8_t participant[VN_ACCOUNT_LEN];
    if (!vn_case_participant(r->srv, a->case_id, participant) ||
        !memcmp(participant, r->peer->account, VN_ACCOUNT_LEN))
        return VN_OK;
    for (size_t i = 0; i < l->n; i++)
        if (!memcmp(l->logged[i], participant, VN_ACCOUNT_LEN)) return VN_OK;
    vn_err err = vn_audit_note(r, participant, VN_AUDIT_ALERTS);
    if (err) {
        *unlogged = true;
        return err;
    }
    memcpy(l->logged[l->n++], participant, VN_ACCOUNT_LEN);
    r->out->wrote = true;
    return VN_OK;
}

/* Fills view with the picked page, reading each of its alerts, with the
 * cursor and the count of the rest. An alert whose case is gone (a purge
 * in the same batch) is left out. */
static vn_err fill_page(vn_req *r, Vn__AlertsView *view, const vn_alert_pick *p, bool *unlogged)
{
    char hex[2 * CURSOR_LEN + 1] = "";
    vn_err err = VN_OK;
    struct page_log *l = calloc(1, sizeof *l);
    view->alerts = calloc(p->limit, sizeof *view->alerts);
    if (!l || !view->alerts) err = VN_ENOMEM;
    for (size_t i = 0; !err && i < p->n; i++) {
        vn_alert a;
        vn_case_info ci;
        if (vn_alerts_get(r->store, p->keys[i].id, &a) || vn_cases_get(r->store, a.case_id, &ci))
            continue;
        if ((err = log_read(r, l, &a, unlogged))) break;
        err = vn_alert_info(&a, &view->alerts[view->n_alerts]);
        if (view->alerts[view->n_alerts]) view->n_alerts++;
    }
    free(l);
    if (err) return err;
    view->more = p->following > 0;
    view->remaining = (uint32_t)p->following;
    if (view->more && p->n) cursor_of(&p->keys[p->n - 1], hex);
    view->cursor = vn_dup_str(hex);
    return view->cursor ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_alert_list(vn_req *r)
{
    const Vn__AlertList *q = r->req->alert_list;
    vn_alert_key after;
    bool unlogged = false;
    bool cursor = q->cursor && q->cursor[0];
    vn_alert_pick p = {.after = cursor ? &after : NULL};
    p.limit = q->limit && q->limit < ALERTS_PAGE ? q->limit : ALERTS_PAGE;
    if (cursor && cursor_parse(r, q->cursor, &after)) return VN_EINVAL;
    Vn__AlertsView *view = malloc(sizeof *view);
    if (!view) return VN_ENOMEM;
    vn__alerts_view__init(view);
    r->out->reply->body_case = VN__REPLY__BODY_ALERTS_VIEW;
    r->out->reply->alerts_view = view;
    p.keys = calloc(p.limit, sizeof *p.keys);
    vn_err err = p.keys ? pick_visible(r, &p) : VN_ENOMEM;
    if (!err) err = vn_alerts_pick_run(r->store, &p);
    if (!err) err = fill_page(r, view, &p, &unlogged);
    vn_alerts_pick_free(&p);
    free(p.keys);
    if (err && unlogged) return vn_audit_refuse(r, err);
    return err ? vn_fail(r, err, "cannot list alerts: %s", vn_err_str(err)) : VN_OK;
}
