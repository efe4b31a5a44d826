/* `vangnet calendar`: the participant's own month. The check-in window, the
 * approved absences, each contact minimum with when it is next due, the
 * test-day instructions, and the days of the month so far. Test days are
 * drawn on the day itself (the server makes no draw ahead, and hides any
 * from a participant's calendar until the day is over or checked in); this
 * view never shows one that is not past. */
#include "args.h"
#include "calview.h"
#include "instructions.h"

#include "vn/frame.h"
#include "vn/day.h"
#include "vn/schedule.h"
#include "vn/terms.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACK_MONTHS_MAX 13 /* months read back to find the last contact of each kind */

static const struct minimum {
    vn_due_kind due;     /* the schedule's item */
    vn_event_kind event; /* the event that meets it */
    const char *label;   /* as shown */
} minimums[] = {
    {VN_DUE_CM_CONTACT, VN_EV_CM_CONTACT, "casemanager"},
    {VN_DUE_BUDDY_CONTACT, VN_EV_BUDDY_CONTACT, "buddy contact"},
    {VN_DUE_SELFHELP, VN_EV_SELFHELP, "self-help group"},
};
#define NMIN (sizeof minimums / sizeof minimums[0])

/* What the calendar gathers before it prints. */
typedef struct pcal {
    char case_id[VN_ACCOUNT_HEX + 1]; /* the participant's case */
    char month[8];                    /* YYYY-MM shown */
    int32_t today;                    /* the server's today */
    int minute;                       /* and its minute of the day */
    vn_terms terms;                   /* the contract in force or waiting */
    bool has_terms;                   /* there is a contract */
    Vn__Reply *cal;                   /* the month shown */
    vn_event *ev;                     /* contacts and check-ins read, for the schedule */
    size_t nev, evcap;                /* how many, and room */
    vn_absence abs[64];               /* absences seen in the months read */
    size_t nabs;                      /* how many */
    int32_t last[NMIN];               /* last contact of each kind seen, or INT32_MIN */
} pcal;

static vn_err add_event(pcal *p, int32_t day, vn_event_kind kind)
{
    if (p->nev == p->evcap) {
        size_t cap = p->evcap ? p->evcap * 2 : 128;
        vn_event *n = realloc(p->ev, cap * sizeof *n);
        if (!n) return VN_ENOMEM;
        p->ev = n;
        p->evcap = cap;
    }
    p->ev[p->nev++] = (vn_event){day, (uint8_t)kind};
    return VN_OK;
}

/* Takes one month's days into the events, absences and last contacts. */
static vn_err take_month(pcal *p, const Vn__CalendarView *v)
{
    vn_err err = VN_OK;
    int32_t from = 0, prev = 0;
    bool in_run = false;
    for (size_t i = 0; !err && i < v->n_days; i++) {
        const Vn__CalendarDay *cd = v->days[i];
        int32_t d;
        if (vn_day_parse(cd->date, &d)) continue;
        /* Runs of absent days are the absences (a month cuts one in two,
         * which the schedule reads as two back to back). */
        if (cd->absent && !in_run) from = d, in_run = true;
        if (!cd->absent && in_run) {
            in_run = false;
            if (p->nabs < sizeof p->abs / sizeof p->abs[0])
                p->abs[p->nabs++] = (vn_absence){from, prev};
        }
        prev = d;
        const uint32_t counts[NMIN] = {cd->cm_contacts, cd->buddy_contacts, cd->selfhelp};
        for (size_t k = 0; !err && k < NMIN; k++)
            if (counts[k]) {
                err = add_event(p, d, minimums[k].event);
                if (d > p->last[k]) p->last[k] = d;
            }
        if (!err && cd->checkin) err = add_event(p, d, VN_EV_CHECKIN);
    }
    if (in_run && p->nabs < sizeof p->abs / sizeof p->abs[0])
        p->abs[p->nabs++] = (vn_absence){from, prev};
    return err;
}

static void fetch_terms(vn_client *c, pcal *p)
{
    Vn__Reply *rep = NULL;
    Vn__ContractGet g = VN__CONTRACT_GET__INIT;
    g.case_id = p->case_id;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CONTRACT_GET;
    req.contract_get = &g;
    if (vn_client_connect(c) || vn_conn_call(c->conn, &req, &rep)) return;
    if (rep->body_case == VN__REPLY__BODY_STORED_CONTRACT) {
        Vn__Contract *ct = vn__contract__unpack(NULL, rep->stored_contract->canonical.len,
                                                rep->stored_contract->canonical.data);
        p->has_terms = ct && vn_terms_from_pb(ct, &p->terms) == VN_OK;
        if (ct) vn__contract__free_unpacked(ct, NULL);
    }
    vn_frame_reply_free(rep);
}

/* The month before "YYYY-MM". */
static void month_before(const char *m, char out[8])
{
    int y = 0, mo = 0;
    sscanf(m, "%4d-%2d", &y, &mo);
    if (--mo == 0) mo = 12, y--;
    if (y < 0 || y > 9999) y = 0;
    snprintf(out, 8, "%04d-%02d", y % 10000, (mo % 100 + 100) % 100);
}

/* Reads the month shown, then months before it until every contact kind
 * has been seen, its interval is covered or the contract's start is
 * reached: the next deadline counts from the last contact. */
static int gather(vn_client *c, pcal *p)
{
    int rc = vn_calview_fetch(c, p->case_id, p->month, &p->cal);
    if (rc) return rc;
    vn_err err = take_month(p, p->cal->calendar_view);
    char m[8];
    memcpy(m, p->month, sizeof m);
    for (int back = 1; !err && p->has_terms && back <= BACK_MONTHS_MAX; back++) {
        const uint16_t every[NMIN] = {p->terms.cm_contact_days, p->terms.buddy_contact_days,
                                      p->terms.selfhelp_days};
        int y, mo;
        month_before(m, m);
        sscanf(m, "%4d-%2d", &y, &mo);
        int32_t first = vn_day_from_civil(y, mo, 1);
        bool need = false;
        for (size_t k = 0; k < NMIN; k++)
            need |=
                p->last[k] == INT32_MIN && first + vn_day_month_len(y, mo) + every[k] > p->today;
        if (!need || first + vn_day_month_len(y, mo) <= p->terms.start_day) break;
        Vn__Reply *rep = NULL;
        if ((rc = vn_calview_fetch(c, p->case_id, m, &rep))) return rc;
        err = take_month(p, rep->calendar_view);
        vn_frame_reply_free(rep);
    }
    return err ? vn_client_fail(c, err, "cannot read the calendar: %s", vn_err_str(err)) : EXIT_OK;
}

/* The check-in window, "HH:MM-HH:MM". */
static void window_of(const vn_terms *t, char out[12])
{
    snprintf(out, 12, "%02u:%02u-%02u:%02u", (unsigned)(t->checkin_start_min / 60) % 100,
             (unsigned)t->checkin_start_min % 60, (unsigned)(t->checkin_end_min / 60) % 100,
             (unsigned)t->checkin_end_min % 60);
}

/* Whether a day of the view may show that a test was due: only once it
 * is over. A test day is never shown ahead. */
static bool test_missed_shown(const pcal *p, const Vn__CalendarDay *cd)
{
    int32_t d;
    return cd->test_day && !cd->test_taken && !vn_day_parse(cd->date, &d) && d < p->today;
}

/* A day's cell: what the participant may see of it. */
static void grid_cell(void *ud, const Vn__CalendarDay *cd, size_t i)
{
    const pcal *p = ud;
    char marks[8];
    size_t k = 0;
    if (cd->absent) marks[k++] = 'A';
    if (cd->checkin) marks[k++] = 'C';
    if (cd->checkin_missed) marks[k++] = 'M';
    if (cd->test_taken)
        marks[k++] = 'X';
    else if (test_missed_shown(p, cd))
        marks[k++] = 'T';
    if (cd->cm_contacts) marks[k++] = 'K';
    if (cd->buddy_contacts && k < 6) marks[k++] = 'B';
    if (cd->selfhelp && k < 6) marks[k++] = 'S';
    marks[k] = '\0';
    printf("%2zu %-5s ", i + 1, marks);
}

static void grid(const pcal *p)
{
    printf("\n");
    if (!vn_calview_grid(p->cal->calendar_view, grid_cell, (void *)p)) return;
    printf("\n  C checked in  M missed check-in  X test given  T test not given  K casemanager\n"
           "  B buddy contact  S self-help  A approved absence\n");
}

/* Prints text after a label of 19 columns, wrapped at spaces so that no
 * line passes column 80; continuation lines are indented under it. */
static void print_wrapped(const char *label, const char *text)
{
    const size_t width = 80 - 19;
    printf("  %-16s ", label);
    while (strlen(text) > width) {
        size_t cut = width;
        while (cut > 0 && text[cut] != ' ')
            cut--;
        if (cut == 0) cut = width; /* one long word: cut it */
        printf("%.*s\n%19s", (int)cut, text, "");
        text += cut;
        while (*text == ' ')
            text++;
    }
    printf("%s\n", text);
}

static void print_text(vn_client *c, const pcal *p, const vn_due *due, size_t ndue,
                       const char *instr)
{
    char w[12], d1[11], d2[11];
    const Vn__CalendarView *v = p->cal->calendar_view;
    vn_day_format(p->today, d1);
    printf("your calendar, %s (today %s)\n", p->month, d1);
    if (!p->has_terms) {
        printf("  no contract yet: your casemanager sets it, then you sign it\n");
    } else {
        window_of(&p->terms, w);
        bool done = false;
        for (size_t i = 0; i < v->n_days; i++)
            done |= v->days[i]->checkin && strcmp(v->days[i]->date, d1) == 0;
        printf("  check-in         daily %s; today %s\n", w,
               done ? "done" : "not yet (vangnet checkin)");
        printf("  test days        drawn on the day itself: the check-in tells you\n");
        print_wrapped("instructions", instr[0] ? instr : "none yet: ask your casemanager");
        const uint16_t every[NMIN] = {p->terms.cm_contact_days, p->terms.buddy_contact_days,
                                      p->terms.selfhelp_days};
        for (size_t k = 0; k < NMIN; k++) {
            const vn_due *it = NULL;
            for (size_t i = 0; i < ndue; i++)
                if (due[i].kind == minimums[k].due) it = &due[i];
            char line[128];
            int o = snprintf(line, sizeof line, "every %u days", every[k]);
            if (p->last[k] != INT32_MIN) {
                vn_day_format(p->last[k], d2);
                o += snprintf(line + o, sizeof line - (size_t)o, "; last %s", d2);
            }
            if (it) {
                vn_day_format(it->due_day, d2);
                snprintf(line + o, sizeof line - (size_t)o, "; %s %s",
                         it->overdue ? "OVERDUE since" : "next by", d2);
            }
            print_wrapped(minimums[k].label, line);
        }
    }
    char abs[64 * 24 + 64];
    size_t o = (size_t)snprintf(abs, sizeof abs, "at most %u days a year",
                                p->has_terms ? p->terms.absence_max_days : 0);
    bool any = false;
    for (size_t i = 0; i < p->nabs && o < sizeof abs - 32; i++) {
        if (p->abs[i].to_day < vn_day_from_civil(atoi(p->month), atoi(p->month + 5), 1)) continue;
        vn_day_format(p->abs[i].from_day, d1);
        vn_day_format(p->abs[i].to_day, d2);
        o += (size_t)snprintf(abs + o, sizeof abs - o, "%s %s..%s", any ? "," : "; approved:", d1,
                              d2);
        any = true;
    }
    if (p->has_terms || any) print_wrapped("absences", abs);
    (void)c;
    grid(p);
}

static void print_json(const pcal *p, const vn_due *due, size_t ndue, const char *instr)
{
    char w[12], d[11];
    const Vn__CalendarView *v = p->cal->calendar_view;
    vn_day_format(p->today, d);
    printf("{\"case\": \"%s\", \"month\": \"%s\", \"today\": \"%s\", \"checkin_window\": ",
           p->case_id, p->month, d);
    if (p->has_terms) {
        window_of(&p->terms, w);
        printf("\"%s\", \"absence_max_days\": %u", w, p->terms.absence_max_days);
    } else {
        printf("null, \"absence_max_days\": null");
    }
    fputs(", \"instructions\": ", stdout);
    if (instr[0])
        vn_json_str(stdout, instr);
    else
        fputs("null", stdout);
    fputs(", \"minimums\": [", stdout);
    for (size_t k = 0; p->has_terms && k < NMIN; k++) {
        const uint16_t every[NMIN] = {p->terms.cm_contact_days, p->terms.buddy_contact_days,
                                      p->terms.selfhelp_days};
        const vn_due *it = NULL;
        for (size_t i = 0; i < ndue; i++)
            if (due[i].kind == minimums[k].due) it = &due[i];
        printf("%s{\"kind\": \"%s\", \"every_days\": %u, \"last\": ", k ? ", " : "",
               vn_schedule_due_name(minimums[k].due), every[k]);
        if (p->last[k] != INT32_MIN) {
            vn_day_format(p->last[k], d);
            printf("\"%s\"", d);
        } else
            printf("null");
        printf(", \"next_due\": ");
        if (it) {
            vn_day_format(it->due_day, d);
            printf("\"%s\", \"overdue\": %s}", d, it->overdue ? "true" : "false");
        } else
            printf("null, \"overdue\": false}");
    }
    fputs("], \"absences\": [", stdout);
    for (size_t i = 0; i < p->nabs; i++) {
        char d2[11];
        vn_day_format(p->abs[i].from_day, d);
        vn_day_format(p->abs[i].to_day, d2);
        printf("%s{\"from\": \"%s\", \"to\": \"%s\"}", i ? ", " : "", d, d2);
    }
    fputs("], \"days\": [", stdout);
    for (size_t i = 0; i < v->n_days; i++) {
        const Vn__CalendarDay *cd = v->days[i];
        printf("%s{\"date\": ", i ? ", " : "");
        vn_json_str(stdout, cd->date);
        printf(", \"checkin\": %s, \"checkin_missed\": %s, \"test_given\": %s, "
               "\"test_not_given\": %s, \"casemanager_contacts\": %u, \"buddy_contacts\": %u, "
               "\"selfhelp\": %u, \"absent\": %s}",
               cd->checkin ? "true" : "false", cd->checkin_missed ? "true" : "false",
               cd->test_taken ? "true" : "false", test_missed_shown(p, cd) ? "true" : "false",
               cd->cm_contacts, cd->buddy_contacts, cd->selfhelp, cd->absent ? "true" : "false");
    }
    printf("]}\n");
}

int vn_cmd_calendar(vn_client *c, const vn_args *a)
{
    const char *month = vn_args_get(a, "--month");
    if (month && !vn_calview_month_ok(month))
        return vn_args_invalid(c, a, "--month wants YYYY-MM, not %s", month);
    char role[32] = "";
    size_t n = 0;
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
    role[n] = '\0';
    if (strcmp(role, "participant") != 0)
        return vn_client_fail(c, VN_EDENIED,
                              "calendar is the participant's own view; a casemanager reads a "
                              "case's month with vangnet caseload --calendar or vangnet report");
    pcal *p = calloc(1, sizeof *p);
    if (!p) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    for (size_t k = 0; k < NMIN; k++)
        p->last[k] = INT32_MIN;
    /* The server's clock says what today is (a test clock included). */
    Vn__Reply *who = NULL;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_IDENTITY, "cannot find your case", &who);
    if (!rc && !vn_account_valid(who->identity->case_id))
        rc = vn_client_fail(c, VN_ENOTFOUND, "you are not in a case");
    if (!rc) {
        snprintf(p->case_id, sizeof p->case_id, "%s", who->identity->case_id);
        p->today = vn_day_local(who->identity->server_time_ms, &p->minute);
        char d[11];
        vn_day_format(p->today, d);
        snprintf(p->month, sizeof p->month, "%.7s", month ? month : d);
        fetch_terms(c, p);
        rc = gather(c, p);
    }
    vn_frame_reply_free(who);
    if (!rc) {
        vn_due due[VN_DUE_MAX];
        size_t ndue = 0;
        char instr[512] = "", line[512];
        if (p->has_terms)
            ndue = vn_schedule_due(&p->terms, p->ev, p->nev, p->abs, p->nabs, p->today, p->minute,
                                   due, VN_DUE_MAX);
        if (ndue > VN_DUE_MAX) ndue = VN_DUE_MAX;
        /* "Test today at SITE..." without its first two words. */
        if (vn_instructions_test_day_line(c, p->case_id, line, sizeof line))
            snprintf(instr, sizeof instr, "%s", line + strlen("Test today "));
        size_t il = strlen(instr);
        if (il && instr[il - 1] == '.') instr[il - 1] = '\0';
        if (c->json)
            print_json(p, due, ndue, instr);
        else
            print_text(c, p, due, ndue, instr);
    }
    vn_frame_reply_free(p->cal);
    free(p->ev);
    free(p);
    return rc;
}
