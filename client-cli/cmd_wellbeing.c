/* wellbeing: the private wellbeing check. The questions, the answers, the
 * chart and the reading all stay on this device; the server sees nothing
 * of it, not even that a check was made. Only `wellbeing share` sends
 * anything: a summary, end to end, as an ordinary message. */
#include "args.h"
#include "wellbeing.h"

#include "vn/day.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_MS       86400000ULL
#define MONTH_DAYS   30
#define CHART_CHECKS 30 /* checks one chart shows, at most (2 columns each, 80 wide) */

static const char *const scale_words[VN_WB_SCALE_MAX + 1] = {"not at all", "sometimes", "often",
                                                             "(almost) always"};
static const char scale_marks[VN_WB_SCALE_MAX + 2] = ".-+#";

/* The answers from the terminal, one question at a time. */
static int ask(vn_client *c, uint8_t answers[VN_WB_ITEMS])
{
    char line[64];
    fprintf(stderr, "Over the last weeks... (0 %s, 1 %s, 2 %s, 3 %s)\n", scale_words[0],
            scale_words[1], scale_words[2], scale_words[3]);
    for (size_t i = 0; i < VN_WB_ITEMS; i++) {
        for (;;) {
            fprintf(stderr, "%2zu/%d %s [0-3]: ", i + 1, VN_WB_ITEMS, vn_wellbeing_item_at(i)->en);
            if (!fgets(line, sizeof line, stdin))
                return vn_client_fail(c, VN_EINVAL, "no answer to question %zu; nothing stored",
                                      i + 1);
            if (line[0] >= '0' && line[0] <= '0' + VN_WB_SCALE_MAX &&
                (line[1] == '\n' || line[1] == '\0')) {
                answers[i] = (uint8_t)(line[0] - '0');
                break;
            }
            fprintf(stderr, "please answer with one number from 0 to %d\n", VN_WB_SCALE_MAX);
        }
    }
    return EXIT_OK;
}

/* The names of the items answered VN_WB_PRESENT or more, of one kind. */
static void present_list(const uint8_t a[VN_WB_ITEMS], vn_wellbeing_kind kind, char *out,
                         size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < VN_WB_ITEMS && o < size; i++) {
        const vn_wellbeing_item *it = vn_wellbeing_item_at(i);
        if (it->kind != kind || a[i] < VN_WB_PRESENT) continue;
        int w = snprintf(out + o, size - o, "%s%s", o ? ", " : "", it->key);
        if (w < 0) break;
        o += (size_t)w;
    }
}

static void help_lines(void)
{
    printf("Ways to get help, in your own words and at your own pace:\n"
           "  - your buddy, or your casemanager: vangnet wellbeing share --to WHO\n"
           "    sends them a summary of your checks, end to end (--to casemanager finds yours)\n"
           "  - your own GP (huisarts), rather than treating yourself\n"
           "  - the programme's intake staff: anonymous and without giving your name, with the\n"
           "    first-contact code the programme publishes (vangnet join CODE in a new profile)\n");
    vn_client_crisis_contacts();
}

/* Whether the series (oldest first) points towards burnout; since gets
 * the day its current run of overstrained checks began ("" if none). */
static bool series_burnout(const vn_wellbeing_check *all, size_t n, bool exhausted, char since[11])
{
    int32_t *days = calloc(n ? n : 1, sizeof *days);
    bool *over = calloc(n ? n : 1, sizeof *over), burnout = false;
    since[0] = '\0';
    if (days && over && n > 0) {
        for (size_t i = 0; i < n; i++) {
            vn_wellbeing_score si;
            vn_wellbeing_score_of(all[i].answers, &si);
            days[i] = all[i].day;
            over[i] = si.overstrain;
        }
        burnout = vn_wellbeing_burnout(days, over, n, exhausted);
        int32_t start = vn_wellbeing_run_start(days, over, n);
        if (start >= 0) vn_day_format(start, since);
    }
    free(days);
    free(over);
    return burnout;
}

/* What the last check of the series says, in words. */
static void reading(const vn_wellbeing_check *last, const vn_wellbeing_score *s, bool burnout,
                    const char *since)
{
    char list[256];
    present_list(last->answers, VN_WB_COMPLAINT, list, sizeof list);
    printf("Total %u of %d. Complaints often or more: %u of 8%s%s%s.\n", s->total,
           VN_WB_ITEMS * VN_WB_SCALE_MAX, s->complaints, list[0] ? " (" : "", list,
           list[0] ? ")" : "");
    if (!s->overstrain) {
        printf("Fewer than %d of the complaints of overstrain: this check shows no overstrain.\n",
               VN_WB_OVERSTRAIN_COMPLAINTS);
        return;
    }
    printf("\nYour answers match the description of overstrain (overspanning): %u of its\n"
           "complaints, where the guideline counts three or more. This is not a diagnosis:\n"
           "the guideline also asks whether you feel you are losing control and whether\n"
           "your work or social life is clearly limited\n(%s).\n"
           "It is a good moment to stop, and to talk to someone.\n",
           s->complaints,
           s->criteria ? "you answered that both are so" : "you did not answer both as so");
    if (burnout)
        printf("\nThese complaints have been there in every check since %s, longer\n"
               "than six months, and tiredness is in the foreground: together that\n"
               "points towards burnout as the guideline describes it. Please do not wait.\n",
               since);
    printf("\n");
    help_lines();
}

static void print_json_check(const vn_wellbeing_check *chk, const vn_wellbeing_score *s,
                             bool burnout)
{
    char date[11];
    vn_day_format(chk->day, date);
    printf("{\"date\": \"%s\", \"total\": %u, \"complaints\": %u, \"overstrain\": %s, "
           "\"burnout\": %s, \"answers\": {",
           date, s->total, s->complaints, s->overstrain ? "true" : "false",
           burnout ? "true" : "false");
    for (size_t i = 0; i < VN_WB_ITEMS; i++)
        printf("%s\"%s\": %u", i ? ", " : "", vn_wellbeing_item_at(i)->key, chk->answers[i]);
    printf("}}");
}

int vn_cmd_wellbeing(vn_client *c, const vn_args *a)
{
    const char *every = vn_args_get(a, "--every"), *text = vn_args_get(a, "--answers");
    vn_wellbeing_check chk = {0}, *all = NULL;
    vn_wellbeing_score s;
    char msg[160], since[11], date[11];
    size_t n = 0;
    int32_t days = 0;
    bool burnout = false;
    int rc;
    if (every && vn_wellbeing_interval_parse(every, &days))
        return vn_args_invalid(c, a,
                               "--every %s is not an interval such as 2w, 10d or 1m "
                               "(1 day to a year)",
                               every);
    if (text && vn_wellbeing_parse(text, chk.answers, msg, sizeof msg))
        return vn_args_invalid(c, a, "--answers: %s", msg);
    if (every) {
        vn_err err = vn_wellbeing_set_every(c, days);
        if (err) return vn_client_fail(c, err, "cannot store the interval: %s", vn_err_str(err));
        if (!text && !c->json) printf("A wellbeing check every %d days.\n", days);
        if (!text) {
            if (c->json) printf("{\"every_days\": %d}\n", days);
            return EXIT_OK;
        }
    }
    if (!text) {
        if (!isatty(STDIN_FILENO))
            return vn_args_usage(c, a, "no answers: give --answers or run it on a terminal");
        if ((rc = ask(c, chk.answers))) return rc;
    }
    if (vn_wellbeing_now(&chk.ms)) return vn_client_fail(c, VN_EINVAL, "no usable clock");
    chk.day = vn_day_local(chk.ms, NULL);
    vn_err err = vn_wellbeing_store(c, &chk);
    if (err) return vn_client_fail(c, err, "cannot store the check: %s", vn_err_str(err));
    /* The series up to this check, for how long complaints have lasted. */
    if ((err = vn_wellbeing_load(c, 0, &all, &n)) || n == 0)
        return vn_client_fail(c, err ? err : VN_EIO, "cannot read the checks back");
    /* Checks dated after this one (a clock set back) are not its past. */
    while (n > 1 && all[n - 1].ms > chk.ms)
        n--;
    vn_wellbeing_score_of(chk.answers, &s);
    burnout = series_burnout(all, n, s.exhausted, since);
    if (c->json) {
        print_json_check(&chk, &s, burnout);
        printf("\n");
    } else {
        vn_day_format(chk.day, date);
        printf("Wellbeing check of %s stored on this device only.\n", date);
        reading(&chk, &s, burnout, since);
    }
    free(all);
    return EXIT_OK;
}

int vn_cmd_wellbeing_due(vn_client *c, const vn_args *a)
{
    vn_wellbeing_check *all = NULL;
    size_t n = 0;
    uint64_t now;
    char last[11] = "", next[11] = "";
    (void)a;
    if (vn_wellbeing_now(&now)) return vn_client_fail(c, VN_EINVAL, "no usable clock");
    vn_err err = vn_wellbeing_load(c, 0, &all, &n);
    if (err) return vn_client_fail(c, err, "cannot read the checks: %s", vn_err_str(err));
    int32_t every = vn_wellbeing_every(c), today = vn_day_local(now, NULL);
    bool due = n == 0;
    if (n > 0) {
        vn_day_format(all[n - 1].day, last);
        vn_day_format(all[n - 1].day + every, next);
        due = today >= all[n - 1].day + every;
    }
    free(all);
    if (c->json) {
        printf("{\"due\": %s, \"every_days\": %d, \"last\": ", due ? "true" : "false", every);
        if (n > 0)
            printf("\"%s\", \"next\": \"%s\"}\n", last, next);
        else
            printf("null, \"next\": null}\n");
    } else if (n == 0) {
        printf("A wellbeing check is due: none was made yet (one every %d days).\n", every);
    } else if (due) {
        printf("A wellbeing check is due: the last was on %s (one every %d days).\n", last, every);
    } else {
        printf("Not due yet: the next wellbeing check is on %s (the last was on %s, one every %d "
               "days).\n",
               next, last, every);
    }
    return EXIT_OK;
}

/* The months from vn_args (--months, 1 to 60, default 6). */
static int months_opt(vn_client *c, const vn_args *a, int *months)
{
    const char *m = vn_args_get(a, "--months");
    char *end;
    *months = 6;
    if (!m) return EXIT_OK;
    long v = strtol(m, &end, 10);
    if (*end || end == m || v < 1 || v > 60)
        return vn_args_invalid(c, a, "--months %s is not a number from 1 to 60", m);
    *months = (int)v;
    return EXIT_OK;
}

static const char *const month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

#define LABEL_W 9 /* the label column of the chart */

/* The month names above the columns of checks chk[0..n). */
static void month_row(const vn_wellbeing_check *chk, size_t n)
{
    char row[LABEL_W + 2 * CHART_CHECKS + 4];
    int prev = -1, y, m, d;
    size_t end = LABEL_W;
    memset(row, ' ', sizeof row);
    for (size_t j = 0; j < n; j++) {
        vn_day_to_civil(chk[j].day, &y, &m, &d);
        size_t col = LABEL_W + 2 * j;
        if (m != prev && col >= end && col + 3 < sizeof row) {
            memcpy(row + col, month_abbr[m - 1], 3);
            end = col + 4;
        }
        prev = m;
    }
    row[end < sizeof row ? end : sizeof row - 1] = '\0';
    printf("%s\n", row);
}

static void print_chart(const vn_wellbeing_check *chk, size_t n)
{
    month_row(chk, n);
    for (size_t i = 0; i < VN_WB_ITEMS; i++) {
        printf("%-*s", LABEL_W, vn_wellbeing_item_at(i)->key);
        for (size_t j = 0; j < n; j++)
            printf("%c%s", scale_marks[chk[j].answers[i]], j + 1 < n ? " " : "");
        printf("\n");
    }
    printf("%-*s", LABEL_W, "overstr");
    for (size_t j = 0; j < n; j++) {
        vn_wellbeing_score s;
        vn_wellbeing_score_of(chk[j].answers, &s);
        printf("%c%s", s.overstrain ? '!' : ' ', j + 1 < n ? " " : "");
    }
    printf("\n\ntotal (0-%d) and complaints often or more (0-8), per check:\n",
           VN_WB_ITEMS * VN_WB_SCALE_MAX);
    for (size_t j = 0; j < n; j++) {
        vn_wellbeing_score s;
        char date[11], bar[VN_WB_ITEMS * VN_WB_SCALE_MAX + 1];
        vn_wellbeing_score_of(chk[j].answers, &s);
        vn_day_format(chk[j].day, date);
        memset(bar, '#', s.total);
        bar[s.total] = '\0';
        printf("%s %2u %-*s %u%s\n", date, s.total, VN_WB_ITEMS * VN_WB_SCALE_MAX, bar,
               s.complaints, s.overstrain ? " overstrain" : "");
    }
}

int vn_cmd_wellbeing_trend(vn_client *c, const vn_args *a)
{
    vn_wellbeing_check *all = NULL;
    size_t n = 0;
    uint64_t now;
    int months, rc;
    char from[11], to[11];
    if ((rc = months_opt(c, a, &months))) return rc;
    if (vn_wellbeing_now(&now)) return vn_client_fail(c, VN_EINVAL, "no usable clock");
    uint64_t span = (uint64_t)months * MONTH_DAYS * DAY_MS;
    vn_err err = vn_wellbeing_load(c, now > span ? now - span : 0, &all, &n);
    if (err) return vn_client_fail(c, err, "cannot read the checks: %s", vn_err_str(err));
    if (c->json) {
        printf("[");
        for (size_t j = 0; j < n; j++) {
            vn_wellbeing_score s;
            char since[11];
            vn_wellbeing_score_of(all[j].answers, &s);
            printf("%s", j ? ", " : "");
            print_json_check(&all[j], &s, series_burnout(all, j + 1, s.exhausted, since));
        }
        printf("]\n");
    } else if (n == 0) {
        printf("No wellbeing checks in the last %d months.\n", months);
    } else {
        size_t skip = n > CHART_CHECKS ? n - CHART_CHECKS : 0;
        vn_day_format(all[0].day, from);
        vn_day_format(all[n - 1].day, to);
        printf("Wellbeing checks from %s to %s: %zu", from, to, n);
        if (skip) printf(" (the chart shows the last %d)", CHART_CHECKS);
        printf("\nanswers: %c not at all  %c sometimes  %c often  %c (almost) always; "
               "! overstrain\n\n",
               scale_marks[0], scale_marks[1], scale_marks[2], scale_marks[3]);
        print_chart(all + skip, n - skip);
    }
    free(all);
    return EXIT_OK;
}

#define SUMMARY_MAX 2048

/* The summary a share sends: the last check and the totals before it. */
static void summary(const vn_wellbeing_check *all, size_t n, char *out, size_t size)
{
    vn_wellbeing_score s;
    char date[11], since[11], list[256];
    const vn_wellbeing_check *last = &all[n - 1];
    vn_wellbeing_score_of(last->answers, &s);
    bool burnout = series_burnout(all, n, s.exhausted, since);
    present_list(last->answers, VN_WB_COMPLAINT, list, sizeof list);
    vn_day_format(last->day, date);
    size_t o = (size_t)snprintf(
        out, size,
        "My wellbeing check (shared from my own device). Last check %s: total %u of %d, %u "
        "complaints often or more%s%s%s. %s%s%s\nTotals per check:",
        date, s.total, VN_WB_ITEMS * VN_WB_SCALE_MAX, s.complaints, list[0] ? " (" : "", list,
        list[0] ? ")" : "",
        s.overstrain ? "This matches the description of overstrain (three or more complaints)."
                     : "No overstrain in this check.",
        burnout ? " The complaints have lasted since " : "", burnout ? since : "");
    for (size_t j = 0; j < n && o < size; j++) {
        vn_wellbeing_score sj;
        vn_wellbeing_score_of(all[j].answers, &sj);
        vn_day_format(all[j].day, date);
        int w = snprintf(out + o, size - o, " %s %u%s", date, sj.total, j + 1 < n ? "," : ".");
        if (w < 0) break;
        o += (size_t)w;
    }
}

int vn_cmd_wellbeing_share(vn_client *c, const vn_args *a)
{
    const char *who = vn_args_get(a, "--to");
    char cm[VN_ACCOUNT_HEX + 1], case_id[VN_ACCOUNT_HEX + 1], msg[512];
    char *text = NULL;
    vn_wellbeing_check *all = NULL;
    size_t n = 0;
    uint64_t now;
    int months, rc;
    vn_args sa = {0};
    if ((rc = months_opt(c, a, &months))) return rc;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (vn_wellbeing_now(&now)) return vn_client_fail(c, VN_EINVAL, "no usable clock");
    uint64_t span = (uint64_t)months * MONTH_DAYS * DAY_MS;
    vn_err err = vn_wellbeing_load(c, now > span ? now - span : 0, &all, &n);
    if (err) return vn_client_fail(c, err, "cannot read the checks: %s", vn_err_str(err));
    if (n == 0) {
        free(all);
        return vn_client_fail(c, VN_ENOTFOUND,
                              "no wellbeing check in the last %d months: nothing to share", months);
    }
    if (!(text = malloc(SUMMARY_MAX))) {
        free(all);
        return vn_client_fail(c, VN_ENOMEM, "out of memory");
    }
    summary(all, n, text, SUMMARY_MAX);
    free(all);
    /* "casemanager" is one's own; anyone else by name or id, as send takes them. */
    if (strcmp(who, "casemanager") == 0) {
        if ((rc = vn_client_own_case(c, case_id, cm))) goto out;
        who = cm;
    }
    /* Sent exactly as `vangnet send WHO TEXT`: end to end, through the
     * outbox, under the messaging policy. */
    char *argv[] = {(char *)who, text, NULL};
    err = vn_args_parse(&sa, vn_commands_find("send", NULL), 2, argv, msg, sizeof msg);
    if (err) {
        rc = vn_client_fail(c, err, "cannot prepare the message: %s", msg);
        goto out;
    }
    bool json = c->json;
    c->json = false; /* send's own line is not this command's output */
    rc = vn_cmd_send(c, &sa);
    c->json = json;
    if (rc == EXIT_OK) {
        if (c->json)
            printf("{\"shared\": true, \"to\": \"%s\"}\n", who);
        else
            printf("Shared a summary of your wellbeing checks with %s, end to end.\n", who);
    }
out:
    vn_args_free(&sa);
    free(text);
    return rc;
}
