/* Unit tests of when the schedule reminds: the check-in window's two
 * reminders (open, closing soon) minute by minute at their edges, none on
 * an absence day, after a check-in or outside the contract; quiet hours
 * with and without a wrap past midnight; the unclaimed-SOS delay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vn/schedule.h"
#include "vn/day.h"

static void test_closing_min(void **state)
{
    (void)state;
    vn_terms t;
    vn_terms_default(&t, vn_day_from_civil(2027, 1, 4));
    /* 05:00-14:00: an hour before the end. */
    assert_int_equal(vn_schedule_closing_min(&t), 13 * 60);
    /* A window of two hours: a quarter of it, 30 minutes. */
    t.checkin_start_min = 8 * 60;
    t.checkin_end_min = 10 * 60;
    assert_int_equal(vn_schedule_closing_min(&t), 9 * 60 + 30);
    /* Exactly four hours: the full hour again. */
    t.checkin_end_min = 12 * 60;
    assert_int_equal(vn_schedule_closing_min(&t), 11 * 60);
    /* A window of three minutes: never before it opens. */
    t.checkin_end_min = 8 * 60 + 3;
    assert_true(vn_schedule_closing_min(&t) >= t.checkin_start_min);
    assert_true(vn_schedule_closing_min(&t) < t.checkin_end_min);
    /* Open until midnight. */
    t.checkin_start_min = 20 * 60;
    t.checkin_end_min = 1440;
    assert_int_equal(vn_schedule_closing_min(&t), 23 * 60);
}

static void test_checkin_remind_edges(void **state)
{
    (void)state;
    vn_terms t;
    int32_t start = vn_day_from_civil(2027, 1, 4);
    vn_terms_default(&t, start);
    int32_t d = start + 3;
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 4 * 60 + 59, false),
                     VN_REMIND_NONE);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 5 * 60, false), VN_REMIND_OPEN);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 12 * 60 + 59, false),
                     VN_REMIND_OPEN);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 13 * 60, false), VN_REMIND_CLOSING);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 13 * 60 + 59, false),
                     VN_REMIND_CLOSING);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 14 * 60, false), VN_REMIND_NONE);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, 23 * 60, false), VN_REMIND_NONE);
    /* Checked in: nothing all day. */
    for (int m = 0; m < 1440; m += 7)
        assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, d, m, true), VN_REMIND_NONE);
}

static void test_checkin_remind_absence_and_contract(void **state)
{
    (void)state;
    vn_terms t;
    int32_t start = vn_day_from_civil(2027, 1, 4);
    vn_terms_default(&t, start);
    vn_absence away[] = {{start + 10, start + 12}};
    for (int32_t d = start + 9; d <= start + 13; d++) {
        bool absent = d >= start + 10 && d <= start + 12;
        assert_int_equal(vn_schedule_checkin_remind(&t, away, 1, d, 6 * 60, false),
                         absent ? VN_REMIND_NONE : VN_REMIND_OPEN);
        assert_int_equal(vn_schedule_checkin_remind(&t, away, 1, d, 13 * 60 + 30, false),
                         absent ? VN_REMIND_NONE : VN_REMIND_CLOSING);
    }
    /* The day before the start and the day after the end. */
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, start - 1, 6 * 60, false),
                     VN_REMIND_NONE);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, start, 6 * 60, false), VN_REMIND_OPEN);
    int32_t end = vn_terms_end_day(&t);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, end, 6 * 60, false), VN_REMIND_OPEN);
    assert_int_equal(vn_schedule_checkin_remind(&t, NULL, 0, end + 1, 6 * 60, false),
                     VN_REMIND_NONE);
}

static void test_quiet_at(void **state)
{
    (void)state;
    /* 22:00-07:00 wraps past midnight. */
    assert_true(vn_schedule_quiet_at(22 * 60, 7 * 60, 22 * 60));
    assert_true(vn_schedule_quiet_at(22 * 60, 7 * 60, 23 * 60 + 59));
    assert_true(vn_schedule_quiet_at(22 * 60, 7 * 60, 0));
    assert_true(vn_schedule_quiet_at(22 * 60, 7 * 60, 6 * 60 + 59));
    assert_false(vn_schedule_quiet_at(22 * 60, 7 * 60, 7 * 60));
    assert_false(vn_schedule_quiet_at(22 * 60, 7 * 60, 12 * 60));
    assert_false(vn_schedule_quiet_at(22 * 60, 7 * 60, 21 * 60 + 59));
    /* 13:00-14:00 does not. */
    assert_false(vn_schedule_quiet_at(13 * 60, 14 * 60, 12 * 60 + 59));
    assert_true(vn_schedule_quiet_at(13 * 60, 14 * 60, 13 * 60));
    assert_false(vn_schedule_quiet_at(13 * 60, 14 * 60, 14 * 60));
    /* Until midnight, and an empty setting. */
    assert_true(vn_schedule_quiet_at(23 * 60, 1440, 23 * 60 + 59));
    assert_false(vn_schedule_quiet_at(23 * 60, 1440, 0));
    assert_false(vn_schedule_quiet_at(9 * 60, 9 * 60, 9 * 60));
}

static void test_sos_remind(void **state)
{
    (void)state;
    /* The default window of 15 minutes: after five. */
    assert_int_equal(vn_schedule_sos_remind_ms(15 * 60000), 5 * 60000);
    /* A long window: still within five minutes. */
    assert_int_equal(vn_schedule_sos_remind_ms(60 * 60000), 5 * 60000);
    /* A short one: a third of it, and never at once. */
    assert_int_equal(vn_schedule_sos_remind_ms(6 * 60000), 2 * 60000);
    assert_int_equal(vn_schedule_sos_remind_ms(1), 1000);
    assert_int_equal(vn_schedule_sos_remind_ms(0), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closing_min),
        cmocka_unit_test(test_checkin_remind_edges),
        cmocka_unit_test(test_checkin_remind_absence_and_contract),
        cmocka_unit_test(test_quiet_at),
        cmocka_unit_test(test_sos_remind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
