/* The terms of a monitoring contract: defaults, validation, the contract
 * month of a day and its test rate, and the wire form of the terms. */
#include "vn/terms.h"

#include <stdlib.h>
#include <string.h>

#include "vn/day.h"

void vn_terms_default(vn_terms *t, int32_t start_day)
{
    memset(t, 0, sizeof *t);
    t->start_day = start_day;
    t->months = 60;
    t->nphases = 3;
    t->phases[0] = (vn_phase){1, 12, 4};
    t->phases[1] = (vn_phase){13, 24, 2};
    t->phases[2] = (vn_phase){25, 60, 1};
    t->cm_contact_days = 30;
    t->buddy_contact_days = 7;
    t->selfhelp_days = 7;
    t->checkin_start_min = 5 * 60;
    t->checkin_end_min = 14 * 60;
    t->absence_max_days = 14;
    t->remind_days = 2;
}

/* Requiring the phases in ascending order makes "no overlap, no gap,
 * covers 1..months" a single linear check, and lets a reader of the
 * contract see its phases in time order. */
static bool phases_valid(const vn_terms *t)
{
    if (t->nphases == 0 || t->nphases > VN_PHASES_MAX) return false;
    unsigned next = 1;
    for (unsigned i = 0; i < t->nphases; i++) {
        const vn_phase *p = &t->phases[i];
        if (p->from_month != next || p->to_month < p->from_month || p->tests_per_month > 31)
            return false;
        next = (unsigned)p->to_month + 1;
    }
    return next == (unsigned)t->months + 1;
}

vn_err vn_terms_validate(const vn_terms *t)
{
    if (t == NULL) return VN_EINVAL;
    /* The range keeps every date computation far from int32 overflow and
     * rules out contracts that can only be typing errors. */
    if (t->start_day < 0 || t->start_day > vn_day_from_civil(9989, 12, 31)) return VN_EINVAL;
    if (t->months == 0 || t->months > VN_MONTHS_MAX || !phases_valid(t)) return VN_EINVAL;
    if (t->cm_contact_days == 0 || t->buddy_contact_days == 0 || t->selfhelp_days == 0)
        return VN_EINVAL;
    if (t->checkin_start_min >= t->checkin_end_min || t->checkin_end_min > 24 * 60)
        return VN_EINVAL;
    if (t->absence_max_days > 366) return VN_EINVAL;
    return VN_OK;
}

int32_t vn_terms_month_start(const vn_terms *t, int k)
{
    return vn_day_add_months(t->start_day, k - 1);
}

int32_t vn_terms_end_day(const vn_terms *t)
{
    return vn_day_add_months(t->start_day, t->months) - 1;
}

int vn_terms_month_of(const vn_terms *t, int32_t day)
{
    if (day < t->start_day) return 0;
    int sy, sm, sd, y, m, d;
    vn_day_to_civil(t->start_day, &sy, &sm, &sd);
    vn_day_to_civil(day, &y, &m, &d);
    /* add_months(start, n) lands in the same calendar month as day, so day
     * is in contract month n+1 if it is on or after that date, else in n. */
    long n = ((long)y - sy) * 12 + (m - sm);
    long k = day >= vn_day_add_months(t->start_day, (int)n) ? n + 1 : n;
    return k > t->months ? t->months + 1 : (int)k;
}

bool vn_terms_active(const vn_terms *t, int32_t day)
{
    int k = vn_terms_month_of(t, day);
    return k >= 1 && k <= t->months;
}

static uint16_t rate_of_month(const vn_terms *t, int k)
{
    for (unsigned i = 0; i < t->nphases && i < VN_PHASES_MAX; i++)
        if (k >= t->phases[i].from_month && k <= t->phases[i].to_month)
            return t->phases[i].tests_per_month;
    return 0;
}

uint16_t vn_terms_rate(const vn_terms *t, int32_t day)
{
    int k = vn_terms_month_of(t, day);
    return k >= 1 && k <= t->months ? rate_of_month(t, k) : 0;
}

/* The rate and length of the contract month of day; false outside. */
bool vn_terms_month_rate(const vn_terms *t, int32_t day, uint16_t *rate, int32_t *len)
{
    int k = vn_terms_month_of(t, day);
    if (k < 1 || k > t->months) return false;
    *rate = rate_of_month(t, k);
    *len = vn_terms_month_start(t, k + 1) - vn_terms_month_start(t, k);
    return true;
}

double vn_terms_draw_p(const vn_terms *t, int32_t day)
{
    uint16_t rate;
    int32_t len;
    if (!vn_terms_month_rate(t, day, &rate, &len)) return 0.0;
    return rate >= len ? 1.0 : (double)rate / (double)len;
}

int vn_terms_year_of(const vn_terms *t, int32_t day)
{
    int k = vn_terms_month_of(t, day);
    return k >= 1 && k <= t->months ? (k - 1) / 12 + 1 : 0;
}

vn_err vn_terms_from_pb(const Vn__Contract *c, vn_terms *t)
{
    int32_t start;
    if (vn_day_parse(c->start_date, &start)) return VN_EINVAL;
    if (c->n_phases == 0 || c->n_phases > VN_PHASES_MAX) return VN_EINVAL;
    memset(t, 0, sizeof *t);
    t->start_day = start;
    t->months = (uint16_t)(c->months > 600 ? 0 : c->months);
    t->nphases = (uint8_t)c->n_phases;
    for (size_t i = 0; i < c->n_phases; i++) {
        if (c->phases[i]->from_month > 600 || c->phases[i]->to_month > 600 ||
            c->phases[i]->tests_per_month > 31)
            return VN_EINVAL;
        t->phases[i].from_month = (uint16_t)c->phases[i]->from_month;
        t->phases[i].to_month = (uint16_t)c->phases[i]->to_month;
        t->phases[i].tests_per_month = (uint16_t)c->phases[i]->tests_per_month;
    }
    if (c->cm_contact_days > 366 || c->buddy_contact_days > 366 || c->selfhelp_days > 366 ||
        c->checkin_start_min > 1440 || c->checkin_end_min > 1440 || c->absence_max_days > 366 ||
        c->remind_days > 60)
        return VN_EINVAL;
    t->cm_contact_days = (uint16_t)c->cm_contact_days;
    t->buddy_contact_days = (uint16_t)c->buddy_contact_days;
    t->selfhelp_days = (uint16_t)c->selfhelp_days;
    t->checkin_start_min = (uint16_t)c->checkin_start_min;
    t->checkin_end_min = (uint16_t)c->checkin_end_min;
    t->absence_max_days = (uint16_t)c->absence_max_days;
    t->remind_days = (uint16_t)c->remind_days;
    return vn_terms_validate(t);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

vn_err vn_terms_to_pb(const vn_terms *t, const char *case_hex, const char *tz, Vn__Contract **out)
{
    char date[11];
    Vn__Contract *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    vn__contract__init(c);
    *out = c;
    vn_day_format(t->start_day, date);
    c->case_id = dup_str(case_hex);
    c->start_date = dup_str(date);
    c->time_zone = dup_str(tz);
    if (!c->case_id || !c->start_date || !c->time_zone) return VN_ENOMEM;
    c->months = t->months;
    c->phases = calloc(t->nphases ? t->nphases : 1, sizeof *c->phases);
    if (!c->phases) return VN_ENOMEM;
    for (size_t i = 0; i < t->nphases; i++) {
        Vn__Phase *p = malloc(sizeof *p);
        if (!p) return VN_ENOMEM;
        vn__phase__init(p);
        p->from_month = t->phases[i].from_month;
        p->to_month = t->phases[i].to_month;
        p->tests_per_month = t->phases[i].tests_per_month;
        c->phases[c->n_phases++] = p;
    }
    c->cm_contact_days = t->cm_contact_days;
    c->buddy_contact_days = t->buddy_contact_days;
    c->selfhelp_days = t->selfhelp_days;
    c->checkin_start_min = t->checkin_start_min;
    c->checkin_end_min = t->checkin_end_min;
    c->absence_max_days = t->absence_max_days;
    c->remind_days = t->remind_days;
    return VN_OK;
}
