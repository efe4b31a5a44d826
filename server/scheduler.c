/* The scheduler: on every sweep, for each case under a signed contract, it
 * closes the days that have ended (the day's draw is made if no check-in
 * made it, a missing check-in becomes an event), then sends a reminder to
 * the participant before each deadline and tells the casemanager of each
 * overdue item, once per item. All of it follows from (contract, records,
 * now), so a test clock can run months in seconds. */
#include "server.h"

#include "vn/absences.h"
#include "vn/contracts.h"
#include "vn/events.h"
#include "vn/sched.h"
#include "vn/day.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define CASES_PER_SWEEP 4096
#define DAYS_PER_SWEEP  400 /* catch-up bound per case and sweep */

vn_err vn_draw_day(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN], const vn_terms *t,
                   const vn_absence *abs, size_t nabs, int32_t day, bool *test);

enum { NOTICE_REMIND = 1, NOTICE_OVERDUE = 2, NOTICE_MISSED = 3 };

static vn_err notice(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN],
                     const uint8_t to[VN_ACCOUNT_LEN], uint8_t kind, uint8_t item, int32_t day)
{
    bool already = false;
    char hex[VN_ACCOUNT_HEX + 1], date[11];
    vn_err err = vn_sched_notice_once(vn_server_store(srv), case_id, kind, item, day, &already);
    if (err || already) return err;
    vn_hex_encode(case_id, VN_ACCOUNT_LEN, hex);
    vn_day_format(day, date);
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = kind == NOTICE_REMIND    ? "reminder"
             : kind == NOTICE_OVERDUE ? "overdue"
                                      : "checkin-missed";
    n.item = (char *)vn_schedule_due_name((vn_due_kind)item);
    n.case_id = hex;
    n.date = date;
    return vn_server_notify(srv, to, &n);
}

/* Closes the days from the last closed one up to yesterday, and today once
 * its check-in window has ended. */
static vn_err close_days(vn_server *srv, const vn_case_info *ci, const vn_terms *t,
                         const vn_absence *abs, size_t nabs, int32_t today, int minute)
{
    vn_sstore *st = vn_server_store(srv);
    int32_t last, upto = minute >= t->checkin_end_min ? today : today - 1;
    if (vn_sched_last(st, ci->id, &last) != VN_OK) last = t->start_day - 1;
    if (upto > last + DAYS_PER_SWEEP) upto = last + DAYS_PER_SWEEP;
    uint8_t participant[VN_ACCOUNT_LEN];
    bool has_p = vn_case_participant(srv, ci->id, participant);
    vn_err err = VN_OK;
    for (int32_t d = last + 1; !err && d <= upto; d++) {
        bool test;
        if (!vn_terms_active(t, d) || vn_schedule_absent(abs, nabs, d)) continue;
        if (!vn_events_has(st, ci->id, d, VN_EV_CHECKIN)) {
            err = vn_events_add(st, ci->id, d, VN_EV_CHECKIN_MISSED);
            /* Old days caught up in bulk are history, not news. */
            if (!err && d >= today - 1)
                err = notice(srv, ci->id, ci->casemanager, NOTICE_MISSED, VN_DUE_CHECKIN, d);
        }
        if (!err) err = vn_draw_day(srv, ci->id, t, abs, nabs, d, &test);
    }
    (void)has_p;
    if (!err && upto > last) err = vn_sched_set_last(st, ci->id, upto);
    /* With each closed day, what the schedule no longer needs goes. */
    int32_t keep = (int32_t)(vn_server_cfg(srv)->event_retention_ms / 86400000u);
    if (!err && upto > last) err = vn_events_prune(st, ci->id, today - keep, NULL);
    return err;
}

static vn_err run_case(vn_server *srv, const vn_case_info *ci, int32_t today, int minute)
{
    vn_sstore *st = vn_server_store(srv);
    vn_terms t;
    vn_event *ev = NULL;
    vn_absence *abs = NULL;
    size_t nev = 0, nabs = 0;
    vn_due due[VN_DUE_MAX];
    uint8_t participant[VN_ACCOUNT_LEN];
    vn_err err = vn_contracts_in_force(st, ci->id, &t);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    if ((err = vn_absences_load(st, ci->id, &abs, &nabs))) return err;
    if ((err = close_days(srv, ci, &t, abs, nabs, today, minute))) goto out;
    /* Once the last contract day is closed, the case is completed (the
     * lifecycle is all the server knows of it). */
    int32_t closed_upto;
    if (vn_sched_last(st, ci->id, &closed_upto) == VN_OK && closed_upto >= vn_terms_end_day(&t)) {
        err = vn_cases_set_state(st, ci->id, VN_CASE_COMPLETED, vn_clock_now(vn_server_clock(srv)));
        goto out;
    }
    if ((err = vn_events_load(st, ci->id, t.start_day, &ev, &nev))) goto out;
    size_t n = vn_schedule_due(&t, ev, nev, abs, nabs, today, minute, due, VN_DUE_MAX);
    bool has_p = vn_case_participant(srv, ci->id, participant);
    for (size_t i = 0; !err && i < n && i < VN_DUE_MAX; i++) {
        /* The check-in has its own notices (missed), and tests are never
         * announced ahead: a reminder would leak nothing, but stays quiet. */
        if (due[i].kind == VN_DUE_CHECKIN) continue;
        if (due[i].overdue)
            err = notice(srv, ci->id, ci->casemanager, NOTICE_OVERDUE, due[i].kind, due[i].due_day);
        else if (due[i].remind && has_p && due[i].kind != VN_DUE_TEST)
            err = notice(srv, ci->id, participant, NOTICE_REMIND, due[i].kind, due[i].due_day);
    }
out:
    free(ev);
    free(abs);
    return err;
}

struct sweep_ctx {
    vn_case_info cases[CASES_PER_SWEEP]; /* cases to visit */
    size_t n;
};

void vn_scheduler_run(vn_server *srv)
{
    vn_kv *kv = vn_sstore_kv(vn_server_store(srv));
    int minute;
    int32_t today = vn_day_local(vn_clock_now(vn_server_clock(srv)), &minute);
    struct sweep_ctx *c = calloc(1, sizeof *c);
    if (!c) return;
    vn_err err =
        vn_cases_list(vn_server_store(srv), VN_CASE_ACTIVE, c->cases, CASES_PER_SWEEP, &c->n);
    /* One transaction per case keeps each commit small and a failure local. */
    for (size_t i = 0; !err && i < c->n; i++) {
        if ((err = vn_kv_begin(kv))) break;
        err = run_case(srv, &c->cases[i], today, minute);
        if (err) {
            if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
            vn_server_commit_notices(srv, false);
            break;
        }
        err = vn_kv_commit(kv);
        vn_server_commit_notices(srv, !err);
    }
    if (err) vn_log("scheduler: %s", vn_err_str(err));
    free(c);
}
