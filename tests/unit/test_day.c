/* Unit tests of calendar days: civil conversions against known dates and
 * against a day-by-day walk, month lengths and leap years, add_months and
 * its end-of-month clamping, the local day in a fixed time zone, and the
 * YYYY-MM-DD form: round trip over every day it accepts, and what it
 * rejects (impossible dates, out of range, malformed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "vn/day.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_known_dates(void **state)
{
    /* Days since 1970-01-01, computed independently (Python's datetime). */
    static const struct {
        int y, m, d;
        int32_t day;
    } known[] = {
        {1970, 1, 1, 0},         {1969, 12, 31, -1},      {1970, 1, 2, 1},
        {2000, 3, 1, 11017},     {2027, 1, 4, 20822},     {2028, 2, 29, 21243},
        {9989, 12, 31, 2929244}, {9999, 12, 31, 2932896}, {1600, 1, 1, -135140},
        {0, 3, 1, -719468}, /* the epoch of the algorithm's eras */
    };
    for (size_t i = 0; i < NELEM(known); i++) {
        int y, m, d;
        assert_int_equal(vn_day_from_civil(known[i].y, known[i].m, known[i].d), known[i].day);
        vn_day_to_civil(known[i].day, &y, &m, &d);
        assert_int_equal(y, known[i].y);
        assert_int_equal(m, known[i].m);
        assert_int_equal(d, known[i].d);
    }
}

static void test_month_len(void **state)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        if (m != 2) assert_int_equal(vn_day_month_len(2027, m), len[m - 1]);
    assert_int_equal(vn_day_month_len(2027, 2), 28);
    assert_int_equal(vn_day_month_len(2028, 2), 29); /* divisible by 4 */
    assert_int_equal(vn_day_month_len(1900, 2), 28); /* by 100, not 400 */
    assert_int_equal(vn_day_month_len(2100, 2), 28);
    assert_int_equal(vn_day_month_len(2000, 2), 29); /* by 400 */
    assert_int_equal(vn_day_month_len(2400, 2), 29);
    assert_int_equal(vn_day_month_len(-4, 2), 29); /* proleptic, before year 0 */
    assert_int_equal(vn_day_month_len(-1, 2), 28);
}

/* Walks day by day through years -1000..10000: every next day is the next
 * date of the calendar, and from_civil inverts to_civil. */
static void test_walk(void **state)
{
    int32_t first = vn_day_from_civil(-1000, 1, 1), last = vn_day_from_civil(10000, 12, 31);
    int y, m, d;
    vn_day_to_civil(first, &y, &m, &d);
    assert_int_equal(y, -1000);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
    for (int32_t day = first + 1; day <= last; day++) {
        int ny, nm, nd;
        vn_day_to_civil(day, &ny, &nm, &nd);
        if (d < vn_day_month_len(y, m)) {
            d++;
        } else if (m < 12) {
            m++;
            d = 1;
        } else {
            y++;
            m = 1;
            d = 1;
        }
        if (ny != y || nm != m || nd != d)
            fail_msg("day %d is %d-%d-%d, expected %d-%d-%d", day, ny, nm, nd, y, m, d);
        if (vn_day_from_civil(y, m, d) != day) fail_msg("from_civil(%d-%d-%d) != %d", y, m, d, day);
    }
    assert_int_equal(y, 10000);
}

static int32_t D(int y, int m, int d)
{
    return vn_day_from_civil(y, m, d);
}

static void test_add_months(void **state)
{
    /* Not static: the dates are computed (from_civil is checked above). */
    const struct {
        int32_t from;
        int months;
        int32_t want;
    } cases[] = {
        {0, 0, 0},
        {0, 1, 31}, /* 1970-02-01 */
        {D(2027, 1, 31), 1, D(2027, 2, 28)},
        {D(2028, 1, 31), 1, D(2028, 2, 29)},
        {D(2027, 1, 31), 2, D(2027, 3, 31)}, /* no accumulated clamping */
        {D(2027, 1, 31), 3, D(2027, 4, 30)},
        {D(2027, 3, 31), -1, D(2027, 2, 28)},
        {D(2027, 5, 31), -1, D(2027, 4, 30)},
        {D(2028, 2, 29), 12, D(2029, 2, 28)},
        {D(2028, 2, 29), 48, D(2032, 2, 29)},
        {D(2028, 2, 29), -12, D(2027, 2, 28)},
        {D(2027, 1, 15), -1, D(2026, 12, 15)},
        {D(2027, 1, 15), -12, D(2026, 1, 15)},
        {D(2027, 1, 15), -13, D(2025, 12, 15)},
        {D(2027, 12, 15), 1, D(2028, 1, 15)},
        {D(2027, 1, 4), 60, D(2032, 1, 4)},
        {D(2027, 1, 4), 1200, D(2127, 1, 4)},
        {D(2027, 8, 31), 1, D(2027, 9, 30)},
        {D(2027, 12, 31), 2, D(2028, 2, 29)},
        {D(0, 1, 15), -1, D(-1, 12, 15)}, /* across year 0 */
        {D(-1, 12, 31), 2, D(0, 2, 29)},  /* year 0 is a leap year */
        {D(-5, 3, 31), -13, D(-6, 2, 28)},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        int32_t got = vn_day_add_months(cases[i].from, cases[i].months);
        if (got != cases[i].want) {
            char a[11], b[11], c[11];
            vn_day_format(cases[i].from, a);
            vn_day_format(got, b);
            vn_day_format(cases[i].want, c);
            fail_msg("%s %+d months: got %s (%d), want %s (%d)", a, cases[i].months, b, got, c,
                     cases[i].want);
        }
    }
    /* On the first of a month adding and subtracting are exact inverses. */
    for (int k = -30; k <= 30; k++)
        assert_int_equal(vn_day_add_months(vn_day_add_months(D(2027, 6, 1), k), -k), D(2027, 6, 1));
}

static void test_local(void **state)
{
    /* A POSIX TZ rule needs no tzdata: CET, CEST from the last Sunday of March. */
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    int minute = -1;
    uint64_t jan4_0700 = (uint64_t)D(2027, 1, 4) * 86400000ULL + 7 * 3600000ULL;

    setenv("TZ", "UTC0", 1);
    tzset();
    assert_int_equal(vn_day_local(jan4_0700, &minute), D(2027, 1, 4));
    assert_int_equal(minute, 7 * 60);
    assert_int_equal(vn_day_local(0, &minute), 0);
    assert_int_equal(minute, 0);

    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();
    assert_int_equal(vn_day_local(jan4_0700, &minute), D(2027, 1, 4));
    assert_int_equal(minute, 8 * 60);
    /* 23:30 UTC is already tomorrow in Amsterdam. */
    assert_int_equal(vn_day_local(jan4_0700 + 16 * 3600000ULL + 30 * 60000ULL, &minute),
                     D(2027, 1, 5));
    assert_int_equal(minute, 30);
    /* Summer time: 07:00 UTC on 2027-07-01 is 09:00; minute may be NULL. */
    uint64_t jul1_0700 = (uint64_t)D(2027, 7, 1) * 86400000ULL + 7 * 3600000ULL;
    assert_int_equal(vn_day_local(jul1_0700, &minute), D(2027, 7, 1));
    assert_int_equal(minute, 9 * 60);
    assert_int_equal(vn_day_local(jul1_0700, NULL), D(2027, 7, 1));

    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_format_parse_round_trip(void **state)
{
    char s[11];
    vn_day_format(0, s);
    assert_string_equal(s, "1970-01-01");
    vn_day_format(D(2028, 2, 29), s);
    assert_string_equal(s, "2028-02-29");
    vn_day_format(D(9999, 12, 31), s);
    assert_string_equal(s, "9999-12-31");

    /* Every day parse accepts formats back to the same text. */
    for (int32_t day = 0; day <= D(9999, 12, 31); day++) {
        int32_t back = -1;
        vn_day_format(day, s);
        if (vn_day_parse(s, &back) != VN_OK || back != day)
            fail_msg("day %d formats as %s and parses as %d", day, s, back);
    }
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        /* impossible dates */
        "2027-02-30",
        "2027-02-29",
        "2100-02-29",
        "1900-02-29",
        "2027-04-31",
        "2027-06-31",
        "2027-09-31",
        "2027-11-31",
        "2027-13-01",
        "2027-00-10",
        "2027-01-00",
        "2027-01-32",
        "2027-99-99",
        /* out of range: before the epoch, more than four digits */
        "1969-12-31",
        "0000-01-01",
        "10000-01-01",
        /* malformed */
        "",
        "2027-1-04",
        "2027-01-4",
        "27-01-04",
        "2027/01/04",
        "2027-01-04 ",
        " 2027-01-04",
        "2027-01-04T07:00",
        "2027-01",
        "20270104",
        "2027-01-04\n",
        "-2027-01-04",
        "2027--1-04",
        "2027-01--4",
        "yyyy-mm-dd",
        "2027-0a-04",
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        int32_t day = 4242;
        if (vn_day_parse(bad[i], &day) != VN_EINVAL) fail_msg("\"%s\" parsed as %d", bad[i], day);
        assert_int_equal(day, 4242); /* untouched on failure */
    }
    int32_t day = 4242;
    assert_int_equal(vn_day_parse(NULL, &day), VN_EINVAL);
    assert_int_equal(day, 4242);
    /* The edges that are accepted. */
    assert_int_equal(vn_day_parse("1970-01-01", &day), VN_OK);
    assert_int_equal(day, 0);
    assert_int_equal(vn_day_parse("2000-02-29", &day), VN_OK);
    assert_int_equal(day, D(2000, 2, 29));
}

/* sscanf's %d alone would take a sign or skip a leading space. */
static void test_parse_rejects_signs_and_spaces(void **state)
{
    static const char *const bad[] = {"2027-+1-04", "2027- 1-04", "2027-01-+4", "2027-01- 4"};
    for (size_t i = 0; i < NELEM(bad); i++) {
        int32_t day = 4242;
        if (vn_day_parse(bad[i], &day) != VN_EINVAL) fail_msg("\"%s\" parsed as %d", bad[i], day);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates),   cmocka_unit_test(test_month_len),
        cmocka_unit_test(test_walk),          cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_local),         cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_parse_rejects_signs_and_spaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
