/* The casemanager's views: the caseload and a month calendar per case (the
 * monthly report is report.c). */
#include "args.h"

#include "vn/frame.h"
#include "vn/schedule.h"
#include "vn/day.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether s is a month, YYYY-MM: it is printed back, and in JSON unquoted
 * text would break the string it stands in. */
static bool month_ok(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (!s[i] || (i == 4 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))) return false;
    return s[7] == '\0';
}

static void item_json(const Vn__DueItem *d)
{
    fputs("{\"kind\": ", stdout);
    vn_json_str(stdout, d->kind);
    fputs(", \"date\": ", stdout);
    vn_json_str(stdout, d->date);
    fputs("}", stdout);
}

static int fetch_caseload(vn_client *c, Vn__Reply **rep)
{
    Vn__Caseload cl = VN__CASELOAD__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASELOAD;
    req.caseload = &cl;
    return vn_client_call(c, &req, VN__REPLY__BODY_CASELOAD_VIEW, "cannot read the caseload", rep);
}

static int fetch_calendar(vn_client *c, const char *case_id, const char *month, Vn__Reply **rep)
{
    Vn__Calendar cal = VN__CALENDAR__INIT;
    cal.case_id = (char *)case_id;
    cal.month = (char *)month;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CALENDAR;
    req.calendar = &cal;
    return vn_client_call(c, &req, VN__REPLY__BODY_CALENDAR_VIEW, "cannot read the calendar", rep);
}

static void calendar_json(const Vn__CalendarView *v)
{
    /* The strings are the server's: escaped like any other. */
    fputs("{\"case\": ", stdout);
    vn_json_str(stdout, v->case_id);
    fputs(", \"month\": ", stdout);
    vn_json_str(stdout, v->month);
    fputs(", \"days\": [", stdout);
    for (size_t i = 0; i < v->n_days; i++) {
        const Vn__CalendarDay *d = v->days[i];
        printf("%s{\"date\": ", i ? ", " : "");
        vn_json_str(stdout, d->date);
        printf(", \"checkin\": %s, \"checkin_missed\": %s, \"test_day\": %s, "
               "\"test_taken\": %s, \"casemanager_contacts\": %u, \"buddy_contacts\": %u, "
               "\"selfhelp\": %u, \"absent\": %s, \"medication\": %s}",
               d->checkin ? "true" : "false", d->checkin_missed ? "true" : "false",
               d->test_day ? "true" : "false", d->test_taken ? "true" : "false", d->cm_contacts,
               d->buddy_contacts, d->selfhelp, d->absent ? "true" : "false",
               d->medication ? "true" : "false");
    }
    printf("]}");
}

/* One letter per fact, so the grid reads without colour; colour only adds
 * emphasis on a terminal (missed in red, done in green, tests in yellow). */
static void calendar_grid(const Vn__CalendarView *v, bool colour)
{
    const char *red = colour ? "\033[31m" : "", *green = colour ? "\033[32m" : "",
               *yellow = colour ? "\033[33m" : "", *off = colour ? "\033[0m" : "";
    int y, m, d;
    char f1[80], f2[32];
    printf("case %s  %s\n", vn_text_field(v->case_id, f1, sizeof f1),
           vn_text_field(v->month, f2, sizeof f2));
    printf("   Mon      Tue      Wed      Thu      Fri      Sat      Sun\n");
    if (v->n_days == 0 || sscanf(v->days[0]->date, "%d-%d-%d", &y, &m, &d) != 3) return;
    /* Zeller-free weekday: 1970-01-01 was a Thursday (index 3 from Monday). */
    int32_t day0 = vn_day_from_civil(y, m, 1);
    int wd = (int)(((day0 % 7) + 7 + 3) % 7);
    for (int i = 0; i < wd; i++)
        printf("         ");
    for (size_t i = 0; i < v->n_days; i++) {
        const Vn__CalendarDay *cd = v->days[i];
        char marks[8] = "";
        size_t k = 0;
        if (cd->absent) marks[k++] = 'A';
        if (cd->checkin) marks[k++] = 'C';
        if (cd->checkin_missed) marks[k++] = 'M';
        if (cd->test_day)
            marks[k++] = cd->test_taken ? 'X' : 'T';
        else if (cd->test_taken)
            marks[k++] = 'X';
        if (cd->cm_contacts) marks[k++] = 'K';
        if (cd->buddy_contacts) marks[k++] = 'B';
        if (cd->selfhelp && k < 6) marks[k++] = 'S';
        if (cd->medication && k < 6) marks[k++] = 'R';
        marks[k] = '\0';
        const char *col = cd->checkin_missed || (cd->test_day && !cd->test_taken) ? red
                          : cd->test_day                                          ? yellow
                          : cd->checkin                                           ? green
                                                                                  : "";
        printf("%s%2zu %-5s%s ", col, i + 1, marks, *col ? off : "");
        if ((wd + (int)i) % 7 == 6) printf("\n");
    }
    printf("\n  C checked in  M missed check-in  T test day  X test taken  K casemanager contact\n"
           "  B buddy contact  S self-help  A absence  R medication exception\n");
}

/* Marks the days of this device's medication exceptions (end to end
 * records; the server never has them) in a calendar view. */
static vn_err medication_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl,
                            bool *stop)
{
    Vn__CalendarView *view = ud;
    Vn__RecordNote *r = vn__record_note__unpack(NULL, vl, v);
    int32_t from, to, day;
    if (!r) return VN_OK;
    if (r->kind && strcmp(r->kind, "medication") == 0 && !vn_day_parse(r->date, &from) &&
        !vn_day_parse(r->result, &to))
        for (size_t i = 0; i < view->n_days; i++)
            if (!vn_day_parse(view->days[i]->date, &day) && day >= from && day <= to)
                view->days[i]->medication = true;
    vn__record_note__free_unpacked(r, NULL);
    return VN_OK;
}

static void mark_medication(vn_client *c, const char *case_id, Vn__CalendarView *view)
{
    vn_kv_each(c->kv, CDB_RECORDS, case_id, strlen(case_id), medication_cb, view);
}

static int caseload_calendar(vn_client *c, const char *month)
{
    Vn__Reply *load = NULL;
    int rc = fetch_caseload(c, &load);
    if (rc) return rc;
    char m[8];
    snprintf(m, sizeof m, "%.7s", month ? month : load->caseload_view->today);
    bool colour = !c->json && isatty(STDOUT_FILENO);
    if (c->json) printf("[");
    for (size_t i = 0; !rc && i < load->caseload_view->n_cases; i++) {
        Vn__Reply *cal = NULL;
        rc = fetch_calendar(c, load->caseload_view->cases[i]->case_id, m, &cal);
        if (rc) break;
        mark_medication(c, load->caseload_view->cases[i]->case_id, cal->calendar_view);
        if (c->json) {
            if (i) printf(", ");
            calendar_json(cal->calendar_view);
        } else {
            calendar_grid(cal->calendar_view, colour);
            printf("\n");
        }
        vn_frame_reply_free(cal);
    }
    if (c->json) printf("]\n");
    vn_frame_reply_free(load);
    return rc;
}

/* One alert of a case in the caseload; its fields are the server's. */
static void alert_json(size_t k, const char *id, const char *sev, const char *kind,
                       const char *state)
{
    printf("%s{\"alert\": ", k ? ", " : "");
    vn_json_str(stdout, id);
    fputs(", \"severity\": ", stdout);
    vn_json_str(stdout, sev);
    fputs(", \"kind\": ", stdout);
    vn_json_str(stdout, kind);
    fputs(", \"state\": ", stdout);
    vn_json_str(stdout, state);
    fputs("}", stdout);
}

int vn_cmd_caseload(vn_client *c, const vn_args *a)
{
    bool calendar = vn_args_has(a, "--calendar");
    const char *month = vn_args_get(a, "--month");
    if (month && !month_ok(month))
        return vn_client_fail_usage(c, "--month wants YYYY-MM, not %s", month);
    if (calendar) return caseload_calendar(c, month);
    Vn__Reply *rep = NULL;
    int rc = fetch_caseload(c, &rep);
    if (rc) return rc;
    const Vn__CaseloadView *v = rep->caseload_view;
    char today[32];
    if (c->json)
        printf("[");
    else
        printf("caseload on %s (most urgent first)\n",
               vn_text_field(v->today, today, sizeof today));
    for (size_t i = 0; i < v->n_cases; i++) {
        const Vn__CaseDue *cd = v->cases[i];
        if (c->json) {
            printf("%s{\"case\": ", i ? ", " : "");
            vn_json_str(stdout, cd->case_id);
            fputs(", \"state\": ", stdout);
            vn_json_str(stdout, cd->state);
            fputs(", \"next_due\": ", stdout);
            if (cd->next_due)
                item_json(cd->next_due);
            else
                printf("null");
            printf(", \"overdue\": [");
            for (size_t k = 0; k < cd->n_overdue; k++) {
                if (k) printf(", ");
                item_json(cd->overdue[k]);
            }
            printf("], \"alerts\": [");
            for (size_t k = 0; k < cd->n_alerts; k++) {
                char sev[16] = "", kind[16] = "", state[16] = "", id[40] = "";
                sscanf(cd->alerts[k], "%15[^:]:%15[^:]:%15[^:]:%39s", sev, kind, state, id);
                alert_json(k, id, sev, kind, state);
            }
            printf("], \"alerts_more\": %u}", cd->alerts_more);
            continue;
        }
        /* Every string is the server's: made safe to print. */
        char f[4][80];
        printf("  %.8s  %-7s next: %-20s %-10s", vn_text_field(cd->case_id, f[0], sizeof f[0]),
               vn_text_field(cd->state, f[1], sizeof f[1]),
               cd->next_due ? vn_text_field(cd->next_due->kind, f[2], sizeof f[2]) : "-",
               cd->next_due ? vn_text_field(cd->next_due->date, f[3], sizeof f[3]) : "");
        for (size_t k = 0; k < cd->n_alerts; k++)
            printf("  ALERT %s", vn_text_field(cd->alerts[k], f[0], sizeof f[0]));
        if (cd->alerts_more) printf("  (+%u more alerts: vangnet alerts)", cd->alerts_more);
        if (cd->n_overdue) {
            printf("  OVERDUE:");
            for (size_t k = 0; k < cd->n_overdue; k++)
                printf(" %s since %s", vn_text_field(cd->overdue[k]->kind, f[0], sizeof f[0]),
                       vn_text_field(cd->overdue[k]->date, f[1], sizeof f[1]));
        }
        printf("\n");
    }
    if (c->json)
        printf("]\n");
    else if (v->n_cases == 0)
        printf("  no open cases\n");
    vn_frame_reply_free(rep);
    return EXIT_OK;
}
