/* The casemanager's views: the caseload and a month calendar per case (the
 * monthly report is report.c). */
#include "args.h"
#include "calview.h"
#include "names.h"

#include "vn/frame.h"
#include "vn/schedule.h"
#include "vn/day.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CASELOAD_COLS 100 /* a caseload line's width at most, without --wide */
#define CASELOAD_MIN  60  /* and the narrowest a terminal makes it */

/* The caseload's width: CASELOAD_COLS, or a narrower terminal's (the
 * person's, even when the command runs in their daemon), down to
 * CASELOAD_MIN. */
static size_t caseload_cols(const vn_client *c)
{
    int cols = c->out_cols;
    if (cols <= 0 || cols > CASELOAD_COLS) return CASELOAD_COLS;
    return cols < CASELOAD_MIN ? CASELOAD_MIN : (size_t)cols;
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

/* The colours of a grid's cells: all "" without colour. */
typedef struct grid_colours {
    const char *red, *green, *yellow, *off;
} grid_colours;

/* One letter per fact, so the grid reads without colour; colour only adds
 * emphasis on a terminal (missed in red, done in green, tests in yellow). */
static void grid_cell(void *ud, const Vn__CalendarDay *cd, size_t i)
{
    const grid_colours *gc = ud;
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
    const char *col = cd->checkin_missed || (cd->test_day && !cd->test_taken) ? gc->red
                      : cd->test_day                                          ? gc->yellow
                      : cd->checkin                                           ? gc->green
                                                                              : "";
    printf("%s%2zu %-5s%s ", col, i + 1, marks, *col ? gc->off : "");
}

static void calendar_grid(const Vn__CalendarView *v, const char *title, bool colour)
{
    grid_colours gc = {colour ? "\033[31m" : "", colour ? "\033[32m" : "", colour ? "\033[33m" : "",
                       colour ? "\033[0m" : ""};
    char f2[32];
    printf("case %s  %s\n", title, vn_text_field(v->month, f2, sizeof f2));
    if (!vn_calview_grid(v, grid_cell, &gc)) return;
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

/* The participant of each case the casemanager has, from the server's case
 * list (asked once a caseload); NULL when it could not be read: the lines
 * then show no names. */
static Vn__Reply *fetch_cases(vn_client *c)
{
    Vn__Reply *rep = NULL;
    Vn__CaseList cl = VN__CASE_LIST__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_LIST;
    req.case_list = &cl;
    if (vn_conn_call(c->conn, &req, &rep) == VN_OK && rep->body_case == VN__REPLY__BODY_CASES)
        return rep;
    vn_frame_reply_free(rep);
    return NULL;
}

static const char *participant_of(const Vn__Reply *cases, const char *case_id)
{
    for (size_t i = 0; cases && i < cases->cases->n_cases; i++) {
        const Vn__CaseInfo *ci = cases->cases->cases[i];
        if (!ci->case_id || strcmp(ci->case_id, case_id) != 0) continue;
        for (size_t k = 0; k < ci->n_members; k++)
            if (ci->members[k]->role && strcmp(ci->members[k]->role, "participant") == 0)
                return ci->members[k]->account;
    }
    return NULL;
}

static int caseload_calendar(vn_client *c, const char *month)
{
    Vn__Reply *load = NULL;
    int rc = fetch_caseload(c, &load);
    if (rc) return rc;
    char m[8];
    snprintf(m, sizeof m, "%.7s", month ? month : load->caseload_view->today);
    bool colour = !c->json && c->out_tty;
    Vn__Reply *cases = c->json ? NULL : fetch_cases(c);
    if (c->json) printf("[");
    for (size_t i = 0; !rc && i < load->caseload_view->n_cases; i++) {
        Vn__Reply *cal = NULL;
        rc = vn_calview_fetch(c, load->caseload_view->cases[i]->case_id, m, &cal);
        if (rc) break;
        mark_medication(c, load->caseload_view->cases[i]->case_id, cal->calendar_view);
        if (c->json) {
            if (i) printf(", ");
            calendar_json(cal->calendar_view);
        } else {
            char handle[VN_ACCOUNT_HEX + 1], who[VN_CONTACT_NAME_MAX * 4 + 1], title[400];
            const char *case_id = load->caseload_view->cases[i]->case_id,
                       *p = participant_of(cases, case_id);
            snprintf(title, sizeof title, "%s%s%s%s",
                     vn_client_case_handle(c, case_id, handle, sizeof handle), p ? " (" : "",
                     p ? vn_client_label(c, p, who, sizeof who) : "", p ? ")" : "");
            calendar_grid(cal->calendar_view, title, colour);
            printf("\n");
        }
        vn_frame_reply_free(cal);
    }
    vn_frame_reply_free(cases);
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

static void caseload_json(vn_client *c, const Vn__CaseDue *cd, const char *who, bool first)
{
    char handle[VN_ACCOUNT_HEX + 1], name[VN_CONTACT_NAME_MAX + 1];
    printf("%s{\"case\": ", first ? "" : ", ");
    vn_json_str(stdout, cd->case_id);
    fputs(", \"handle\": ", stdout);
    vn_json_str(stdout, vn_client_case_handle(c, cd->case_id, handle, sizeof handle));
    fputs(", \"participant\": ", stdout);
    if (who)
        vn_json_str(stdout, who);
    else
        fputs("null", stdout);
    if (who && vn_client_name_of(c, who, name, sizeof name)) {
        fputs(", \"participant_name\": ", stdout);
        vn_json_str(stdout, name);
    }
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
}

/* --wide: everything, whole ids, however long the line. */
static void caseload_wide(vn_client *c, const Vn__CaseDue *cd, const char *who)
{
    char f[4][80], label[VN_CONTACT_NAME_MAX * 4 + 1];
    printf("  %s  %s%s%s%s  %-7s next: %-20s %-10s", vn_text_field(cd->case_id, f[0], sizeof f[0]),
           who ? vn_client_label(c, who, label, sizeof label) : "-", who ? " (" : "",
           who ? who : "", who ? ")" : "", vn_text_field(cd->state, f[1], sizeof f[1]),
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

/* One line of at most cols columns (names.c lays it out). */
static void caseload_line(vn_client *c, const Vn__CaseDue *cd, const char *who, const char *today,
                          size_t cols)
{
    char handle[VN_ACCOUNT_HEX + 1], label[VN_CONTACT_NAME_MAX * 4 + 1], line[1024];
    char f[6][80];
    vn_names_row r = {
        .handle = vn_client_case_handle(c, cd->case_id, handle, sizeof handle),
        .who = who ? vn_client_label(c, who, label, sizeof label) : "-",
        .state = vn_text_field(cd->state, f[0], sizeof f[0]),
        .nalerts = (unsigned)cd->n_alerts + cd->alerts_more,
        .nover = (unsigned)cd->n_overdue,
    };
    if (cd->next_due) {
        r.next_kind = vn_text_field(cd->next_due->kind, f[1], sizeof f[1]);
        r.next_date = vn_text_field(cd->next_due->date, f[2], sizeof f[2]);
    }
    if (cd->n_alerts) r.alert = vn_text_field(cd->alerts[0], f[3], sizeof f[3]);
    if (cd->n_overdue) {
        r.over_kind = vn_text_field(cd->overdue[0]->kind, f[4], sizeof f[4]);
        r.over_date = vn_text_field(cd->overdue[0]->date, f[5], sizeof f[5]);
    }
    printf("%s\n", vn_names_load_line(&r, today, cols, line, sizeof line));
}

int vn_cmd_caseload(vn_client *c, const vn_args *a)
{
    bool calendar = vn_args_has(a, "--calendar"), wide = vn_args_has(a, "--wide");
    const char *month = vn_args_get(a, "--month");
    if (month && !vn_calview_month_ok(month))
        return vn_client_fail_usage(c, "--month wants YYYY-MM, not %s", month);
    if (calendar) return caseload_calendar(c, month);
    Vn__Reply *rep = NULL;
    int rc = fetch_caseload(c, &rep);
    if (rc) return rc;
    const Vn__CaseloadView *v = rep->caseload_view;
    Vn__Reply *cases = fetch_cases(c);
    size_t cols = caseload_cols(c);
    char today[32];
    vn_text_field(v->today, today, sizeof today);
    for (size_t i = 0; i < v->n_cases; i++)
        vn_client_case_seen(c, v->cases[i]->case_id);
    if (c->json)
        printf("[");
    else if (wide)
        printf("caseload on %s (most urgent first)\n", today);
    else
        printf("caseload on %s (most urgent first; --wide for whole ids)\n"
               "  %-8s  %-18s  %-6s  %-19s  %s\n",
               today, "CASE", "PARTICIPANT", "STATE", "NEXT DUE", "ALERTS, OVERDUE");
    for (size_t i = 0; i < v->n_cases; i++) {
        const Vn__CaseDue *cd = v->cases[i];
        const char *who = participant_of(cases, cd->case_id);
        if (c->json)
            caseload_json(c, cd, who, i == 0);
        else if (wide)
            caseload_wide(c, cd, who);
        else
            caseload_line(c, cd, who, today, cols);
    }
    if (c->json)
        printf("]\n");
    else if (v->n_cases == 0)
        printf("  no open cases\n");
    vn_frame_reply_free(cases);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}
