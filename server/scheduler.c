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
 * time: each step runs cases in one transaction until it reaches a bound
 * in cases, in time or in bytes written (below), commits once, and hands
 * the loop back to the requests before the next step (server.c spaces
 * the steps while requests come). So a day's rollover over thousands of cases costs
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
#include "vn/cases.h"
#include "vn/kv.h"
#include "vn/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- the pass: every case, a bounded step at a time ---- */

/* A step ends after this many cases run (or purged), this many case
 * records read, this much work, or this many bytes written, whichever
 * comes first; then its one transaction commits (one fsync for many
 * cases) and the loop serves requests before the next step.
 *
 * The commit is the step's larger part: the store seals its keys, so a
 * case's records lie on leaf pages of their own, and the commit writes
 * and syncs every page the step dirtied (bench_schedule, 20,000 cases on
 * this 2-core machine: ~20 cases and ~42 KB a step, commits of 4 ms with
 * under 10 KB written to 13 ms with 50-60 KB). So the bytes a step may
 * write follow what its commits cost: cut by a quarter after a step whose
 * work and commit together held the loop over STEP_TARGET_US (back to the
 * least after one over twice that), grown a little after one under it.
 * On a fast disk steps grow and a pass is quicker, but never past
 * STEP_BYTES_MAX: the disk may slow down at any time, and a larger write
 * set waits longer then (bench_schedule, 100,000 cases, load 6: with
 * steps of up to 256 KiB the longest commit took 193 ms, with the 42 KB
 * steps before 27 ms).
 * Nor do they shrink below STEP_BYTES_MIN (some 8 cases): a commit costs
 * its sync however little it writes, and on a slow or busy disk smaller
 * steps only meant more syncs, a pass several times longer and no shorter
 * waits (20,000 cases, load 5: at 4 KiB a step, 5,457 steps, a step still
 * 5.6 ms at the median). */
#define CASES_PER_STEP  256
#define READS_PER_STEP  4096
#define STEP_WORK_US    2000 /* the work before the commit */
#define STEP_TARGET_US  5000 /* work and commit of a step together */
#define STEP_BYTES_MIN  (16 * 1024)
#define STEP_BYTES_MAX  (64 * 1024)
#define STEP_BYTES_GROW 2048
/* A pass this long, with failed or purged cases, is logged (counts only). */
#define PASS_LOG_MS 1000

/* The pass walks the cases table itself, a record at a time from where
 * the last step stopped (vn_cases_each_from): no list of the cases is
 * made, so no step reads the whole table, whatever the number of cases.
 * A case created during a pass may be met by it or not; the next pass,
 * a sweep later, meets it. */
struct vn_scheduler {
    vn_server *srv;
    vn_kv_pos pos;           /* the walk of the cases table */
    size_t isolate;          /* cases left to run one per transaction */
    bool running;            /* a pass is under way */
    bool again;              /* a sweep came during the pass: another follows */
    uint64_t began_ms;       /* monotonic start of the pass */
    uint64_t longest_ms;     /* longest step of the pass */
    uint64_t commit_ms;      /* the longest commit of a step, of the pass */
    size_t steps;            /* transactions of the pass */
    size_t active;           /* active cases run */
    size_t purged;           /* ended cases purged past retention */
    size_t failed;           /* cases that failed */
    vn_kv_pos esc;           /* the escalation's walk of the climbing alerts */
    bool esc_running;        /* that walk is under way */
    bool esc_again;          /* a sweep came during it: another follows */
    vn_lifecycle_expiry exp; /* the expiry's walk of the mail and invites */
    bool exp_running;        /* that walk is under way */
    bool exp_again;          /* a sweep came during it: another follows */
    uint64_t exp_now;        /* the expiry's clock at the sweep that began it */
    uint64_t step_bytes;     /* what a step of the cases may write (adapted) */
};

vn_err vn_scheduler_open(vn_scheduler **out, vn_server *srv)
{
    vn_scheduler *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->srv = srv;
    s->step_bytes = STEP_BYTES_MIN;
    *out = s;
    return VN_OK;
}

void vn_scheduler_close(vn_scheduler **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

/* The escalation walks the climbing alerts in steps of its own, ahead
 * of the cases: an alert is about someone who may need help now. */
static void start_escalation(vn_scheduler *self)
{
    if (self->esc_running) {
        self->esc_again = true;
        return;
    }
    vn_kv_pos_reset(&self->esc);
    self->esc_running = true;
    self->esc_again = false;
}

static void start_pass(vn_scheduler *self)
{
    if (self->running) {
        self->again = true;
        return;
    }
    vn_kv_pos_reset(&self->pos);
    self->running = true;
    self->again = false;
    self->isolate = 0;
    self->steps = self->active = self->purged = self->failed = 0;
    self->longest_ms = self->commit_ms = 0;
    self->began_ms = vn_server_mono_ms(self->srv);
}

void vn_scheduler_expire(vn_scheduler *self, uint64_t now)
{
    self->exp_now = now;
    if (self->exp_running) {
        self->exp_again = true;
        return;
    }
    vn_lifecycle_expiry_reset(&self->exp);
    self->exp_running = true;
    self->exp_again = false;
}

/* Envelopes, receipts and invites read a step of the expiry's walk. */
#define EXPIRE_READS_PER_STEP 256

static void expiry_step(vn_scheduler *self)
{
    vn_server *srv = self->srv;
    uint64_t ttl = vn_server_cfg(srv)->mail_ttl_ms;
    bool done = false;
    vn_err err = vn_lifecycle_expire_step(vn_server_store(srv), &self->exp, EXPIRE_READS_PER_STEP,
                                          self->exp_now, ttl, &done);
    if (err) vn_logl(VN_LEVEL_ERROR, "expiry failed: %s", vn_err_str(err));
    if (!err && !done) return;
    if (done && self->exp.expired)
        vn_log("expired %zu undelivered messages (older than %llu days); their senders learn it "
               "from the expired receipts",
               self->exp.expired, (unsigned long long)(ttl / 86400000));
    /* A failed walk is begun again by the next sweep. */
    self->exp_running = false;
    if (self->exp_again) vn_scheduler_expire(self, self->exp_now);
}

void vn_scheduler_start(vn_scheduler *self)
{
    start_escalation(self);
    start_pass(self);
}

static void end_pass(vn_scheduler *s)
{
    uint64_t took = vn_server_mono_ms(s->srv) - s->began_ms;
    s->running = false;
    if (took >= PASS_LOG_MS || s->failed || s->purged)
        vn_log("scheduler: pass over %zu cases took %.1f s in %zu transactions (longest %llu ms, "
               "longest commit %llu ms), %zu failed, %zu purged",
               s->active, (double)took / 1000.0, s->steps, (unsigned long long)s->longest_ms,
               (unsigned long long)s->commit_ms, s->failed, s->purged);
    if (s->again) start_pass(s);
}

/* A monotonic clock to the microsecond: the loop's own counts whole
 * milliseconds, too coarse for steps of one or two. */
static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Bytes put in the store since it was opened (vn_kv_put_bytes). */
static uint64_t put_bytes(vn_server *srv)
{
    uint64_t all, committed;
    vn_kv_put_bytes(vn_sstore_kv(vn_server_store(srv)), &all, &committed);
    return all;
}

/* One step's walk: what it may do, and what it did. */
struct step_ctx {
    vn_scheduler *s;
    int32_t today;
    int minute;
    uint64_t deadline_us; /* the work stops here */
    uint64_t bytes0;      /* put_bytes when the step began */
    uint64_t now;         /* the server's clock, for the purge */
    size_t ran, read;     /* cases run or purged, and records read, in the step */
    size_t active;        /* active cases run in the step */
    size_t purged;        /* cases purged in the step */
};

/* The walk's record; the case is run once the walk's cursor is closed. */
static vn_err take_cb(void *ud, const vn_case_info *ci)
{
    *(vn_case_info *)ud = *ci;
    return VN_OK;
}

static vn_err visit(struct step_ctx *c, const vn_case_info *ci)
{
    vn_server *srv = c->s->srv;
    bool gone = false;
    if (ci->state == VN_CASE_ACTIVE) {
        c->ran++;
        c->active++;
        return run_case(srv, ci, c->today, c->minute);
    }
    if (ci->state == VN_CASE_CLOSED || ci->state == VN_CASE_COMPLETED) {
        /* In a sub-transaction of its own: one that fails waits for the
         * next pass and harms nothing else of the step. */
        vn_lifecycle_purge_case(vn_server_store(srv), ci, c->now,
                                vn_server_cfg(srv)->case_retention_ms, &gone);
        c->ran += gone;
        c->purged += gone;
    }
    return VN_OK;
}

/* Runs cases from the walk's position in the open transaction until the
 * step's bound; on an error the position is just past the case that
 * failed, or on the record that could not be read. */
static vn_err run_cases(vn_scheduler *s, struct step_ctx *c, size_t most)
{
    vn_server *srv = s->srv;
    while (!s->pos.done && c->ran < most && c->read < READS_PER_STEP) {
        /* At least one record a step, so that the walk moves on. */
        if (c->read && (mono_us() >= c->deadline_us || put_bytes(srv) - c->bytes0 >= s->step_bytes))
            break;
        vn_case_info ci;
        vn_kv_pos before = s->pos;
        vn_err err = vn_cases_each_from(vn_server_store(srv), &s->pos, 1, take_cb, &ci);
        if (err) return err;
        /* Nothing read: the walk ended on this call. */
        if (s->pos.len == before.len && !memcmp(s->pos.key, before.key, before.len)) break;
        c->read++;
        if ((err = visit(c, &ci))) return err;
    }
    return VN_OK;
}

static bool cases_step(vn_scheduler *self);

/* A step this long is logged with its walk: the loop kept every client
 * waiting that long. */
#define STEP_LOG_MS 100

bool vn_scheduler_step(vn_scheduler *self)
{
    uint64_t t0 = vn_server_mono_ms(self->srv);
    const char *walk = "cases";
    bool more = true;
    if (self->esc_running) {
        walk = "escalation";
        self->esc_running = vn_escalation_step(self->srv, &self->esc);
        if (!self->esc_running && self->esc_again) start_escalation(self);
    } else if (self->exp_running) {
        walk = "expiry";
        expiry_step(self);
    } else {
        more = cases_step(self);
    }
    uint64_t took = vn_server_mono_ms(self->srv) - t0;
    if (took >= STEP_LOG_MS)
        vn_log("scheduler: a step of the %s walk took %llu ms", walk, (unsigned long long)took);
    return more;
}

/* Sizes the next step by what this one, of us microseconds, cost. */
static void adapt(vn_scheduler *self, uint64_t us)
{
    if (us > 2 * STEP_TARGET_US)
        self->step_bytes = STEP_BYTES_MIN; /* the disk slowed down: at once */
    else if (us > STEP_TARGET_US)
        self->step_bytes =
            self->step_bytes * 3 / 4 > STEP_BYTES_MIN ? self->step_bytes * 3 / 4 : STEP_BYTES_MIN;
    else if (self->step_bytes + STEP_BYTES_GROW <= STEP_BYTES_MAX)
        self->step_bytes += STEP_BYTES_GROW;
}

static bool cases_step(vn_scheduler *self)
{
    if (!self->running) return false;
    vn_server *srv = self->srv;
    vn_kv *kv = vn_sstore_kv(vn_server_store(srv));
    uint64_t t0 = vn_server_mono_ms(srv), us0 = mono_us();
    vn_kv_pos first = self->pos;
    uint64_t now = vn_clock_now(vn_server_clock(srv));
    struct step_ctx c = {.s = self, .now = now};
    c.deadline_us = us0 + STEP_WORK_US;
    c.bytes0 = put_bytes(srv);
    c.today = vn_day_local(now, &c.minute);
    /* After a failure, the cases of that step run one per transaction, so
     * the one that fails is skipped alone. */
    bool isolated = self->isolate > 0;
    vn_err err = vn_kv_begin(kv);
    if (!err) err = run_cases(self, &c, isolated ? 1 : CASES_PER_STEP);
    uint64_t t1 = vn_server_mono_ms(srv);
    if (!err)
        err = vn_kv_commit(kv);
    else if (vn_kv_in_txn(kv))
        vn_kv_abort(kv);
    vn_server_commit_notices(srv, !err);
    uint64_t t2 = vn_server_mono_ms(srv);
    if (t2 - t1 > self->commit_ms) self->commit_ms = t2 - t1;
    self->steps++;
    if (isolated) self->isolate--;
    bool moved = self->pos.len != first.len || memcmp(self->pos.key, first.key, first.len) != 0;
    if (err && isolated && !moved) {
        /* A case record that cannot be read stops the walk: the pass ends
         * here, and says so. */
        vn_log("scheduler: the cases table cannot be read on: %s", vn_err_str(err));
        self->failed++;
        self->pos.done = true;
    } else if (err && isolated) {
        /* The first says why; the pass's line counts them all. The walk
         * is past the case already. */
        if (self->failed++ == 0) vn_log("scheduler: a case failed: %s", vn_err_str(err));
    } else if (err) {
        /* Nothing of the step was kept: run it again, a case at a time. */
        self->isolate = c.ran ? c.ran : 1;
        self->pos = first;
    } else {
        self->active += c.active;
        self->purged += c.purged;
        adapt(self, mono_us() - us0);
    }
    uint64_t took = vn_server_mono_ms(srv) - t0;
    if (took > self->longest_ms) self->longest_ms = took;
    if (self->pos.done) end_pass(self);
    return self->running;
}
