/* Unit tests of the wellbeing check's scoring (core/rules vn/wellbeing.h):
 * parsing answers, the overstrain threshold exactly at three complaints and
 * not below, signs and criteria that do not count as complaints, the run of
 * overstrained checks and the burnout reading, and the interval setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vn/wellbeing.h"

/* Index (0-based) of the first item of a kind, and the n-th complaint. */
static size_t nth_of(vn_wellbeing_kind kind, size_t n)
{
    for (size_t i = 0; i < VN_WB_ITEMS; i++)
        if (vn_wellbeing_item_at(i)->kind == kind && n-- == 0) return i;
    fail_msg("no item %zu of kind %d", n, kind);
    return 0;
}

static void test_items(void **state)
{
    (void)state;
    size_t complaints = 0, fatigue = 0;
    for (size_t i = 0; i < VN_WB_ITEMS; i++) {
        const vn_wellbeing_item *it = vn_wellbeing_item_at(i);
        assert_non_null(it);
        assert_int_equal(it->id, i + 1);
        assert_true(strlen(it->key) <= 7); /* fits the chart's label column */
        complaints += it->kind == VN_WB_COMPLAINT;
        fatigue += it->fatigue;
    }
    /* The definition of overstrain lists eight complaints. */
    assert_int_equal(complaints, 8);
    assert_int_equal(fatigue, 1);
    assert_null(vn_wellbeing_item_at(VN_WB_ITEMS));
}

static void test_parse(void **state)
{
    (void)state;
    uint8_t a[VN_WB_ITEMS];
    char msg[128];
    assert_int_equal(vn_wellbeing_parse("1,0,2,3,0,0,0,0,1,1,1,1,0,0", a, msg, sizeof msg), VN_OK);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[3], 3);
    assert_int_equal(vn_wellbeing_parse(" 1, 0 ,2,3,0,0,0,0,1,1,1,1,0,0 ", a, msg, sizeof msg),
                     VN_OK);
    assert_int_equal(vn_wellbeing_parse("1,0,2", a, msg, sizeof msg), VN_EINVAL);
    assert_non_null(strstr(msg, "3 answers given"));
    assert_int_equal(vn_wellbeing_parse("1,0,2,3,0,0,0,0,1,1,1,1,0,0,1", a, msg, sizeof msg),
                     VN_EINVAL);
    assert_non_null(strstr(msg, "more than"));
    assert_int_equal(vn_wellbeing_parse("1,0,4,3,0,0,0,0,1,1,1,1,0,0", a, msg, sizeof msg),
                     VN_EINVAL);
    assert_non_null(strstr(msg, "answer 3 is 4"));
    assert_int_equal(vn_wellbeing_parse("1,0,x,3,0,0,0,0,1,1,1,1,0,0", a, msg, sizeof msg),
                     VN_EINVAL);
    assert_non_null(strstr(msg, "answer 3 is not a number"));
    assert_int_equal(vn_wellbeing_parse("1;0", a, msg, sizeof msg), VN_EINVAL);
    assert_int_equal(vn_wellbeing_parse("", a, msg, sizeof msg), VN_EINVAL);
    assert_int_equal(vn_wellbeing_parse("1,,0", a, msg, sizeof msg), VN_EINVAL);
    assert_int_equal(vn_wellbeing_parse(NULL, a, msg, sizeof msg), VN_EINVAL);
}

/* The threshold: two complaints at "often" are not overstrain, three are;
 * "sometimes" does not count as having the complaint. */
static void test_threshold(void **state)
{
    (void)state;
    uint8_t a[VN_WB_ITEMS] = {0};
    vn_wellbeing_score s;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_int_equal(s.total, 0);
    assert_false(s.overstrain);
    a[nth_of(VN_WB_COMPLAINT, 0)] = 2;
    a[nth_of(VN_WB_COMPLAINT, 1)] = 3;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_int_equal(s.complaints, 2);
    assert_false(s.overstrain);
    /* A third complaint only "sometimes": still two. */
    a[nth_of(VN_WB_COMPLAINT, 2)] = 1;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_int_equal(s.complaints, 2);
    assert_false(s.overstrain);
    /* Every sign and criterion at the top does not make a complaint. */
    for (size_t i = 0; i < VN_WB_ITEMS; i++)
        if (vn_wellbeing_item_at(i)->kind != VN_WB_COMPLAINT) a[i] = 3;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_int_equal(s.complaints, 2);
    assert_int_equal(s.signs, 4);
    assert_true(s.criteria);
    assert_false(s.overstrain);
    /* Exactly three. */
    a[nth_of(VN_WB_COMPLAINT, 2)] = 2;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_int_equal(s.complaints, 3);
    assert_true(s.overstrain);
    assert_int_equal(s.total, 2 + 3 + 2 + 6 * 3);
    /* An answer out of range is refused. */
    a[0] = 4;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_EINVAL);
}

static void test_exhausted(void **state)
{
    (void)state;
    uint8_t a[VN_WB_ITEMS] = {0};
    vn_wellbeing_score s;
    size_t tired = 0;
    for (size_t i = 0; i < VN_WB_ITEMS; i++)
        if (vn_wellbeing_item_at(i)->fatigue) tired = i;
    a[tired] = 2;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_false(s.exhausted);
    a[tired] = 3;
    assert_int_equal(vn_wellbeing_score_of(a, &s), VN_OK);
    assert_true(s.exhausted);
    assert_int_equal(s.complaints, 1);
}

static void test_run_and_burnout(void **state)
{
    (void)state;
    int32_t day[] = {100, 114, 128, 142, 300, 314};
    bool over[] = {true, false, true, true, true, true};
    assert_int_equal(vn_wellbeing_run_start(day, over, 0), -1);
    assert_int_equal(vn_wellbeing_run_start(day, over, 2), -1);
    assert_int_equal(vn_wellbeing_run_start(day, over, 1), 100);
    assert_int_equal(vn_wellbeing_run_start(day, over, 6), 128);
    /* 314 - 128 = 186 days > 183, exhausted: burnout. */
    assert_true(vn_wellbeing_burnout(day, over, 6, true));
    assert_false(vn_wellbeing_burnout(day, over, 6, false));
    /* 300 - 128 = 172 days: not yet. */
    assert_false(vn_wellbeing_burnout(day, over, 5, true));
    /* Exactly 183 days is not "longer than six months". */
    int32_t d2[] = {0, 183};
    bool o2[] = {true, true};
    assert_false(vn_wellbeing_burnout(d2, o2, 2, true));
    d2[1] = 184;
    assert_true(vn_wellbeing_burnout(d2, o2, 2, true));
    /* The last check without overstrain ends the run. */
    bool o3[] = {true, false};
    assert_false(vn_wellbeing_burnout(d2, o3, 2, true));
}

static void test_interval(void **state)
{
    (void)state;
    int32_t d = 0;
    assert_int_equal(vn_wellbeing_interval_parse("2w", &d), VN_OK);
    assert_int_equal(d, 14);
    assert_int_equal(vn_wellbeing_interval_parse("10d", &d), VN_OK);
    assert_int_equal(d, 10);
    assert_int_equal(vn_wellbeing_interval_parse("1m", &d), VN_OK);
    assert_int_equal(d, 30);
    assert_int_equal(vn_wellbeing_interval_parse("0d", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse("53w", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse("2", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse("2y", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse("w", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse("-2w", &d), VN_EINVAL);
    assert_int_equal(vn_wellbeing_interval_parse(NULL, &d), VN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items),           cmocka_unit_test(test_parse),
        cmocka_unit_test(test_threshold),       cmocka_unit_test(test_exhausted),
        cmocka_unit_test(test_run_and_burnout), cmocka_unit_test(test_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
