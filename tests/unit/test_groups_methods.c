/* Unit tests of the intervision methods as data (vn/intervision.h): the
 * four methods and their phases in order, every phase complete, exactly
 * the phases that take turns or record a plan, and the turn logic of an
 * advice round: who may post, which turn is now, and how a receiver takes
 * a post in or out of turn.
 * covers: intervision */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/intervision.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void expect_phases(const char *method, const char *const *keys, size_t n)
{
    const vn_intervision_method *m = vn_intervision_method_find(method);
    assert_non_null(m);
    assert_int_equal(m->nphases, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(m->phases[i].key, keys[i]);
}

static void test_basic_method_has_five_phases_in_order(void **state)
{
    (void)state;
    static const char *const keys[] = {"inventory", "analysis", "advice", "action-plan",
                                       "evaluation"};
    expect_phases("basic", keys, NELEM(keys));
    const vn_intervision_method *m = vn_intervision_method_find("basic");
    assert_int_equal(m->phases[2].speaker, VN_IV_TURNS); /* the advice round goes in turn */
    assert_true(m->phases[3].plan);                      /* the action plan */
    assert_int_equal(m->phases[3].speaker, VN_IV_PRESENTER);
}

static void test_other_methods(void **state)
{
    (void)state;
    static const char *const incident[] = {"incident", "exploring", "experiences", "alternatives",
                                           "evaluation"};
    static const char *const balint[] = {"follow-up",  "inventory", "presentation", "questions",
                                         "reflection", "response",  "evaluation"};
    static const char *const roddel[] = {"inventory", "clarification", "roddel", "feedback",
                                         "evaluation"};
    expect_phases("incident", incident, NELEM(incident));
    expect_phases("balint", balint, NELEM(balint));
    expect_phases("roddel", roddel, NELEM(roddel));
    /* In the roddel round the presenter sits outside the circle. */
    assert_int_equal(vn_intervision_method_find("roddel")->phases[2].speaker, VN_IV_MEMBERS);
    /* The Balint reflection: the presenter steps back, the group reacts freely. */
    assert_int_equal(vn_intervision_method_find("balint")->phases[4].speaker, VN_IV_MEMBERS);
}

static void test_every_phase_is_complete(void **state)
{
    (void)state;
    size_t methods = 0;
    for (const vn_intervision_method *m; (m = vn_intervision_method_at(methods)); methods++) {
        size_t plans = 0;
        assert_true(m->nphases >= 1 && m->nphases <= VN_IV_PHASES_MAX);
        assert_true(m->title[0] && m->about[0]);
        assert_ptr_equal(vn_intervision_method_find(m->key), m);
        assert_non_null(strstr(vn_intervision_method_keys(), m->key));
        for (size_t i = 0; i < m->nphases; i++) {
            const vn_intervision_phase *ph = &m->phases[i];
            assert_true(ph->key[0] && ph->title[0]);
            assert_true(ph->minutes >= 1 && ph->minutes <= VN_IV_MINUTES_MAX);
            assert_true(ph->speaker >= VN_IV_ALL && ph->speaker <= VN_IV_TURNS);
            for (vn_intervision_part p = VN_IV_FACILITATOR; p <= VN_IV_MEMBER; p++)
                assert_true(vn_intervision_asked(ph, p) && vn_intervision_asked(ph, p)[0]);
            for (size_t k = 0; k < i; k++)
                assert_string_not_equal(ph->key, m->phases[k].key);
            plans += ph->plan;
        }
        assert_int_equal(plans, 1); /* one place for the presenter's plan */
        assert_string_equal(m->phases[m->nphases - 1].key, "evaluation");
    }
    assert_int_equal(methods, 4);
    assert_null(vn_intervision_method_find("socratic"));
    assert_null(vn_intervision_method_find(""));
    assert_null(vn_intervision_method_find(NULL));
    assert_non_null(strstr(vn_intervision_ground_rules(), "stays in the group"));
}

static void test_current_turn(void **state)
{
    (void)state;
    uint32_t done[] = {1, 3};
    assert_int_equal(vn_intervision_current_turn(NULL, 0, 4), 1);
    assert_int_equal(vn_intervision_current_turn(done, 1, 4), 2);
    assert_int_equal(vn_intervision_current_turn(done, 2, 4), 2); /* 3 came early: 2 is still due */
    uint32_t all[] = {4, 2, 1, 3, 3, 9}; /* order, duplicates, out of range */
    assert_int_equal(vn_intervision_current_turn(all, NELEM(all), 4), 0);
    assert_int_equal(vn_intervision_current_turn(NULL, 0, 0), 0); /* nobody to take turns */
}

static void test_who_may_post(void **state)
{
    (void)state;
    const vn_intervision_method *m = vn_intervision_method_find("basic");
    const vn_intervision_phase *inv = &m->phases[0], *advice = &m->phases[2], *plan = &m->phases[3];
    const char *why = NULL;
    /* Everyone in the inventory. */
    assert_int_equal(vn_intervision_may_post(inv, VN_IV_MEMBER, 0, 0, &why), VN_OK);
    assert_null(why);
    assert_int_equal(vn_intervision_may_post(inv, VN_IV_PRESENTER_PART, 0, 0, NULL), VN_OK);
    /* The advice round: the presenter listens, members in order. */
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_PRESENTER_PART, 0, 1, &why), VN_EDENIED);
    assert_non_null(strstr(why, "presenter listens"));
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_MEMBER, 2, 2, &why), VN_OK);
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_MEMBER, 3, 2, &why), VN_EDENIED);
    assert_non_null(strstr(why, "not your turn yet"));
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_MEMBER, 1, 2, &why), VN_EDENIED);
    assert_non_null(strstr(why, "had your turn"));
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_MEMBER, 4, 0, &why), VN_EDENIED);
    assert_non_null(strstr(why, "had your turn"));
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_MEMBER, 0, 1, &why), VN_EDENIED);
    assert_non_null(strstr(why, "no turn"));
    /* The facilitator guards the process in every phase. */
    assert_int_equal(vn_intervision_may_post(advice, VN_IV_FACILITATOR, 0, 1, NULL), VN_OK);
    assert_int_equal(vn_intervision_may_post(plan, VN_IV_FACILITATOR, 0, 0, NULL), VN_OK);
    /* The action plan is the presenter's. */
    assert_int_equal(vn_intervision_may_post(plan, VN_IV_PRESENTER_PART, 0, 0, NULL), VN_OK);
    assert_int_equal(vn_intervision_may_post(plan, VN_IV_MEMBER, 1, 0, &why), VN_EDENIED);
    assert_non_null(strstr(why, "members listen"));
    /* The roddel round: the presenter is outside the circle. */
    const vn_intervision_phase *roddel = &vn_intervision_method_find("roddel")->phases[2];
    assert_int_equal(vn_intervision_may_post(roddel, VN_IV_PRESENTER_PART, 0, 0, NULL), VN_EDENIED);
    assert_int_equal(vn_intervision_may_post(roddel, VN_IV_MEMBER, 0, 0, NULL), VN_OK);
}

static void test_receiver_takes_turns(void **state)
{
    (void)state;
    uint32_t done[VN_IV_TURNS_MAX] = {0};
    size_t n = 0;
    /* Turn 1 by its owner fills it. */
    assert_true(vn_intervision_turn_valid(1, 1, done, n));
    done[n++] = 1;
    /* Claimed twice: out of turn. */
    assert_false(vn_intervision_turn_valid(1, 1, done, n));
    /* A member claiming someone else's turn: out of turn. */
    assert_false(vn_intervision_turn_valid(2, 3, done, n));
    /* No turn claimed in a turn-taking phase: out of turn. */
    assert_false(vn_intervision_turn_valid(0, 0, done, n));
    assert_false(vn_intervision_turn_valid(0, 2, done, n));
    /* Turns that arrive out of order still count for their owners. */
    assert_true(vn_intervision_turn_valid(3, 3, done, n));
    done[n++] = 3;
    assert_true(vn_intervision_turn_valid(2, 2, done, n));
    done[n++] = 2;
    assert_int_equal(vn_intervision_current_turn(done, n, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_method_has_five_phases_in_order),
        cmocka_unit_test(test_other_methods),
        cmocka_unit_test(test_every_phase_is_complete),
        cmocka_unit_test(test_current_turn),
        cmocka_unit_test(test_who_may_post),
        cmocka_unit_test(test_receiver_takes_turns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
