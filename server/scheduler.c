/* The scheduler: on every sweep, for each case under a signed contract, it
 * closes the days that have ended (the day's draw is made if no check-in
 * made it, a missing check-in becomes an event), then reminds the
 * participant of today's check-in (when the window opens and an hour before
 * it closes) and of their contact deadlines, the casemanager of the monthly
 * contact, and tells the casemanager of each overdue item, once per item.
 * Reminders wait out the recipient's quiet hours and skip absence days.
 * All of it follows from (contract, records, now), so a test clock can run
 * months in seconds.
 *
 * A pass visits every active case, however many there are, a step at a
 * time: each step runs cases in one transaction until CASES_PER_STEP or
 * STEP_BUDGET_MS, commits once, and hands the loop back to the requests
 * before the next step. So a day's rollover over thousands of cases costs
 * the clients a few milliseconds at a time, never one long stall, and a
 * case costs a share of a commit instead of an fsync of its own. */
#include "server.h"

#include "vn/absences.h"
#include "vn/contracts.h"
#include "vn/events.h"
#include "vn/sched.h"
#include "vn/day.h"
#include "vn/hex.h"
#include "vn/quiet.h"
#include "vn/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS_PER_SWEEP 400 /* catch-up bound per case and pass */

vn_err vn_draw_day(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN], const vn_terms *t,
                   const vn_absence *abs, size_t nabs, int32_t day, bool *test);

/* The kinds of the scheduler's notices, as vn_sched_notice_once keys
 * them. 6 is the unclaimed-SOS reminder (handlers_alerts.c). */
enum {
    NOTICE_REMIND = 1,
    NOTICE_OVERDUE = 2,
    NOTICE_MISSED = 3,
    NOTICE_CHECKIN_OPEN = 4,
    NOTICE_CHECKIN_CLOSING = 5,
};

static const char *notice_kind(uint8_t kind)
{
    switch (kind) {
    case NOTICE_REMIND:
        return "reminder";
    case NOTICE_OVERDUE:
        return "overdue";
    case NOTICE_CHECKIN_OPEN:
        return "checkin-open";
    case NOTICE_CHECKIN_CLOSING:
        return "checkin-closing";
    }
    return "checkin-missed";
}

/* Sends a notice unless one of its kind, item and day was sent already. */
static vn_err notice_until(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN],
                           const uint8_t to[VN_ACCOUNT_LEN], uint8_t kind, uint8_t item,
                           int32_t day, const char *until)
{
    bool already = false;
    char hex[VN_ACCOUNT_HEX + 1], date[11];
    vn_err err = vn_sched_notice_once(vn_server_store(srv), case_id, kind, item, day, &already);
    if (err || already) return err;
    vn_hex_encode(case_id, VN_ACCOUNT_LEN, hex);
    vn_day_format(day, date);
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)notice_kind(kind);
    n.item = (char *)vn_schedule_due_name((vn_due_kind)item);
    n.case_id = hex;
    n.date = date;
    n.until = (char *)until;
    return vn_server_notify(srv, to, &n);
}

static vn_err notice(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN],
                     const uint8_t to[VN_ACCOUNT_LEN], uint8_t kind, uint8_t item, int32_t day)
{
    return notice_until(srv, case_id, to, kind, item, day, "");
}

/* A reminder is not news at night: inside the recipient's quiet hours it
 * is not sent and not marked, so the first sweep after they end sends it
 * (if it is still worth sending then). Nothing else is stored for it. */
static vn_err remind(vn_server *srv, const uint8_t case_id[VN_ACCOUNT_LEN],
                     const uint8_t to[VN_ACCOUNT_LEN], uint8_t kind, uint8_t item, int32_t day,
                     int minute, const char *until)
{
    vn_sstore *st = vn_server_store(srv);
    uint16_t from, end;
    bool sent = false;
    vn_err err = vn_sched_notice_sent(st, case_id, kind, item, day, &sent);
    if (err || sent) return err;
    if (vn_quiet_get(st, to, &from, &end) == VN_OK && vn_schedule_quiet_at(from, end, minute))
        return VN_OK;
    return notice_until(srv, case_id, to, kind, item, day, until);
}

/* The participant's check-in reminders of today: when the window opens,
 * and once more before it closes. */
static vn_err remind_checkin(vn_server *srv, const vn_case_info *ci, const vn_terms *t,
                             const uint8_t participant[VN_ACCOUNT_LEN], int32_t today, int minute)
{
    char until[16];
    vn_checkin_remind r = vn_schedule_checkin_remind(t, NULL, 0, today, minute, false);
    if (r == VN_REMIND_NONE) return VN_OK;
    snprintf(until, sizeof until, "%02d:%02d", t->checkin_end_min / 60, t->checkin_end_min % 60);
    uint8_t kind = r == VN_REMIND_OPEN ? NOTICE_CHECKIN_OPEN : NOTICE_CHECKIN_CLOSING;
    /* An open reminder held past the closing time is not sent: the
     * closing one says it all. */
    return remind(srv, ci->id, participant, kind, VN_DUE_CHECKIN, today, minute, until);
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
    /* Nobody is reminded of anything on an approved absence day. */
    bool away = vn_schedule_absent(abs, nabs, today);
    for (size_t i = 0; !err && i < n && i < VN_DUE_MAX; i++) {
        /* The check-in has its own notices (missed, and the reminders of
         * the open window), and tests are never announced ahead: a
         * reminder would leak nothing, but stays quiet. */
        if (due[i].kind == VN_DUE_CHECKIN) {
            if (!due[i].overdue && has_p && !away)
                err = remind_checkin(srv, ci, &t, participant, today, minute);
            continue;
        }
        if (due[i].overdue)
            err = notice(srv, ci->id, ci->casemanager, NOTICE_OVERDUE, due[i].kind, due[i].due_day);
        /* The monthly contact is the casemanager's to make: they are
         * reminded of it, not the participant. */
        else if (due[i].remind && !away && due[i].kind == VN_DUE_CM_CONTACT)
            err = remind(srv, ci->id, ci->casemanager, NOTICE_REMIND, due[i].kind, due[i].due_day,
                         minute, "");
        else if (due[i].remind && has_p && !away && due[i].kind != VN_DUE_TEST)
            err = remind(srv, ci->id, participant, NOTICE_REMIND, due[i].kind, due[i].due_day,
                         minute, "");
    }
out:
    free(ev);
    free(abs);
    return err;
}

/* ---- the pass: every active case, a bounded step at a time ---- */

/* A step ends after this many cases or this much work, whichever comes
 * first; then its one transaction commits (one fsync for many cases) and
 * the loop serves requests before the next step. */
#define CASES_PER_STEP 256
#define STEP_BUDGET_MS 8
/* A pass this long, or with failed cases, is logged (counts only). */
#define PASS_LOG_MS 1000

struct vn_scheduler {
    vn_server *srv;
    uint8_t (*ids)[VN_ACCOUNT_LEN]; /* the active cases when the pass began */
    size_t n, cap;                  /* in ids, and its room */
    size_t next;                    /* the next case of the pass */
    size_t isolate_to;              /* cases before this run one per transaction */
    bool running;                   /* a pass is under way */
    bool again;                     /* a sweep came during the pass: another follows */
    uint64_t began_ms;              /* monotonic start of the pass */
    uint64_t longest_ms;            /* longest step of the pass */
    uint64_t list_ms;               /* the listing that began it */
    size_t steps, failed;           /* transactions and failed cases of the pass */
};

vn_err vn_scheduler_open(vn_scheduler **out, vn_server *srv)
{
    vn_scheduler *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->srv = srv;
    *out = s;
    return VN_OK;
}

void vn_scheduler_close(vn_scheduler **self_p)
{
    if (!self_p || !*self_p) return;
    free((*self_p)->ids);
    free(*self_p);
    *self_p = NULL;
}

static vn_err add_case(void *ud, const vn_case_info *ci)
{
    vn_scheduler *s = ud;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        void *ids = realloc(s->ids, cap * sizeof *s->ids);
        if (!ids) return VN_ENOMEM;
        s->ids = ids;
        s->cap = cap;
    }
    memcpy(s->ids[s->n++], ci->id, VN_ACCOUNT_LEN);
    return VN_OK;
}

/* The ids of every active case, however many, in one walk of the table
 * (the loop's one step that grows with the number of cases: a sealed
 * table is walked whole). */
static vn_err list_active(vn_scheduler *s)
{
    s->n = 0;
    vn_err err = vn_cases_each_in_state(vn_server_store(s->srv), VN_CASE_ACTIVE, add_case, s);
    if (err) s->n = 0;
    return err;
}

void vn_scheduler_start(vn_scheduler *self)
{
    if (self->running) {
        self->again = true;
        return;
    }
    uint64_t t0 = vn_server_mono_ms(self->srv);
    vn_err err = list_active(self);
    if (err) {
        vn_log("scheduler: cannot list the active cases: %s", vn_err_str(err));
        return;
    }
    self->running = true;
    self->again = false;
    self->next = self->isolate_to = 0;
    self->steps = self->failed = 0;
    self->longest_ms = 0;
    self->began_ms = vn_server_mono_ms(self->srv);
    self->list_ms = self->began_ms - t0;
}

static void end_pass(vn_scheduler *s)
{
    uint64_t took = vn_server_mono_ms(s->srv) - s->began_ms;
    s->running = false;
    if (took >= PASS_LOG_MS || s->failed)
        vn_log("scheduler: pass over %zu cases took %.1f s in %zu transactions (longest %llu ms, "
               "listing %llu ms), %zu failed",
               s->n, (double)took / 1000.0, s->steps, (unsigned long long)s->longest_ms,
               (unsigned long long)s->list_ms, s->failed);
    if (s->again) vn_scheduler_start(s);
}

/* Runs cases from s->next in the open transaction until the step's bound;
 * on an error s->next is the case that failed. */
static vn_err run_cases(vn_scheduler *s, size_t most, uint64_t deadline_ms)
{
    vn_server *srv = s->srv;
    int minute;
    int32_t today = vn_day_local(vn_clock_now(vn_server_clock(srv)), &minute);
    for (size_t done = 0; s->next < s->n && done < most; done++) {
        if (done && vn_server_mono_ms(srv) >= deadline_ms) break;
        vn_case_info ci;
        /* Closed or gone since the pass began: nothing to schedule. */
        vn_err err = vn_cases_get(vn_server_store(srv), s->ids[s->next], &ci);
        if (err == VN_OK && ci.state == VN_CASE_ACTIVE) err = run_case(srv, &ci, today, minute);
        if (err && err != VN_ENOTFOUND) return err;
        s->next++;
    }
    return VN_OK;
}

bool vn_scheduler_step(vn_scheduler *self)
{
    if (!self->running) return false;
    vn_server *srv = self->srv;
    vn_kv *kv = vn_sstore_kv(vn_server_store(srv));
    uint64_t t0 = vn_server_mono_ms(srv);
    size_t first = self->next;
    /* After a failure, the cases of that step run one per transaction, so
     * the one that fails is skipped alone. */
    bool isolated = first < self->isolate_to;
    vn_err err = vn_kv_begin(kv);
    if (!err) err = run_cases(self, isolated ? 1 : CASES_PER_STEP, t0 + STEP_BUDGET_MS);
    if (!err)
        err = vn_kv_commit(kv);
    else if (vn_kv_in_txn(kv))
        vn_kv_abort(kv);
    vn_server_commit_notices(srv, !err);
    self->steps++;
    if (err) {
        if (isolated) {
            /* The first says why; the pass's line counts them all. */
            if (self->failed++ == 0) vn_log("scheduler: a case failed: %s", vn_err_str(err));
            self->next = first + 1;
        } else {
            /* Nothing of the step was kept: run it again, a case at a time. */
            self->isolate_to = self->next + 1;
            self->next = first;
        }
    }
    uint64_t took = vn_server_mono_ms(srv) - t0;
    if (took > self->longest_ms) self->longest_ms = took;
    if (self->next >= self->n) end_pass(self);
    return self->running;
}
