/* The monthly report of a case: what the server knows of the month (check-ins,
 * draws, tests taken, contacts, absences, overdue items, open alerts) joined
 * with what this device knows end to end (test outcomes, corrections, the
 * histories of acknowledged alerts), with totals; as text, JSON or CSV. The
 * counting is report_calc.c's, so a unit test checks it. */
#include "args.h"
#include "calview.h"
#include "report.h"

#include "vn/frame.h"
#include "vn/day.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_DAYS        31  /* days of a month, at most */
#define REPORT_ALERTS_MAX  256 /* alerts the report lists; the rest are counted */
#define REPORT_ALERT_PAGES 20  /* pages of the alert list read, at most */
#define NOTE_MAX           400 /* bytes of a note the report shows */

/* A test of the month: a drawn day, or a day with an outcome recorded. */
typedef struct report_test {
    int32_t day;         /* its day */
    char state[32];      /* vn_test_state_name, or "" without an outcome */
    char corrects[32];   /* the outcome it replaced, or "" */
    char note[NOTE_MAX]; /* the note, made safe to print on one line */
} report_test;

/* An alert of the month: acknowledged (its history is a record here) or
 * still open on the server. */
typedef struct report_alert {
    char date[11];       /* the day it was raised */
    char what[96];       /* "signal urgent acknowledged", "sos crisis open", ... */
    char note[NOTE_MAX]; /* the history's note, made safe; "" for an open one */
} report_alert;

typedef struct report {
    char case_id[VN_ACCOUNT_HEX + 1]; /* the case */
    char handle[VN_ACCOUNT_HEX + 1];  /* its short handle, for the text */
    char month[8];                    /* YYYY-MM */
    char today[11];                   /* the server's today */
    int32_t today_day;                /* the same as a day number */
    vn_report_day days[REPORT_DAYS];  /* each day of the month */
    size_t ndays;                     /* how many */
    report_test tests[REPORT_DAYS];   /* the tests, one per day at most */
    size_t ntests;                    /* how many */
    report_alert *alerts;             /* the alerts listed */
    size_t nalerts;                   /* how many listed */
    size_t alerts_more;               /* alerts of the month not listed */
    size_t alerts_open;               /* of all counted: still open */
    const Vn__CalendarView *view;     /* the server's month, borrowed */
    vn_report_totals totals;          /* added up */
} report;

static vn_report_day *day_of(report *r, const char *date)
{
    int32_t d;
    if (!date || vn_day_parse(date, &d)) return NULL;
    for (size_t i = 0; i < r->ndays; i++)
        if (r->days[i].day == d) return &r->days[i];
    return NULL;
}

static void add_alert(report *r, const char *date, const char *what, const char *note)
{
    if (r->nalerts == REPORT_ALERTS_MAX) {
        r->alerts_more++;
        return;
    }
    report_alert *a = &r->alerts[r->nalerts++];
    snprintf(a->date, sizeof a->date, "%.10s", date ? date : "");
    vn_text_field(what, a->what, sizeof a->what);
    vn_text_field(note, a->note, sizeof a->note);
}

/* One record of this device under the case and month. */
static vn_err record_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    report *r = ud;
    (void)k;
    (void)kl;
    (void)stop;
    Vn__RecordNote *rn = vn__record_note__unpack(NULL, vl, v);
    if (!rn) return VN_OK;
    const char *kind = rn->kind ? rn->kind : "";
    vn_report_day *d = day_of(r, rn->date);
    vn_test_state s = vn_test_state_of(rn->result, rn->confirmed);
    /* A test record of no known result counts for nothing. */
    if (d && strcmp(kind, "test") == 0 && s != VN_TEST_NONE) {
        /* The device keeps one outcome per test day; were there two (a
         * store of before that rule), the later key wins, as it did. */
        d->result = (uint8_t)s;
        d->corrected = rn->corrects && rn->corrects[0];
        report_test *t = NULL;
        for (size_t i = 0; i < r->ntests && !t; i++)
            if (r->tests[i].day == d->day) t = &r->tests[i];
        if (!t && r->ntests < REPORT_DAYS) t = &r->tests[r->ntests++];
        if (t) {
            t->day = d->day;
            snprintf(t->state, sizeof t->state, "%s", vn_test_state_name(s));
            vn_text_field(rn->corrects, t->corrects, sizeof t->corrects);
            vn_text_field(rn->note, t->note, sizeof t->note);
        }
    } else if (d && strcmp(kind, "alert") == 0) {
        add_alert(r, rn->date, rn->result, rn->note);
    }
    vn__record_note__free_unpacked(rn, NULL);
    return VN_OK;
}

static int test_cmp(const void *a, const void *b)
{
    const report_test *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* The drawn days without an outcome recorded here join the tests. */
static void add_drawn(report *r)
{
    for (size_t i = 0; i < r->ndays; i++) {
        const vn_report_day *d = &r->days[i];
        if (!d->test_day || d->result != VN_TEST_NONE || r->ntests == REPORT_DAYS) continue;
        report_test *t = &r->tests[r->ntests++];
        memset(t, 0, sizeof *t);
        t->day = d->day;
    }
    qsort(r->tests, r->ntests, sizeof *r->tests, test_cmp);
}

/* The alerts of the case raised in the month that the server still has
 * open (an acknowledged one is deleted there, and its history is a record
 * here). Pages of the alert list, as far as REPORT_ALERT_PAGES. */
static int open_alerts(vn_client *c, report *r)
{
    char cursor[128] = "";
    for (int page = 0; page < REPORT_ALERT_PAGES; page++) {
        Vn__Reply *rep = NULL;
        Vn__AlertList al = VN__ALERT_LIST__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        al.cursor = cursor;
        req.body_case = VN__REQUEST__BODY_ALERT_LIST;
        req.alert_list = &al;
        int rc = vn_client_call(c, &req, VN__REPLY__BODY_ALERTS_VIEW, "cannot list alerts", &rep);
        if (rc) return rc;
        const Vn__AlertsView *v = rep->alerts_view;
        for (size_t i = 0; i < v->n_alerts; i++) {
            const Vn__AlertInfo *a = v->alerts[i];
            char when[32], what[96];
            vn_iso_time(a->created_ms, when, sizeof when);
            if (!a->case_id || strcmp(a->case_id, r->case_id) != 0 ||
                strncmp(when, r->month, 7) != 0)
                continue;
            snprintf(what, sizeof what, "%.16s %.16s %.16s", a->kind, a->severity, a->state);
            add_alert(r, when, what, "");
            r->alerts_open++;
        }
        bool next = v->more && v->cursor && v->cursor[0] && strlen(v->cursor) < sizeof cursor;
        if (next) memcpy(cursor, v->cursor, strlen(v->cursor) + 1);
        vn_frame_reply_free(rep);
        if (!next) break;
    }
    return EXIT_OK;
}

/* Fills r from the server's month and this device's records. */
static int gather(vn_client *c, report *r, Vn__Reply **cal)
{
    int rc = vn_calview_fetch(c, r->case_id, r->month, cal);
    if (rc) return rc;
    const Vn__CalendarView *v = (*cal)->calendar_view;
    r->view = v;
    vn_text_field(v->today, r->today, sizeof r->today);
    if (vn_day_parse(r->today, &r->today_day)) r->today_day = INT32_MAX;
    for (size_t i = 0; i < v->n_days && r->ndays < REPORT_DAYS; i++) {
        const Vn__CalendarDay *cd = v->days[i];
        vn_report_day *d = &r->days[r->ndays];
        if (vn_day_parse(cd->date, &d->day)) continue;
        d->checkin = cd->checkin;
        d->checkin_missed = cd->checkin_missed;
        d->test_day = cd->test_day;
        d->test_taken = cd->test_taken;
        d->absent = cd->absent;
        d->cm_contacts = cd->cm_contacts;
        d->buddy_contacts = cd->buddy_contacts;
        d->selfhelp = cd->selfhelp;
        r->ndays++;
    }
    /* Outcomes come from this device's own store, never from the server. */
    char prefix[VN_ACCOUNT_HEX + 8];
    snprintf(prefix, sizeof prefix, "%s%s", r->case_id, r->month);
    vn_err err = vn_kv_each(c->kv, CDB_RECORDS, prefix, strlen(prefix), record_cb, r);
    if (err)
        return vn_client_fail(c, err, "cannot read this device's records: %s", vn_err_str(err));
    add_drawn(r);
    if ((rc = open_alerts(c, r))) return rc;
    vn_report_total(r->days, r->ndays, r->today_day, &r->totals);
    return EXIT_OK;
}

static const char *test_taken_word(const report *r, const vn_report_day *d)
{
    if (!d || !d->test_day) return "not drawn";
    if (d->test_taken) return "taken";
    return vn_report_test_missed(d, r->today_day) ? "missed" : "due";
}

static const vn_report_day *find_day(const report *r, int32_t day)
{
    for (size_t i = 0; i < r->ndays; i++)
        if (r->days[i].day == day) return &r->days[i];
    return NULL;
}

static size_t alerts_total(const report *r)
{
    return r->nalerts + r->alerts_more;
}

/* ---- the three forms ---- */

/* Prints s indented by `indent` columns, cut to end before column 80
 * ("..." where it was cut; never inside a UTF-8 character). */
static void print_clipped(int indent, const char *s)
{
    size_t room = (size_t)(80 - indent), n = strlen(s);
    if (n > room) {
        n = room - 3;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    printf("%*s%.*s%s\n", indent, "", (int)n, s, n < strlen(s) ? "..." : "");
}

static void print_text(const report *r)
{
    const vn_report_totals *t = &r->totals;
    char date[11], f[2][80];
    printf("report of case %s, %s (as of %s)\n", r->handle, r->month, r->today);
    printf("  check-ins        %u done, %u missed\n", t->checkins, t->checkins_missed);
    printf("  test days        %u drawn, %u taken, %u missed\n", t->test_days, t->tests_taken,
           t->tests_missed);
    printf("  results          %u: %u negative, %u positive pending confirmation,\n"
           "                   %u positive confirmed, %u dilute, %u missed; %u corrected\n",
           t->results, t->by_state[VN_TEST_NEGATIVE], t->by_state[VN_TEST_POSITIVE_PENDING],
           t->by_state[VN_TEST_POSITIVE_CONFIRMED], t->by_state[VN_TEST_DILUTE],
           t->by_state[VN_TEST_MISSED], t->corrections);
    printf("  contacts         casemanager %u, buddy %u, self-help %u\n", t->cm_contacts,
           t->buddy_contacts, t->selfhelp);
    printf("  absence          %u days\n", t->absence_days);
    printf("  overdue items    %zu\n", r->view->n_overdue);
    printf("  alerts           %zu (%zu acknowledged, %zu open)\n", alerts_total(r),
           alerts_total(r) - r->alerts_open, r->alerts_open);
    if (r->ntests) printf("\ntests\n");
    for (size_t i = 0; i < r->ntests; i++) {
        const report_test *x = &r->tests[i];
        char more[2 * NOTE_MAX];
        vn_day_format(x->day, date);
        printf("  %s  %-9s  %s\n", date, test_taken_word(r, find_day(r, x->day)),
               x->state[0] ? vn_test_state_words(vn_test_state_of(x->state, false)) : "no result");
        /* A correction and a note go on a line of their own, cut to fit. */
        snprintf(more, sizeof more, "%s%s%s%s%s%s", x->corrects[0] ? "correction: " : "",
                 x->corrects, x->corrects[0] ? " -> " : "", x->corrects[0] ? x->state : "",
                 x->corrects[0] && x->note[0] ? "; " : "", x->note);
        if (more[0]) print_clipped(14, more);
    }
    size_t k = 0;
    for (size_t i = 0; i < r->ndays; i++) {
        if (!r->days[i].checkin_missed) continue;
        vn_day_format(r->days[i].day, date);
        /* Six dates a line: 2 + 6 * 12 columns. */
        printf("%s%s", k == 0 ? "\nmissed check-ins\n  " : k % 6 == 0 ? ",\n  " : ", ", date);
        k++;
    }
    if (k) printf("\n");
    if (r->view->n_overdue) printf("\noverdue\n");
    for (size_t i = 0; i < r->view->n_overdue; i++)
        printf("  %s due %s\n", vn_text_field(r->view->overdue[i]->kind, f[0], sizeof f[0]),
               vn_text_field(r->view->overdue[i]->date, f[1], sizeof f[1]));
    if (r->nalerts) printf("\nalerts\n");
    for (size_t i = 0; i < r->nalerts; i++) {
        printf("  %s  %.64s\n", r->alerts[i].date, r->alerts[i].what);
        if (r->alerts[i].note[0]) print_clipped(14, r->alerts[i].note);
    }
    if (r->alerts_more) printf("  (+%zu more)\n", r->alerts_more);
}

static void json_opt(const char *s)
{
    if (s && s[0])
        vn_json_str(stdout, s);
    else
        fputs("null", stdout);
}

static void print_json(const report *r)
{
    const vn_report_totals *t = &r->totals;
    char date[11];
    printf("{\"case\": \"%s\", \"month\": \"%s\", \"today\": \"%s\", \"tests\": [", r->case_id,
           r->month, r->today);
    for (size_t i = 0; i < r->ntests; i++) {
        const report_test *x = &r->tests[i];
        const vn_report_day *d = find_day(r, x->day);
        vn_day_format(x->day, date);
        printf("%s{\"date\": \"%s\", \"drawn\": %s, \"taken\": %s, \"missed\": %s, \"result\": ",
               i ? ", " : "", date, d && d->test_day ? "true" : "false",
               d && d->test_taken ? "true" : "false",
               d && vn_report_test_missed(d, r->today_day) ? "true" : "false");
        json_opt(x->state);
        fputs(", \"corrects\": ", stdout);
        json_opt(x->corrects);
        fputs(", \"note\": ", stdout);
        vn_json_str(stdout, x->note);
        fputs("}", stdout);
    }
    fputs("], \"checkins_missed\": [", stdout);
    bool first = true;
    for (size_t i = 0; i < r->ndays; i++) {
        if (!r->days[i].checkin_missed) continue;
        vn_day_format(r->days[i].day, date);
        printf("%s\"%s\"", first ? "" : ", ", date);
        first = false;
    }
    fputs("], \"contacts\": [", stdout);
    first = true;
    for (size_t i = 0; i < r->ndays; i++) {
        const vn_report_day *d = &r->days[i];
        if (!d->cm_contacts && !d->buddy_contacts && !d->selfhelp) continue;
        vn_day_format(d->day, date);
        printf("%s{\"date\": \"%s\", \"casemanager\": %u, \"buddy\": %u, \"selfhelp\": %u}",
               first ? "" : ", ", date, d->cm_contacts, d->buddy_contacts, d->selfhelp);
        first = false;
    }
    fputs("], \"overdue\": [", stdout);
    for (size_t i = 0; i < r->view->n_overdue; i++) {
        fputs(i ? ", {\"kind\": " : "{\"kind\": ", stdout);
        vn_json_str(stdout, r->view->overdue[i]->kind);
        fputs(", \"date\": ", stdout);
        vn_json_str(stdout, r->view->overdue[i]->date);
        fputs("}", stdout);
    }
    fputs("], \"alerts\": [", stdout);
    for (size_t i = 0; i < r->nalerts; i++) {
        printf("%s{\"date\": \"%s\", \"what\": ", i ? ", " : "", r->alerts[i].date);
        vn_json_str(stdout, r->alerts[i].what);
        fputs(", \"note\": ", stdout);
        vn_json_str(stdout, r->alerts[i].note);
        fputs("}", stdout);
    }
    printf("], \"totals\": {\"days\": %u, \"checkins\": %u, \"checkins_missed\": %u, "
           "\"test_days\": %u, \"tests_taken\": %u, \"tests_missed\": %u, "
           "\"results_total\": %u, \"results\": {\"negative\": %u, \"positive\": %u, "
           "\"positive_confirmed\": %u, \"dilute\": %u, \"missed\": %u}, "
           "\"positive_pending\": %u, \"corrections\": %u, "
           "\"casemanager_contacts\": %u, \"buddy_contacts\": %u, \"selfhelp\": %u, "
           "\"absence_days\": %u, \"overdue\": %zu, \"alerts\": %zu, \"alerts_open\": %zu}}\n",
           t->days, t->checkins, t->checkins_missed, t->test_days, t->tests_taken, t->tests_missed,
           t->results, t->by_state[VN_TEST_NEGATIVE],
           t->by_state[VN_TEST_POSITIVE_PENDING] + t->by_state[VN_TEST_POSITIVE_CONFIRMED],
           t->by_state[VN_TEST_POSITIVE_CONFIRMED], t->by_state[VN_TEST_DILUTE],
           t->by_state[VN_TEST_MISSED], t->by_state[VN_TEST_POSITIVE_PENDING], t->corrections,
           t->cm_contacts, t->buddy_contacts, t->selfhelp, t->absence_days, r->view->n_overdue,
           alerts_total(r), r->alerts_open);
}

/* One CSV row: section, date, item, value, note. */
static void csv_row(const char *section, const char *date, const char *item, const char *value,
                    const char *note)
{
    vn_csv_field(stdout, section);
    fputc(',', stdout);
    vn_csv_field(stdout, date);
    fputc(',', stdout);
    vn_csv_field(stdout, item);
    fputc(',', stdout);
    vn_csv_field(stdout, value);
    fputc(',', stdout);
    vn_csv_field(stdout, note);
    fputs("\r\n", stdout);
}

static void csv_total(const char *item, size_t n)
{
    char v[24];
    snprintf(v, sizeof v, "%zu", n);
    csv_row("total", "", item, v, "");
}

static void print_csv(const report *r)
{
    const vn_report_totals *t = &r->totals;
    char date[11], v[80], f[2][80];
    csv_row("section", "date", "item", "value", "note");
    for (size_t i = 0; i < r->ndays; i++) {
        const vn_report_day *d = &r->days[i];
        vn_day_format(d->day, date);
        if (d->checkin) csv_row("checkin", date, "checkin", "done", "");
        if (d->checkin_missed) csv_row("checkin", date, "checkin", "missed", "");
        if (d->absent) csv_row("absence", date, "absence", "approved", "");
        snprintf(v, sizeof v, "%u", d->cm_contacts);
        if (d->cm_contacts) csv_row("contact", date, "casemanager-contact", v, "");
        snprintf(v, sizeof v, "%u", d->buddy_contacts);
        if (d->buddy_contacts) csv_row("contact", date, "buddy-contact", v, "");
        snprintf(v, sizeof v, "%u", d->selfhelp);
        if (d->selfhelp) csv_row("contact", date, "selfhelp", v, "");
    }
    for (size_t i = 0; i < r->ntests; i++) {
        const report_test *x = &r->tests[i];
        vn_day_format(x->day, date);
        csv_row("test", date, test_taken_word(r, find_day(r, x->day)),
                x->state[0] ? x->state : "none", x->note);
        if (x->corrects[0]) {
            snprintf(v, sizeof v, "%s -> %s", x->corrects, x->state);
            csv_row("correction", date, "test", v, "");
        }
    }
    for (size_t i = 0; i < r->view->n_overdue; i++)
        csv_row("overdue", vn_text_field(r->view->overdue[i]->date, f[1], sizeof f[1]),
                vn_text_field(r->view->overdue[i]->kind, f[0], sizeof f[0]), "overdue", "");
    for (size_t i = 0; i < r->nalerts; i++)
        csv_row("alert", r->alerts[i].date, "alert", r->alerts[i].what, r->alerts[i].note);
    csv_total("checkins", t->checkins);
    csv_total("checkins_missed", t->checkins_missed);
    csv_total("test_days", t->test_days);
    csv_total("tests_taken", t->tests_taken);
    csv_total("tests_missed", t->tests_missed);
    csv_total("results", t->results);
    for (int s = VN_TEST_NEGATIVE; s < VN_TEST_STATES; s++) {
        snprintf(v, sizeof v, "results_%s", vn_test_state_name((vn_test_state)s));
        csv_total(v, t->by_state[s]);
    }
    csv_total("corrections", t->corrections);
    csv_total("casemanager_contacts", t->cm_contacts);
    csv_total("buddy_contacts", t->buddy_contacts);
    csv_total("selfhelp", t->selfhelp);
    csv_total("absence_days", t->absence_days);
    csv_total("overdue", r->view->n_overdue);
    csv_total("alerts", alerts_total(r));
}

int vn_cmd_report(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *month = vn_args_get(a, "--month");
    bool csv = vn_args_has(a, "--csv");
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc)) return rc;
    if (!vn_calview_month_ok(month))
        return vn_args_invalid(c, a, "--month wants YYYY-MM, not %s", month);
    if (csv && c->json) return vn_args_usage(c, a, "--csv and --json: choose one");
    report *r = calloc(1, sizeof *r);
    if (r) r->alerts = calloc(REPORT_ALERTS_MAX, sizeof *r->alerts);
    if (!r || !r->alerts) {
        if (r) free(r);
        return vn_client_fail(c, VN_ENOMEM, "out of memory");
    }
    snprintf(r->case_id, sizeof r->case_id, "%s", case_id);
    vn_client_case_handle(c, case_id, r->handle, sizeof r->handle);
    snprintf(r->month, sizeof r->month, "%s", month);
    Vn__Reply *cal = NULL;
    rc = gather(c, r, &cal);
    if (!rc && csv)
        print_csv(r);
    else if (!rc && c->json)
        print_json(r);
    else if (!rc)
        print_text(r);
    vn_frame_reply_free(cal);
    free(r->alerts);
    free(r);
    return rc;
}
