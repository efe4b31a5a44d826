/* Unit tests of contract terms: the default template, every rule of
 * vn_terms_validate at its boundary (just valid, just invalid), contract
 * months counted from the start with end-of-month clamping, rates and draw
 * probabilities per phase, contract years, and the wire form both ways
 * (round trip through a packed message, and each bad field refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vn/day.h"
#include "vn/terms.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int32_t D(int y, int m, int d)
{
    return vn_day_from_civil(y, m, d);
}

static void test_default(void **state)
{
    vn_terms t;
    memset(&t, 0xee, sizeof t);
    vn_terms_default(&t, D(2027, 1, 4));
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    assert_int_equal(t.start_day, D(2027, 1, 4));
    assert_int_equal(t.months, 60);
    assert_int_equal(t.nphases, 3);
    assert_int_equal(t.phases[0].from_month, 1);
    assert_int_equal(t.phases[0].to_month, 12);
    assert_int_equal(t.phases[0].tests_per_month, 4);
    assert_int_equal(t.phases[1].from_month, 13);
    assert_int_equal(t.phases[1].to_month, 24);
    assert_int_equal(t.phases[1].tests_per_month, 2);
    assert_int_equal(t.phases[2].from_month, 25);
    assert_int_equal(t.phases[2].to_month, 60);
    assert_int_equal(t.phases[2].tests_per_month, 1);
    assert_int_equal(t.cm_contact_days, 30);
    assert_int_equal(t.buddy_contact_days, 7);
    assert_int_equal(t.selfhelp_days, 7);
    assert_int_equal(t.checkin_start_min, 300);
    assert_int_equal(t.checkin_end_min, 840);
    assert_int_equal(t.absence_max_days, 14);
    assert_int_equal(t.remind_days, 2);
    /* Unused phase slots are cleared, not left as they were. */
    for (int i = 3; i < VN_PHASES_MAX; i++)
        assert_int_equal(t.phases[i].to_month, 0);
}

/* One phase 1..months at rate 2: the smallest valid contract of that length. */
static vn_terms one_phase(uint16_t months)
{
    vn_terms t;
    vn_terms_default(&t, D(2027, 1, 4));
    t.months = months;
    t.nphases = 1;
    t.phases[0] = (vn_phase){1, months, 2};
    return t;
}

static void test_validate_boundaries(void **state)
{
    vn_terms t;
    assert_int_equal(vn_terms_validate(NULL), VN_EINVAL);

#define EXPECT(want, edit)                                                                         \
    do {                                                                                           \
        vn_terms_default(&t, D(2027, 1, 4));                                                       \
        edit;                                                                                      \
        if (vn_terms_validate(&t) != (want)) fail_msg("%s should give %s", #edit, #want);          \
    } while (0)

    /* start_day: 1970-01-01 .. 9989-12-31 */
    EXPECT(VN_OK, t.start_day = 0);
    EXPECT(VN_EINVAL, t.start_day = -1);
    EXPECT(VN_OK, t.start_day = D(9989, 12, 31));
    EXPECT(VN_EINVAL, t.start_day = D(9989, 12, 31) + 1);
    EXPECT(VN_EINVAL, t.start_day = INT32_MIN);
    EXPECT(VN_EINVAL, t.start_day = INT32_MAX);
    /* months: 1 .. VN_MONTHS_MAX, covered exactly by the phases */
    EXPECT(VN_OK, t = one_phase(1));
    EXPECT(VN_OK, t = one_phase(VN_MONTHS_MAX));
    EXPECT(VN_EINVAL, t = one_phase(VN_MONTHS_MAX + 1));
    EXPECT(VN_EINVAL, (t = one_phase(1), t.months = 0, t.phases[0].to_month = 0));
    EXPECT(VN_EINVAL, t.months = 59); /* phases end after the contract */
    EXPECT(VN_EINVAL, t.months = 61); /* phases end before it */
    /* nphases: 1 .. VN_PHASES_MAX */
    EXPECT(VN_EINVAL, t.nphases = 0);
    EXPECT(VN_EINVAL, t.nphases = VN_PHASES_MAX + 1);
    EXPECT(VN_EINVAL, t.nphases = 255);
    EXPECT(VN_EINVAL, t.nphases = 2); /* then they end at 24, not 60 */
    /* phase shape: from 1, ascending, contiguous, no overlap, no gap */
    EXPECT(VN_EINVAL, t.phases[0].from_month = 0);
    EXPECT(VN_EINVAL, t.phases[0].from_month = 2);
    EXPECT(VN_EINVAL, t.phases[1].from_month = 12);                              /* overlap */
    EXPECT(VN_EINVAL, t.phases[1].from_month = 14);                              /* gap */
    EXPECT(VN_EINVAL, (t.phases[0].to_month = 11, t.phases[1].from_month = 13)); /* gap */
    EXPECT(VN_EINVAL, (t.phases[1].from_month = 25, t.phases[1].to_month = 60,
                       t.phases[2].from_month = 13, t.phases[2].to_month = 24)); /* out of order */
    EXPECT(VN_EINVAL, (t.phases[1].to_month = 12, t.phases[2].from_month = 13)); /* to < from */
    EXPECT(VN_OK, (t.phases[1].to_month = 13, t.phases[2].from_month = 14)); /* one month long */
    /* rates: 0 .. 31 */
    EXPECT(VN_OK, t.phases[0].tests_per_month = 0);
    EXPECT(VN_OK, t.phases[2].tests_per_month = 31);
    EXPECT(VN_EINVAL, t.phases[2].tests_per_month = 32);
    EXPECT(VN_EINVAL, t.phases[0].tests_per_month = UINT16_MAX);
    /* contact intervals: at least one day */
    EXPECT(VN_EINVAL, t.cm_contact_days = 0);
    EXPECT(VN_EINVAL, t.buddy_contact_days = 0);
    EXPECT(VN_EINVAL, t.selfhelp_days = 0);
    EXPECT(VN_OK, (t.cm_contact_days = 1, t.buddy_contact_days = 1, t.selfhelp_days = 1));
    /* check-in window: non-empty, within the day */
    EXPECT(VN_EINVAL, t.checkin_end_min = t.checkin_start_min);
    EXPECT(VN_EINVAL, (t.checkin_start_min = 600, t.checkin_end_min = 599));
    EXPECT(VN_OK, (t.checkin_start_min = 0, t.checkin_end_min = 1440));
    EXPECT(VN_OK, (t.checkin_start_min = 1439, t.checkin_end_min = 1440));
    EXPECT(VN_EINVAL, t.checkin_end_min = 1441);
    /* absence allowance: at most a year */
    EXPECT(VN_OK, t.absence_max_days = 0);
    EXPECT(VN_OK, t.absence_max_days = 366);
    EXPECT(VN_EINVAL, t.absence_max_days = 367);
#undef EXPECT

    /* The most phases allowed, each fifteen months. */
    t = one_phase(120);
    t.nphases = VN_PHASES_MAX;
    for (int i = 0; i < VN_PHASES_MAX; i++)
        t.phases[i] = (vn_phase){(uint16_t)(15 * i + 1), (uint16_t)(15 * i + 15), (uint16_t)i};
    assert_int_equal(vn_terms_validate(&t), VN_OK);
}

static void test_month_of(void **state)
{
    vn_terms t;
    /* Started on the 31st: February's month starts on the 28th, and March's
     * on the 31st again (counted from the start, never accumulated). */
    vn_terms_default(&t, D(2027, 1, 31));
    static const struct {
        int y, m, d, k;
    } cases[] = {
        {2027, 1, 30, 0},  {2027, 1, 31, 1},  {2027, 2, 27, 1},  {2027, 2, 28, 2},
        {2027, 3, 30, 2},  {2027, 3, 31, 3},  {2027, 4, 29, 3},  {2027, 4, 30, 4},
        {2028, 1, 30, 12}, {2028, 1, 31, 13}, {2028, 2, 28, 13}, {2028, 2, 29, 14},
        {2032, 1, 30, 60}, {2032, 1, 31, 61}, {2040, 1, 1, 61},  {1970, 1, 1, 0},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        int k = vn_terms_month_of(&t, D(cases[i].y, cases[i].m, cases[i].d));
        if (k != cases[i].k)
            fail_msg("%04d-%02d-%02d is month %d, want %d", cases[i].y, cases[i].m, cases[i].d, k,
                     cases[i].k);
    }
    assert_int_equal(vn_terms_end_day(&t), D(2032, 1, 30));
    assert_int_equal(vn_terms_month_start(&t, 1), D(2027, 1, 31));
    assert_int_equal(vn_terms_month_start(&t, 2), D(2027, 2, 28));
    assert_int_equal(vn_terms_month_start(&t, 61), D(2032, 1, 31));
    assert_false(vn_terms_active(&t, D(2027, 1, 30)));
    assert_true(vn_terms_active(&t, D(2027, 1, 31)));
    assert_true(vn_terms_active(&t, D(2032, 1, 30)));
    assert_false(vn_terms_active(&t, D(2032, 1, 31)));
}

/* For several awkward starts, every day of the contract (and a margin) is
 * in month k exactly when month_start(k) <= day < month_start(k+1). */
static void test_month_of_agrees_with_month_start(void **state)
{
    static const int starts[][3] = {{2027, 1, 31}, {2028, 2, 29},  {2027, 3, 1},
                                    {2027, 8, 30}, {2027, 12, 31}, {1970, 1, 1}};
    for (size_t s = 0; s < NELEM(starts); s++) {
        vn_terms t = one_phase(VN_MONTHS_MAX);
        t.start_day = D(starts[s][0], starts[s][1], starts[s][2]);
        assert_int_equal(vn_terms_validate(&t), VN_OK);
        int k = 1;
        for (int32_t day = t.start_day - 40; day <= vn_terms_end_day(&t) + 40; day++) {
            int want;
            if (day < t.start_day) {
                want = 0;
            } else if (day > vn_terms_end_day(&t)) {
                want = t.months + 1;
            } else {
                while (day >= vn_terms_month_start(&t, k + 1))
                    k++;
                want = k;
            }
            if (vn_terms_month_of(&t, day) != want)
                fail_msg("start %d: day %d is month %d, want %d", t.start_day, day,
                         vn_terms_month_of(&t, day), want);
        }
        assert_int_equal(k, VN_MONTHS_MAX);
    }
}

static void test_rate_draw_year(void **state)
{
    vn_terms t;
    vn_terms_default(&t, D(2027, 1, 1));
    uint16_t rate = 99;
    int32_t len = 99;
    /* Outside the contract: nothing. */
    assert_int_equal(vn_terms_rate(&t, D(2026, 12, 31)), 0);
    assert_true(vn_terms_draw_p(&t, D(2026, 12, 31)) == 0.0);
    assert_int_equal(vn_terms_year_of(&t, D(2026, 12, 31)), 0);
    assert_false(vn_terms_month_rate(&t, D(2026, 12, 31), &rate, &len));
    assert_int_equal(rate, 99); /* untouched */
    assert_int_equal(vn_terms_rate(&t, D(2032, 1, 1)), 0);
    assert_true(vn_terms_draw_p(&t, D(2032, 1, 1)) == 0.0);
    assert_int_equal(vn_terms_year_of(&t, D(2032, 1, 1)), 0);
    assert_false(vn_terms_month_rate(&t, D(2032, 1, 1), &rate, &len));

    /* Phase boundaries: month 12 -> 13 and 24 -> 25. */
    assert_int_equal(vn_terms_rate(&t, D(2027, 1, 1)), 4);
    assert_int_equal(vn_terms_rate(&t, D(2027, 12, 31)), 4);
    assert_int_equal(vn_terms_rate(&t, D(2028, 1, 1)), 2);
    assert_int_equal(vn_terms_rate(&t, D(2028, 12, 31)), 2);
    assert_int_equal(vn_terms_rate(&t, D(2029, 1, 1)), 1);
    assert_int_equal(vn_terms_rate(&t, D(2031, 12, 31)), 1);

    /* rate / days in the contract month. */
    assert_true(vn_terms_month_rate(&t, D(2027, 2, 10), &rate, &len));
    assert_int_equal(rate, 4);
    assert_int_equal(len, 28);
    assert_float_equal(vn_terms_draw_p(&t, D(2027, 2, 10)), 4.0 / 28.0, 1e-12);
    assert_float_equal(vn_terms_draw_p(&t, D(2027, 1, 10)), 4.0 / 31.0, 1e-12);
    assert_float_equal(vn_terms_draw_p(&t, D(2028, 2, 10)), 2.0 / 29.0, 1e-12);
    assert_float_equal(vn_terms_draw_p(&t, D(2029, 4, 30)), 1.0 / 30.0, 1e-12);

    /* Years: months 1-12 are year 1. */
    assert_int_equal(vn_terms_year_of(&t, D(2027, 1, 1)), 1);
    assert_int_equal(vn_terms_year_of(&t, D(2027, 12, 31)), 1);
    assert_int_equal(vn_terms_year_of(&t, D(2028, 1, 1)), 2);
    assert_int_equal(vn_terms_year_of(&t, D(2031, 12, 31)), 5);

    /* A rate above the month length draws every day, never more; 0 never. */
    t.phases[0].tests_per_month = 31;
    t.phases[1].tests_per_month = 0;
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    assert_true(vn_terms_draw_p(&t, D(2027, 2, 10)) == 1.0);
    assert_true(vn_terms_draw_p(&t, D(2027, 1, 10)) == 1.0);
    assert_float_equal(vn_terms_draw_p(&t, D(2027, 2, 10)), 1.0, 0);
    assert_true(vn_terms_draw_p(&t, D(2028, 3, 3)) == 0.0);
    assert_true(vn_terms_month_rate(&t, D(2028, 3, 3), &rate, &len));
    assert_int_equal(rate, 0);
    assert_int_equal(len, 31);
}

/* to_pb, pack, unpack, from_pb: the same terms come back. */
static void round_trip(const vn_terms *in)
{
    Vn__Contract *c = NULL;
    vn_terms out;
    assert_int_equal(vn_terms_to_pb(in, "00112233445566778899aabbccddeeff", "Europe/Amsterdam", &c),
                     VN_OK);
    assert_string_equal(c->case_id, "00112233445566778899aabbccddeeff");
    assert_string_equal(c->time_zone, "Europe/Amsterdam");
    assert_int_equal(c->n_phases, in->nphases);
    size_t n = vn__contract__get_packed_size(c);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    assert_int_equal(vn__contract__pack(c, buf), n);
    vn__contract__free_unpacked(c, NULL);
    c = vn__contract__unpack(NULL, n, buf);
    free(buf);
    assert_non_null(c);
    memset(&out, 0x77, sizeof out);
    assert_int_equal(vn_terms_from_pb(c, &out), VN_OK);
    vn__contract__free_unpacked(c, NULL);
    assert_int_equal(out.start_day, in->start_day);
    assert_int_equal(out.months, in->months);
    assert_int_equal(out.nphases, in->nphases);
    for (int i = 0; i < in->nphases; i++) {
        assert_int_equal(out.phases[i].from_month, in->phases[i].from_month);
        assert_int_equal(out.phases[i].to_month, in->phases[i].to_month);
        assert_int_equal(out.phases[i].tests_per_month, in->phases[i].tests_per_month);
    }
    assert_int_equal(out.cm_contact_days, in->cm_contact_days);
    assert_int_equal(out.buddy_contact_days, in->buddy_contact_days);
    assert_int_equal(out.selfhelp_days, in->selfhelp_days);
    assert_int_equal(out.checkin_start_min, in->checkin_start_min);
    assert_int_equal(out.checkin_end_min, in->checkin_end_min);
    assert_int_equal(out.absence_max_days, in->absence_max_days);
    assert_int_equal(out.remind_days, in->remind_days);
}

static void test_pb_round_trip(void **state)
{
    vn_terms t;
    vn_terms_default(&t, D(2027, 1, 4));
    round_trip(&t);
    vn_terms_default(&t, 0);
    round_trip(&t);
    /* Every field away from its default, eight phases, the last start day. */
    t = one_phase(120);
    t.start_day = D(9989, 12, 31);
    t.nphases = VN_PHASES_MAX;
    for (int i = 0; i < VN_PHASES_MAX; i++)
        t.phases[i] =
            (vn_phase){(uint16_t)(15 * i + 1), (uint16_t)(15 * i + 15), (uint16_t)(31 - i)};
    t.cm_contact_days = 366;
    t.buddy_contact_days = 1;
    t.selfhelp_days = 13;
    t.checkin_start_min = 0;
    t.checkin_end_min = 1440;
    t.absence_max_days = 366;
    t.remind_days = 60;
    assert_int_equal(vn_terms_validate(&t), VN_OK);
    round_trip(&t);
}

static void test_from_pb_rejects(void **state)
{
    Vn__Contract *c = NULL;
    vn_terms t, good;
    vn_terms_default(&good, D(2027, 1, 4));

#define EXPECT_BAD(edit)                                                                           \
    do {                                                                                           \
        assert_int_equal(vn_terms_to_pb(&good, "00", "UTC", &c), VN_OK);                           \
        assert_int_equal(vn_terms_from_pb(c, &t), VN_OK);                                          \
        edit;                                                                                      \
        if (vn_terms_from_pb(c, &t) != VN_EINVAL) fail_msg("%s was accepted", #edit);              \
        vn__contract__free_unpacked(c, NULL);                                                      \
    } while (0)

    /* Start dates that do not parse or lie before 1970; the original string
     * is put back before freeing, the test's own are static. */
    static char bad_date[] = "2027-02-30", empty[] = "", before[] = "1969-12-31",
                spaced[] = "2027-01-04 ";
    char *const bad_dates[] = {bad_date, empty, before, spaced};
    assert_int_equal(vn_terms_to_pb(&good, "00", "UTC", &c), VN_OK);
    char *orig = c->start_date;
    for (size_t i = 0; i < NELEM(bad_dates); i++) {
        c->start_date = bad_dates[i];
        if (vn_terms_from_pb(c, &t) != VN_EINVAL) fail_msg("start %s accepted", bad_dates[i]);
    }
    c->start_date = orig;
    /* No phases (the count is put back so that all are freed). */
    size_t nph = c->n_phases;
    c->n_phases = 0;
    assert_int_equal(vn_terms_from_pb(c, &t), VN_EINVAL);
    c->n_phases = nph;
    vn__contract__free_unpacked(c, NULL);

    EXPECT_BAD(c->months = 0);
    EXPECT_BAD(c->months = 61);
    EXPECT_BAD(c->months = 601);
    EXPECT_BAD(c->months = 65536 + 60); /* would wrap to 60 in 16 bits */
    EXPECT_BAD(c->phases[2]->to_month = 601);
    EXPECT_BAD(c->phases[2]->to_month = 65536 + 60);
    EXPECT_BAD(c->phases[0]->from_month = 65536 + 1);
    EXPECT_BAD(c->phases[1]->tests_per_month = 32);
    EXPECT_BAD(c->phases[1]->tests_per_month = 65536 + 2);
    EXPECT_BAD(c->phases[1]->from_month = 14);
    EXPECT_BAD(c->cm_contact_days = 0);
    EXPECT_BAD(c->cm_contact_days = 367);
    EXPECT_BAD(c->buddy_contact_days = 65536 + 7);
    EXPECT_BAD(c->selfhelp_days = 367);
    EXPECT_BAD(c->checkin_start_min = 1441);
    EXPECT_BAD(c->checkin_end_min = 1441);
    EXPECT_BAD(c->checkin_end_min = 65536 + 840);
    EXPECT_BAD(c->checkin_end_min = c->checkin_start_min);
    EXPECT_BAD(c->absence_max_days = 367);
    EXPECT_BAD(c->remind_days = 61);
#undef EXPECT_BAD

    /* Nine phases: more than the terms hold. */
    Vn__Contract nine = VN__CONTRACT__INIT;
    Vn__Phase ph[9], *pp[9];
    for (int i = 0; i < 9; i++) {
        vn__phase__init(&ph[i]);
        ph[i].from_month = (uint32_t)i + 1;
        ph[i].to_month = (uint32_t)i + 1;
        ph[i].tests_per_month = 1;
        pp[i] = &ph[i];
    }
    static char start[] = "2027-01-04";
    nine.start_date = start;
    nine.months = 9;
    nine.n_phases = 9;
    nine.phases = pp;
    nine.cm_contact_days = nine.buddy_contact_days = nine.selfhelp_days = 7;
    nine.checkin_start_min = 300;
    nine.checkin_end_min = 840;
    assert_int_equal(vn_terms_from_pb(&nine, &t), VN_EINVAL);
    nine.n_phases = 8; /* eight of them, over eight months, are fine */
    nine.months = 8;
    assert_int_equal(vn_terms_from_pb(&nine, &t), VN_OK);
    assert_int_equal(t.nphases, 8);
    assert_int_equal(t.months, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_validate_boundaries),
        cmocka_unit_test(test_month_of),
        cmocka_unit_test(test_month_of_agrees_with_month_start),
        cmocka_unit_test(test_rate_draw_year),
        cmocka_unit_test(test_pb_round_trip),
        cmocka_unit_test(test_from_pb_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
