/* Unit tests of client-cli/report_calc.c (compiled into this test directly;
 * the vangnet binary is not a library): a test's state from its result,
 * the monthly totals checked against a month built here record by record
 * with its own independent tally, and RFC 4180 quoting of CSV fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report_calc.h"

static void test_states(void **state)
{
    (void)state;
    assert_int_equal(vn_test_state_of("negative", false), VN_TEST_NEGATIVE);
    /* A positive is pending until confirmed; confirmed means nothing on
     * another result. */
    assert_int_equal(vn_test_state_of("positive", false), VN_TEST_POSITIVE_PENDING);
    assert_int_equal(vn_test_state_of("positive", true), VN_TEST_POSITIVE_CONFIRMED);
    assert_int_equal(vn_test_state_of("negative", true), VN_TEST_NEGATIVE);
    assert_int_equal(vn_test_state_of("dilute", false), VN_TEST_DILUTE);
    assert_int_equal(vn_test_state_of("missed", false), VN_TEST_MISSED);
    assert_int_equal(vn_test_state_of("relapse", false), VN_TEST_NONE);
    assert_int_equal(vn_test_state_of(NULL, false), VN_TEST_NONE);
    assert_int_equal(vn_test_state_of("", false), VN_TEST_NONE);
    /* Names read back as the same state (a correction's "corrects"). */
    for (int s = VN_TEST_NEGATIVE; s < VN_TEST_STATES; s++)
        assert_int_equal(vn_test_state_of(vn_test_state_name((vn_test_state)s), false), s);
    assert_string_equal(vn_test_state_name(VN_TEST_POSITIVE_PENDING), "positive-pending");
    assert_string_equal(vn_test_state_words(VN_TEST_POSITIVE_PENDING),
                        "positive, pending confirmation");
    assert_string_equal(vn_test_state_name((vn_test_state)99), "none");
}

/* A keeper of records as the device keeps them: one outcome per day, a
 * new one replacing the old. */
static void record(vn_report_day *d, vn_test_state s)
{
    d->corrected = d->result != VN_TEST_NONE;
    d->result = (uint8_t)s;
}

static void test_month(void **state)
{
    (void)state;
    enum { N = 30 };
    vn_report_day days[N];
    memset(days, 0, sizeof days);
    int32_t first = 20000, today = first + 20;
    for (int i = 0; i < N; i++)
        days[i].day = first + i;
    /* The month as it happened, and the tally kept alongside. */
    unsigned checkins = 0, missed_checkins = 0, drawn = 0, taken = 0, missed_tests = 0;
    unsigned cm = 0, buddy = 0, selfhelp = 0, absent = 0;
    for (int i = 0; i < 20; i++) {
        if (i % 7 == 3) {
            days[i].checkin_missed = true;
            missed_checkins++;
        } else {
            days[i].checkin = true;
            checkins++;
        }
        if (i % 2 == 0) {
            days[i].buddy_contacts = 1;
            buddy++;
        }
    }
    days[0].cm_contacts = 2;
    cm += 2;
    days[6].selfhelp = 1;
    days[13].selfhelp = 1;
    selfhelp += 2;
    for (int i = 25; i < 28; i++) {
        days[i].absent = true;
        absent++;
    }
    /* Drawn: 2 (negative, corrected from positive pending), 5 (positive
     * confirmed after pending), 9 (not taken: missed, no record), 12
     * (recorded missed), 20 (today: due, not missed yet). Day 15 is a test
     * for cause: not drawn, dilute. */
    int draws[] = {2, 5, 9, 12, 20};
    for (size_t k = 0; k < sizeof draws / sizeof draws[0]; k++) {
        days[draws[k]].test_day = true;
        drawn++;
    }
    days[2].test_taken = days[5].test_taken = true;
    taken += 2;
    record(&days[2], VN_TEST_POSITIVE_PENDING);
    record(&days[2], VN_TEST_NEGATIVE);
    record(&days[5], VN_TEST_POSITIVE_PENDING);
    record(&days[5], VN_TEST_POSITIVE_CONFIRMED);
    record(&days[12], VN_TEST_MISSED);
    record(&days[15], VN_TEST_DILUTE);
    missed_tests = 2; /* day 9 (drawn, past, nothing) and day 12 (recorded missed) */

    vn_report_totals t;
    vn_report_total(days, N, today, &t);
    assert_int_equal(t.days, N);
    assert_int_equal(t.checkins, checkins);
    assert_int_equal(t.checkins_missed, missed_checkins);
    assert_int_equal(t.test_days, drawn);
    assert_int_equal(t.tests_taken, taken);
    assert_int_equal(t.tests_missed, missed_tests);
    /* Six outcomes were recorded for four tests: four results. */
    assert_int_equal(t.results, 4);
    assert_int_equal(t.by_state[VN_TEST_NEGATIVE], 1);
    assert_int_equal(t.by_state[VN_TEST_POSITIVE_PENDING], 0);
    assert_int_equal(t.by_state[VN_TEST_POSITIVE_CONFIRMED], 1);
    assert_int_equal(t.by_state[VN_TEST_DILUTE], 1);
    assert_int_equal(t.by_state[VN_TEST_MISSED], 1);
    assert_int_equal(t.corrections, 2);
    assert_int_equal(t.cm_contacts, cm);
    assert_int_equal(t.buddy_contacts, buddy);
    assert_int_equal(t.selfhelp, selfhelp);
    assert_int_equal(t.absence_days, absent);
    /* Today's drawn test is due, not missed; tomorrow it is. */
    assert_false(vn_report_test_missed(&days[20], today));
    assert_true(vn_report_test_missed(&days[20], today + 1));
    vn_report_total(days, N, today + 1, &t);
    assert_int_equal(t.tests_missed, missed_tests + 1);
}

static void test_empty(void **state)
{
    (void)state;
    vn_report_totals t;
    memset(&t, 0xff, sizeof t);
    vn_report_total(NULL, 0, 0, &t);
    assert_int_equal(t.days, 0);
    assert_int_equal(t.results, 0);
    assert_int_equal(t.tests_missed, 0);
}

static char *csv(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    vn_csv_field(f, s);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void expect_csv(const char *in, const char *want)
{
    char *got = csv(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_csv(void **state)
{
    (void)state;
    expect_csv("plain", "plain");
    expect_csv("", "");
    expect_csv(NULL, "");
    expect_csv("2027-02-05", "2027-02-05");
    expect_csv("a,b", "\"a,b\"");
    expect_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
    expect_csv("two\nlines", "\"two\nlines\"");
    expect_csv("cr\rhere", "\"cr\rhere\"");
    expect_csv("\"", "\"\"\"\"");
    /* Never a formula in a spreadsheet. */
    expect_csv("=SUM(A1)", "\"'=SUM(A1)\"");
    expect_csv("+1", "\"'+1\"");
    expect_csv("-x", "\"'-x\"");
    expect_csv("@cmd", "\"'@cmd\"");
    expect_csv("positive-pending -> negative", "positive-pending -> negative");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_month),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
