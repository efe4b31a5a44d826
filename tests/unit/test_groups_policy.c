/* Unit tests of the policy's group rules (vn/policy.h): only participants
 * join groups, only facilitators and casemanagers run them, and a
 * facilitator reaches nobody 1:1 by role alone (only the members of their
 * own groups, a relation the server checks in its store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/policy.h"

static void test_group_roles(void **state)
{
    (void)state;
    for (int r = 0; r < 256; r++) {
        assert_int_equal(vn_policy_group_member((vn_role)r), r == VN_ROLE_PARTICIPANT);
        assert_int_equal(vn_policy_group_facilitator((vn_role)r),
                         r == VN_ROLE_FACILITATOR || r == VN_ROLE_CASEMANAGER);
    }
    assert_false(vn_policy_in_team(VN_ROLE_FACILITATOR));
}

static void test_facilitator_reaches_nobody_by_role(void **state)
{
    (void)state;
    const char *rule = NULL;
    vn_party fac = {.role = VN_ROLE_FACILITATOR}, other = {.role = VN_ROLE_NONE};
    memset(fac.account, 1, sizeof fac.account);
    memset(other.account, 2, sizeof other.account);
    for (int r = 0; r <= VN_ROLE_FACILITATOR; r++) {
        other.role = (vn_role)r;
        assert_int_equal(vn_policy_message(&fac, &other, &rule), VN_EDENIED);
        assert_string_equal(rule, "a facilitator may message only the members of their own groups");
        /* Nor does any role reach a facilitator by role alone. */
        assert_int_equal(vn_policy_message(&other, &fac, NULL), VN_EDENIED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_roles),
        cmocka_unit_test(test_facilitator_reaches_nobody_by_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
