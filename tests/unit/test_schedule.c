/* Unit tests of the contract schedule maths: civil dates, contract months,
 * phases and rates, the draw (exact thresholds and its statistics over a
 * whole contract), absences and what is due, overdue or to be reminded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/schedule.h"
#include "vn/day.h"

/* A deterministic PRNG for the statistical tests (Marsaglia's xorshift32):
 * the draw itself takes its randomness from the caller, so the tests can
 * replay the exact same sequence on every run. */
static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* The test keeps clear of libm, which the unit test targets do not link. */
static double dabs(double x)
{
    return x < 0 ? -x : x;
}

static double dsqrt(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 64; i++)
        r = 0.5 * (r + x / r);
    return r;
}

static int32_t ymd(int y, int m, int d)
{
    return vn_day_from_civil(y, m, d);
}

/* The item of kind k in items[0..n), or NULL. */
static const vn_due *find(const vn_due *items, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].kind == kind) return &items[i];
    return NULL;
}

static void test_civil_known(void **state)
{
    assert_int_equal(ymd(1970, 1, 1), 0);
    assert_int_equal(ymd(2000, 1, 1), 10957);
    assert_int_equal(ymd(2000, 3, 1), 11017);
    assert_int_equal(ymd(2024, 2, 29), 19782);
    assert_int_equal(ymd(2038, 1, 19), 24855);
    assert_int_equal(ymd(1969, 12, 31), -1);
    assert_int_equal(ymd(2100, 3, 1) - ymd(2100, 2, 28), 1);
    assert_int_equal(ymd(2000, 3, 1) - ymd(2000, 2, 28), 2);
    assert_int_equal(vn_day_month_len(2100, 2), 28);
    assert_int_equal(vn_day_month_len(2000, 2), 29);
    assert_int_equal(vn_day_month_len(2024, 2), 29);
    assert_int_equal(vn_day_month_len(2023, 2), 28);
    assert_int_equal(vn_day_month_len(2023, 4), 30);
    assert_int_equal(vn_day_month_len(2023, 12), 31);
}

/* Every day of 1970..2100 converts to a date and back, and consecutive
 * days are consecutive dates. */
static void test_civil_round_trip(void **state)
{
    int py = 1969, pm = 12, pd = 31;
    for (int32_t day = 0; day <= ymd(2100, 12, 31); day++) {
        int y, m, d;
        vn_day_to_civil(day, &y, &m, &d);
        assert_int_equal(vn_day_from_civil(y, m, d), day);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= vn_day_month_len(y, m));
        if (d == 1) {
            assert_int_equal(pd, vn_day_month_len(py, pm));
            assert_int_equal(y * 12 + m, py * 12 + pm + 1);
        } else {
            assert_int_equal(y, py);
            assert_int_equal(m, pm);
            assert_int_equal(d, pd + 1);
        }
        py = y, pm = m, pd = d;
    }
    assert_int_equal(py, 2100);
    assert_int_equal(pm, 12);
    assert_int_equal(pd, 31);
}

static void test_add_months(void **state)
{
    assert_int_equal(vn_day_add_months(ymd(2023, 1, 31), 1), ymd(2023, 2, 28));
    assert_int_equal(vn_day_add_months(ymd(2024, 1, 31), 1), ymd(2024, 2, 29));
    assert_int_equal(vn_day_add_months(ymd(2024, 1, 31), 2), ymd(2024, 3, 31));
    assert_int_equal(vn_day_add_months(ymd(2024, 3, 31), 1), ymd(2024, 4, 30));
    assert_int_equal(vn_day_add_months(ymd(2024, 3, 31), -1), ymd(2024, 2, 29));
    assert_int_equal(vn_day_add_months(ymd(2023, 12, 15), 1), ymd(2024, 1, 15));
    assert_int_equal(vn_day_add_months(ymd(2024, 1, 15), -1), ymd(2023, 12, 15));
    assert_int_equal(vn_day_add_months(ymd(2024, 2, 29), 12), ymd(2025, 2, 28));
    assert_int_equal(vn_day_add_months(ymd(2024, 2, 29), 48), ymd(2028, 2, 29));
    assert_int_equal(vn_day_add_months(ymd(2024, 5, 10), 0), ymd(2024, 5, 10));
    assert_int_equal(vn_day_add_months(ymd(1970, 1, 1), -1), ymd(1969, 12, 1));
    assert_int_equal(vn_day_add_months(ymd(2024, 5, 10), -25), ymd(2022, 4, 10));
    assert_int_equal(vn_day_add_months(ymd(2024, 5, 10), 60), ymd(2029, 5, 10));
}

/* Month boundaries of 60-month contracts, including starts on the 29th to
 * 31st where add_months clamps, checked against a day-by-day walk. */
static void test_month_of(void **state)
{
    const int32_t starts[] = {ymd(2024, 3, 15), ymd(2024, 1, 31), ymd(2023, 8, 29), ymd(2025, 1, 1),
                              ymd(2027, 12, 31)};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        vn_terms t;
        vn_terms_default(&t, starts[i]);
        int32_t end = vn_terms_end_day(&t);
        assert_int_equal(end, vn_day_add_months(starts[i], 60) - 1);
        assert_int_equal(vn_terms_month_of(&t, starts[i]), 1);
        assert_int_equal(vn_terms_month_of(&t, starts[i] - 1), 0);
        assert_int_equal(vn_terms_month_of(&t, end), 60);
        assert_int_equal(vn_terms_month_of(&t, end + 1), 61);
        assert_int_equal(vn_terms_month_of(&t, end + 400), 61);
        assert_false(vn_terms_active(&t, starts[i] - 1));
        assert_true(vn_terms_active(&t, starts[i]));
        assert_true(vn_terms_active(&t, end));
        assert_false(vn_terms_active(&t, end + 1));
        int k = 1;
        for (int32_t d = starts[i]; d <= end; d++) {
            if (d == vn_day_add_months(starts[i], k)) k++;
            assert_int_equal(vn_terms_month_of(&t, d), k);
        }
        assert_int_equal(k, 60);
        for (int m = 1; m <= 61; m++)
            assert_int_equal(vn_terms_month_of(&t, vn_terms_month_start(&t, m)), m);
    }
    /* Start Jan 31: month 1 ends Feb 28 2023 - 1 = Feb 27. */
    vn_terms t;
    vn_terms_default(&t, ymd(2023, 1, 31));
    assert_int_equal(vn_terms_month_of(&t, ymd(2023, 2, 27)), 1);
    assert_int_equal(vn_terms_month_of(&t, ymd(2023, 2, 28)), 2);
    assert_int_equal(vn_terms_month_of(&t, ymd(2023, 3, 30)), 2);
    assert_int_equal(vn_terms_month_of(&t, ymd(2023, 3, 31)), 3);
}

static void test_rates(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    assert_int_equal(vn_terms_rate(&t, t.start_day - 1), 0);
    const int months[] = {1, 12, 13, 24, 25, 60};
    const int want[] = {4, 4, 2, 2, 1, 1};
    for (int i = 0; i < 6; i++) {
        int32_t first = vn_terms_month_start(&t, months[i]);
        int32_t last = vn_terms_month_start(&t, months[i] + 1) - 1;
        assert_int_equal(vn_terms_rate(&t, first), want[i]);
        assert_int_equal(vn_terms_rate(&t, last), want[i]);
    }
    assert_int_equal(vn_terms_rate(&t, vn_terms_end_day(&t) + 1), 0);
    assert_true(vn_terms_draw_p(&t, t.start_day - 1) == 0.0);
    assert_true(vn_terms_draw_p(&t, vn_terms_end_day(&t) + 1) == 0.0);
}

/* Summed over the days of a contract month, p is the month's rate. */
static void test_draw_p_sums(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 1, 31));
    for (int k = 1; k <= 60; k++) {
        double sum = 0;
        int32_t first = vn_terms_month_start(&t, k), next = vn_terms_month_start(&t, k + 1);
        for (int32_t d = first; d < next; d++) {
            double p = vn_terms_draw_p(&t, d);
            assert_true(p > 0 && p < 1);
            sum += p;
        }
        assert_true(dabs(sum - vn_terms_rate(&t, first)) < 1e-9);
    }
    /* A rate above the month length never gives p > 1. */
    vn_terms_default(&t, ymd(2023, 2, 1));
    t.phases[0].tests_per_month = 31;
    assert_true(vn_terms_draw_p(&t, ymd(2023, 2, 10)) == 1.0);
    assert_true(vn_terms_draw_p(&t, ymd(2023, 3, 10)) == 1.0);
}

static void test_draw_thresholds(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t end = vn_terms_end_day(&t);
    for (int32_t d = t.start_day; d <= end; d++) {
        assert_true(vn_schedule_draw(&t, NULL, 0, d, 0));
        assert_false(vn_schedule_draw(&t, NULL, 0, d, UINT32_MAX));
    }
    assert_false(vn_schedule_draw(&t, NULL, 0, t.start_day - 1, 0));
    assert_false(vn_schedule_draw(&t, NULL, 0, end + 1, 0));
    vn_absence away = {ymd(2024, 7, 1), ymd(2024, 7, 10)};
    for (int32_t d = away.from_day; d <= away.to_day; d++)
        assert_false(vn_schedule_draw(&t, &away, 1, d, 0));
    assert_true(vn_schedule_draw(&t, &away, 1, away.from_day - 1, 0));
    assert_true(vn_schedule_draw(&t, &away, 1, away.to_day + 1, 0));

    /* Month 1 (Mar 15 - Apr 14) has 31 days and rate 4: the threshold is
     * floor(4 * 2^32 / 31) = 554189328. */
    uint32_t thr = (uint32_t)((4ULL << 32) / 31);
    assert_int_equal(thr, 554189328u);
    assert_true(vn_schedule_draw(&t, NULL, 0, t.start_day, thr - 1));
    assert_false(vn_schedule_draw(&t, NULL, 0, t.start_day, thr));

    /* p = 1 passes every r; rate 0 passes none. */
    vn_terms_default(&t, ymd(2023, 2, 1));
    t.phases[0].tests_per_month = 31;
    t.phases[1].tests_per_month = 0;
    assert_true(vn_schedule_draw(&t, NULL, 0, ymd(2023, 2, 5), UINT32_MAX));
    assert_false(vn_schedule_draw(&t, NULL, 0, ymd(2024, 2, 5), 0));
}

/* Counts test days of one simulated contract per phase; returns the
 * expected count and its variance in mean[] and var[]. */
static void simulate(const vn_terms *t, uint32_t *seed, long count[3], double mean[3],
                     double var[3])
{
    for (int32_t d = t->start_day; d <= vn_terms_end_day(t); d++) {
        int m = vn_terms_month_of(t, d);
        int ph = m <= 12 ? 0 : m <= 24 ? 1 : 2;
        double p = vn_terms_draw_p(t, d);
        mean[ph] += p;
        var[ph] += p * (1 - p);
        count[ph] += vn_schedule_draw(t, NULL, 0, d, xorshift32(seed));
    }
}

/* The number of test days per phase lies within 4 standard deviations of
 * its expectation. The count is a sum of independent Bernoulli(p_d), so
 * its variance is sum p_d (1 - p_d), at most that of the binomial with the
 * same n and mean. Checked for one contract and, for a sharper bound, for
 * 2000 contracts with varied start days. */
static void test_draw_statistics(void **state)
{
    uint32_t seed = 0x9e3779b9u;
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    long count[3] = {0};
    double mean[3] = {0}, var[3] = {0};
    simulate(&t, &seed, count, mean, var);
    const double rates[3] = {4 * 12, 2 * 12, 1 * 36};
    for (int ph = 0; ph < 3; ph++) {
        assert_true(dabs(mean[ph] - rates[ph]) < 1e-9);
        double tol = 4 * dsqrt(var[ph]);
        print_message("phase %d: %ld test days, expected %.2f +- %.2f\n", ph + 1, count[ph],
                      mean[ph], tol);
        assert_true(dabs((double)count[ph] - mean[ph]) <= tol);
    }

    long agg[3] = {0};
    double amean[3] = {0}, avar[3] = {0};
    for (int c = 0; c < 2000; c++) {
        vn_terms_default(&t, ymd(2020, 1, 1) + c * 3);
        simulate(&t, &seed, agg, amean, avar);
    }
    for (int ph = 0; ph < 3; ph++) {
        double tol = 4 * dsqrt(avar[ph]);
        print_message("2000 contracts, phase %d: %ld, expected %.1f +- %.1f\n", ph + 1, agg[ph],
                      amean[ph], tol);
        assert_true(dabs((double)agg[ph] - amean[ph]) <= tol);
    }
}

static size_t due(const vn_terms *t, const vn_event *ev, size_t n, const vn_absence *abs,
                  size_t nabs, int32_t today, int minute, vn_due *out)
{
    size_t total = vn_schedule_due(t, ev, n, abs, nabs, today, minute, out, VN_DUE_MAX);
    assert_true(total <= VN_DUE_MAX);
    return total;
}

static void test_due_cm_contact(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t D = t.start_day + 40;
    vn_event ev[] = {{t.start_day + 3, VN_EV_CM_CONTACT}, {D, VN_EV_CM_CONTACT}};
    vn_due out[VN_DUE_MAX];
    const vn_due *cm;
    size_t n = due(&t, ev, 2, NULL, 0, D + 27, 600, out);
    assert_non_null(cm = find(out, n, VN_DUE_CM_CONTACT));
    assert_int_equal(cm->due_day, D + 30);
    assert_false(cm->overdue);
    assert_false(cm->remind);
    n = due(&t, ev, 2, NULL, 0, D + 28, 600, out);
    assert_non_null(cm = find(out, n, VN_DUE_CM_CONTACT));
    assert_true(cm->remind);
    assert_false(cm->overdue);
    n = due(&t, ev, 2, NULL, 0, D + 30, 600, out);
    assert_non_null(cm = find(out, n, VN_DUE_CM_CONTACT));
    assert_true(cm->remind);
    assert_false(cm->overdue);
    n = due(&t, ev, 2, NULL, 0, D + 31, 600, out);
    assert_non_null(cm = find(out, n, VN_DUE_CM_CONTACT));
    assert_true(cm->overdue);
    assert_false(cm->remind);
    assert_int_equal(cm->due_day, D + 30);
    /* No contact at all: the clock starts at the start day. */
    n = due(&t, NULL, 0, NULL, 0, t.start_day, 600, out);
    assert_non_null(cm = find(out, n, VN_DUE_CM_CONTACT));
    assert_int_equal(cm->due_day, t.start_day + 30);
    /* A contact before the start does not move the first deadline earlier. */
    vn_event before = {t.start_day - 20, VN_EV_CM_CONTACT};
    n = due(&t, &before, 1, NULL, 0, t.start_day + 11, 600, out);
    assert_int_equal(find(out, n, VN_DUE_CM_CONTACT)->due_day, t.start_day + 30);
    /* Events after today are not "so far". */
    vn_event later = {D + 50, VN_EV_CM_CONTACT};
    n = due(&t, &later, 1, NULL, 0, D, 600, out);
    assert_int_equal(find(out, n, VN_DUE_CM_CONTACT)->due_day, t.start_day + 30);
}

static void test_due_buddy_selfhelp(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    t.selfhelp_days = 14;
    int32_t D = t.start_day + 100;
    vn_event ev[] = {{D, VN_EV_BUDDY_CONTACT}, {D - 7, VN_EV_BUDDY_CONTACT}, {D, VN_EV_SELFHELP}};
    vn_due out[VN_DUE_MAX];
    size_t n = due(&t, ev, 3, NULL, 0, D + 7, 600, out);
    const vn_due *b = find(out, n, VN_DUE_BUDDY_CONTACT), *s = find(out, n, VN_DUE_SELFHELP);
    assert_non_null(b);
    assert_non_null(s);
    assert_int_equal(b->due_day, D + 7);
    assert_false(b->overdue);
    assert_true(b->remind);
    assert_int_equal(s->due_day, D + 14);
    assert_false(s->overdue);
    assert_false(s->remind);
    n = due(&t, ev, 3, NULL, 0, D + 8, 600, out);
    assert_true(find(out, n, VN_DUE_BUDDY_CONTACT)->overdue);
    assert_false(find(out, n, VN_DUE_SELFHELP)->overdue);
    n = due(&t, ev, 3, NULL, 0, D + 15, 600, out);
    assert_true(find(out, n, VN_DUE_SELFHELP)->overdue);
    n = due(&t, ev, 3, NULL, 0, D + 12, 600, out);
    assert_true(find(out, n, VN_DUE_SELFHELP)->remind);
    assert_false(find(out, n, VN_DUE_SELFHELP)->overdue);
}

static void test_due_checkin(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t today = t.start_day + 10;
    vn_due out[VN_DUE_MAX];
    const vn_due *c;
    size_t n = due(&t, NULL, 0, NULL, 0, today, 299, out);
    assert_non_null(c = find(out, n, VN_DUE_CHECKIN));
    assert_int_equal(c->due_day, today);
    assert_false(c->overdue);
    assert_false(c->remind);
    n = due(&t, NULL, 0, NULL, 0, today, 300, out);
    assert_true(find(out, n, VN_DUE_CHECKIN)->remind);
    n = due(&t, NULL, 0, NULL, 0, today, 839, out);
    assert_false(find(out, n, VN_DUE_CHECKIN)->overdue);
    assert_true(find(out, n, VN_DUE_CHECKIN)->remind);
    n = due(&t, NULL, 0, NULL, 0, today, 840, out);
    assert_true(find(out, n, VN_DUE_CHECKIN)->overdue);
    assert_false(find(out, n, VN_DUE_CHECKIN)->remind);
    vn_event yesterday = {today - 1, VN_EV_CHECKIN}, now = {today, VN_EV_CHECKIN};
    n = due(&t, &yesterday, 1, NULL, 0, today, 900, out);
    assert_non_null(find(out, n, VN_DUE_CHECKIN));
    n = due(&t, &now, 1, NULL, 0, today, 900, out);
    assert_null(find(out, n, VN_DUE_CHECKIN));
    /* Unknown kinds are ignored, whatever their number. */
    vn_event odd[] = {{today, 0},  {today, 10},   {today, 15},
                      {today, 16}, {today, 0x85}, {today, 255}};
    n = due(&t, odd, 6, NULL, 0, today, 900, out);
    assert_non_null(find(out, n, VN_DUE_CHECKIN));
    vn_absence away = {today - 2, today};
    n = due(&t, NULL, 0, &away, 1, today, 900, out);
    assert_null(find(out, n, VN_DUE_CHECKIN));
}

static void test_due_tests(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t d = t.start_day + 20;
    vn_event ev[] = {{d, VN_EV_DRAW_TEST}, {d, VN_EV_CHECKIN}};
    vn_due out[VN_DUE_MAX];
    const vn_due *x;
    size_t n = due(&t, ev, 2, NULL, 0, d, 600, out);
    assert_non_null(x = find(out, n, VN_DUE_TEST));
    assert_int_equal(x->due_day, d);
    assert_false(x->overdue);
    assert_true(x->remind);
    n = due(&t, ev, 2, NULL, 0, d + 1, 600, out);
    assert_non_null(x = find(out, n, VN_DUE_TEST));
    assert_int_equal(x->due_day, d);
    assert_true(x->overdue);
    n = due(&t, ev, 2, NULL, 0, d + 300, 600, out);
    assert_non_null(find(out, n, VN_DUE_TEST));
    /* A test on the drawn day settles it; a test a day later does not. */
    vn_event done[] = {{d, VN_EV_DRAW_TEST}, {d, VN_EV_TEST}};
    n = due(&t, done, 2, NULL, 0, d + 1, 600, out);
    assert_null(find(out, n, VN_DUE_TEST));
    vn_event late[] = {{d + 1, VN_EV_TEST}, {d, VN_EV_DRAW_TEST}};
    n = due(&t, late, 2, NULL, 0, d + 2, 600, out);
    assert_non_null(find(out, n, VN_DUE_TEST));
    /* Draws before the start or after today are not listed. */
    vn_event odd[] = {{t.start_day - 1, VN_EV_DRAW_TEST},
                      {t.start_day - 700, VN_EV_TEST},
                      {d + 1, VN_EV_DRAW_TEST},
                      {d + 1, VN_EV_CM_CONTACT}};
    n = due(&t, odd, 4, NULL, 0, d, 600, out);
    assert_null(find(out, n, VN_DUE_TEST));
    assert_int_equal(find(out, n, VN_DUE_CM_CONTACT)->due_day, t.start_day + 30);
    /* A draw of "no test" is nothing to do. */
    vn_event none = {d, VN_EV_DRAW_NONE};
    n = due(&t, &none, 1, NULL, 0, d + 1, 600, out);
    assert_null(find(out, n, VN_DUE_TEST));
}

/* Only the eight most recent untested draws are listed, newest kept. */
static void test_due_tests_cap(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    vn_event ev[24];
    size_t nev = 0;
    for (int i = 0; i < 12; i++)
        ev[nev++] = (vn_event){t.start_day + 100 + 50 * i, VN_EV_DRAW_TEST};
    ev[nev++] = (vn_event){t.start_day + 100 + 50 * 11, VN_EV_TEST}; /* newest is done */
    /* Duplicate draw records of one day count once. */
    ev[nev++] = (vn_event){t.start_day + 100 + 50 * 10, VN_EV_DRAW_TEST};
    int32_t today = t.start_day + 100 + 50 * 11 + 1;
    vn_due out[VN_DUE_MAX];
    size_t n = due(&t, ev, nev, NULL, 0, today, 0, out);
    size_t tests = 0;
    int32_t oldest = INT32_MAX, newest = INT32_MIN;
    for (size_t i = 0; i < n; i++) {
        if (out[i].kind != VN_DUE_TEST) continue;
        tests++;
        assert_true(out[i].overdue);
        oldest = out[i].due_day < oldest ? out[i].due_day : oldest;
        newest = out[i].due_day > newest ? out[i].due_day : newest;
    }
    assert_int_equal(tests, VN_DUE_TESTS_MAX);
    assert_int_equal(newest, t.start_day + 100 + 50 * 10);
    assert_int_equal(oldest, t.start_day + 100 + 50 * 3);
}

static void test_due_absence_shift(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t D = t.start_day + 60;
    vn_event ev = {D, VN_EV_CM_CONTACT};
    /* The deadline D+30 falls in the first of two back-to-back absences. */
    vn_absence away[] = {{D + 36, D + 40}, {D + 25, D + 35}};
    vn_due out[VN_DUE_MAX];
    size_t n = due(&t, &ev, 1, away, 2, D + 31, 600, out);
    const vn_due *cm = find(out, n, VN_DUE_CM_CONTACT);
    assert_non_null(cm);
    assert_int_equal(cm->due_day, D + 41);
    assert_false(cm->overdue);
    n = due(&t, &ev, 1, away, 2, D + 41, 600, out);
    assert_true(find(out, n, VN_DUE_CM_CONTACT)->remind);
    n = due(&t, &ev, 1, away, 2, D + 42, 600, out);
    assert_true(find(out, n, VN_DUE_CM_CONTACT)->overdue);
    /* An absence that ends before the deadline changes nothing. */
    vn_absence early = {D + 1, D + 10};
    n = due(&t, &ev, 1, &early, 1, D + 31, 600, out);
    assert_int_equal(find(out, n, VN_DUE_CM_CONTACT)->due_day, D + 30);
}

static void test_due_outside_and_order(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t end = vn_terms_end_day(&t);
    vn_due out[VN_DUE_MAX];
    assert_int_equal(vn_schedule_due(&t, NULL, 0, NULL, 0, t.start_day - 1, 900, NULL, 0), 0);
    assert_int_equal(vn_schedule_due(&t, NULL, 0, NULL, 0, end + 1, 900, NULL, 0), 0);
    /* Near the end, deadlines after the last day are not listed. */
    vn_event last[] = {
        {end - 5, VN_EV_CM_CONTACT}, {end - 3, VN_EV_BUDDY_CONTACT}, {end - 10, VN_EV_SELFHELP}};
    size_t n = due(&t, last, 3, NULL, 0, end, 600, out);
    assert_null(find(out, n, VN_DUE_CM_CONTACT));
    assert_null(find(out, n, VN_DUE_BUDDY_CONTACT));
    assert_non_null(find(out, n, VN_DUE_SELFHELP));

    /* Order: overdue first, older deadline first; a short out gets the
     * most urgent items and the total is still returned. */
    int32_t today = t.start_day + 200;
    vn_event ev[] = {{today - 3, VN_EV_DRAW_TEST},     {today - 40, VN_EV_CM_CONTACT},
                     {today - 9, VN_EV_BUDDY_CONTACT}, {today - 6, VN_EV_SELFHELP},
                     {today - 1, VN_EV_CHECKIN},       {today, VN_EV_DRAW_TEST}};
    n = due(&t, ev, 6, NULL, 0, today, 900, out);
    assert_int_equal(n, 6);
    const int kinds[] = {VN_DUE_CM_CONTACT, VN_DUE_TEST, VN_DUE_BUDDY_CONTACT,
                         VN_DUE_CHECKIN,    VN_DUE_TEST, VN_DUE_SELFHELP};
    const int32_t days[] = {today - 10, today - 3, today - 2, today, today, today + 1};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].kind, kinds[i]);
        assert_int_equal(out[i].due_day, days[i]);
        assert_int_equal(out[i].overdue, i < 4);
    }
    vn_due few[3];
    memset(few, 0xa5, sizeof few);
    assert_int_equal(vn_schedule_due(&t, ev, 6, NULL, 0, today, 900, few, 2), 6);
    assert_int_equal(few[0].kind, VN_DUE_CM_CONTACT);
    assert_int_equal(few[1].kind, VN_DUE_TEST);
    assert_int_equal(few[2].kind, 0xa5);
    assert_int_equal(vn_schedule_due(&t, ev, 6, NULL, 0, today, 900, NULL, 0), 6);

    /* Any order of the events gives the same answer. */
    vn_event rev[6];
    for (int i = 0; i < 6; i++)
        rev[i] = ev[5 - i];
    vn_due out2[VN_DUE_MAX];
    assert_int_equal(due(&t, rev, 6, NULL, 0, today, 900, out2), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].kind, out2[i].kind);
        assert_int_equal(out[i].due_day, out2[i].due_day);
        assert_int_equal(out[i].overdue, out2[i].overdue);
        assert_int_equal(out[i].remind, out2[i].remind);
    }
}

static void test_validate(void **state)
{
    vn_terms good, t;
    vn_terms_default(&good, ymd(2024, 3, 15));
    assert_int_equal(vn_terms_validate(&good), VN_OK);
    assert_int_equal(vn_terms_validate(NULL), VN_EINVAL);
#define BAD(stmt)                                                                                  \
    do {                                                                                           \
        t = good;                                                                                  \
        stmt;                                                                                      \
        assert_int_equal(vn_terms_validate(&t), VN_EINVAL);                                        \
    } while (0)
    BAD(t.phases[1].from_month = 12);      /* overlap */
    BAD(t.phases[1].from_month = 14);      /* gap */
    BAD(t.phases[2].to_month = 61);        /* exceeds months */
    BAD(t.phases[2].to_month = 59);        /* leaves the end uncovered */
    BAD(t.phases[0].from_month = 2);       /* does not start at 1 */
    BAD(t.phases[0].tests_per_month = 32); /* rate > 31 */
    BAD(t.nphases = 0);
    BAD(t.nphases = VN_PHASES_MAX + 1);
    BAD((t.phases[0] = good.phases[1], t.phases[1] = good.phases[0])); /* unsorted */
    BAD(t.months = 0);
    BAD((t.months = VN_MONTHS_MAX + 1, t.phases[2].to_month = VN_MONTHS_MAX + 1));
    BAD(t.cm_contact_days = 0);
    BAD(t.buddy_contact_days = 0);
    BAD(t.selfhelp_days = 0);
    BAD(t.checkin_end_min = t.checkin_start_min);
    BAD((t.checkin_start_min = 900, t.checkin_end_min = 840));
    BAD(t.checkin_end_min = 24 * 60 + 1);
    BAD(t.absence_max_days = 367);
    BAD(t.start_day = -1);
    BAD(t.start_day = ymd(9990, 1, 1));
#undef BAD
    t = good;
    t.phases[0].tests_per_month = 31;
    t.phases[2].tests_per_month = 0;
    t.checkin_end_min = 24 * 60;
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    t.months = VN_MONTHS_MAX;
    t.phases[2].to_month = VN_MONTHS_MAX;
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    t.nphases = 1;
    t.phases[0] = (vn_phase){1, VN_MONTHS_MAX, 3};
    assert_int_equal(vn_terms_validate(&t), VN_OK);
}

/* A 120-month contract (the longest valid) still sees its first draw. */
static void test_due_long_contract(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 2, 29));
    t.months = VN_MONTHS_MAX;
    t.phases[2].to_month = VN_MONTHS_MAX;
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    int32_t end = vn_terms_end_day(&t);
    vn_event ev[] = {{t.start_day, VN_EV_DRAW_TEST},
                     {end, VN_EV_CM_CONTACT},
                     {end, VN_EV_BUDDY_CONTACT},
                     {end, VN_EV_SELFHELP},
                     {end, VN_EV_CHECKIN}};
    vn_due out[VN_DUE_MAX];
    size_t n = due(&t, ev, 5, NULL, 0, end, 600, out);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].kind, VN_DUE_TEST);
    assert_int_equal(out[0].due_day, t.start_day);
}

static void test_absence_year(void **state)
{
    vn_terms t;
    vn_terms_default(&t, ymd(2024, 3, 15));
    int32_t y2 = vn_terms_month_start(&t, 13); /* 2025-03-15 */
    assert_int_equal(vn_terms_year_of(&t, t.start_day), 1);
    assert_int_equal(vn_terms_year_of(&t, y2 - 1), 1);
    assert_int_equal(vn_terms_year_of(&t, y2), 2);
    assert_int_equal(vn_terms_year_of(&t, vn_terms_end_day(&t)), 5);
    assert_int_equal(vn_terms_year_of(&t, t.start_day - 1), 0);

    /* Overlaps count once, an empty absence not at all, and a span over the
     * year boundary counts in each year for its own days. */
    vn_absence abs[] = {
        {y2 - 100, y2 - 96}, {y2 - 98, y2 - 94}, {y2 - 3, y2 + 2}, {y2 - 50, y2 - 60}};
    assert_true(vn_schedule_absent(abs, 4, y2 - 94));
    assert_false(vn_schedule_absent(abs, 4, y2 - 93));
    assert_false(vn_schedule_absent(abs, 4, y2 - 55));
    assert_int_equal(vn_schedule_absence_days_in_year(&t, abs, 4, t.start_day), 7 + 3);
    assert_int_equal(vn_schedule_absence_days_in_year(&t, abs, 4, y2), 3);
    assert_int_equal(vn_schedule_absence_days_in_year(&t, abs, 4, y2 + 400), 0);
    assert_int_equal(vn_schedule_absence_days_in_year(&t, abs, 4, t.start_day - 1), 0);
    assert_int_equal(vn_schedule_absence_days_in_year(&t, NULL, 0, t.start_day), 0);

    /* Year 1 holds 10 days: 4 more fit, 5 do not; days already covered are
     * free; year 2 holds 3, so 11 fit there. */
    assert_true(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 - 30, y2 - 27}));
    assert_false(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 - 30, y2 - 26}));
    assert_true(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 - 101, y2 - 93}));
    assert_true(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 + 3, y2 + 13}));
    assert_false(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 + 3, y2 + 14}));
    /* Spanning the boundary: 4 days in year 1, 11 in year 2. */
    assert_true(vn_schedule_absence_allowed(&t, NULL, 0, (vn_absence){y2 - 4, y2 + 10}));
    assert_false(vn_schedule_absence_allowed(&t, abs, 4, (vn_absence){y2 - 8, y2 + 10}));
    assert_false(vn_schedule_absence_allowed(&t, NULL, 0, (vn_absence){y2, y2 - 1}));
    assert_false(vn_schedule_absence_allowed(&t, NULL, 0, (vn_absence){y2, y2 + 14}));
    /* Days outside the contract count against no year. */
    assert_true(
        vn_schedule_absence_allowed(&t, NULL, 0, (vn_absence){t.start_day - 30, t.start_day + 13}));
}

static void test_kind_names(void **state)
{
    assert_string_equal(vn_schedule_due_name(VN_DUE_CM_CONTACT), "casemanager-contact");
    assert_string_equal(vn_schedule_due_name(VN_DUE_BUDDY_CONTACT), "buddy-contact");
    assert_string_equal(vn_schedule_due_name(VN_DUE_SELFHELP), "selfhelp");
    assert_string_equal(vn_schedule_due_name(VN_DUE_CHECKIN), "checkin");
    assert_string_equal(vn_schedule_due_name(VN_DUE_TEST), "test");
    assert_string_equal(vn_schedule_due_name((vn_due_kind)0), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_known),
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_month_of),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_draw_p_sums),
        cmocka_unit_test(test_draw_thresholds),
        cmocka_unit_test(test_draw_statistics),
        cmocka_unit_test(test_due_cm_contact),
        cmocka_unit_test(test_due_buddy_selfhelp),
        cmocka_unit_test(test_due_checkin),
        cmocka_unit_test(test_due_tests),
        cmocka_unit_test(test_due_tests_cap),
        cmocka_unit_test(test_due_absence_shift),
        cmocka_unit_test(test_due_outside_and_order),
        cmocka_unit_test(test_due_long_contract),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_absence_year),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
