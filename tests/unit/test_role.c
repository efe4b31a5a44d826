/* Unit tests of the role names: every role's name, the parse of every name
 * back to its role, and the names that must not parse (the "none"
 * placeholder, case variants, near misses, NULL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/role.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The names are stored by clients and typed by operators: they never change. */
static const struct {
    vn_role role;
    const char *name;
} roles[] = {
    {VN_ROLE_PARTICIPANT, "participant"},
    {VN_ROLE_CASEMANAGER, "casemanager"},
    {VN_ROLE_BUDDY, "buddy"},
    {VN_ROLE_NAASTE, "naaste"},
    {VN_ROLE_MEDICAL_LEAD, "medical-lead"},
    {VN_ROLE_ADMIN, "admin"},
    {VN_ROLE_INTAKE, "intake"},
    {VN_ROLE_VISITOR, "visitor"},
    {VN_ROLE_FACILITATOR, "facilitator"},
};

static void test_numbers_are_stable(void **state)
{
    /* Stored as one byte: the numbers are part of the store format. */
    assert_int_equal(VN_ROLE_NONE, 0);
    assert_int_equal(VN_ROLE_PARTICIPANT, 1);
    assert_int_equal(VN_ROLE_CASEMANAGER, 2);
    assert_int_equal(VN_ROLE_BUDDY, 3);
    assert_int_equal(VN_ROLE_NAASTE, 4);
    assert_int_equal(VN_ROLE_MEDICAL_LEAD, 5);
    assert_int_equal(VN_ROLE_ADMIN, 6);
    assert_int_equal(VN_ROLE_INTAKE, 7);
    assert_int_equal(VN_ROLE_VISITOR, 8);
    assert_int_equal(VN_ROLE_FACILITATOR, 9);
}

static void test_name_and_parse_round_trip(void **state)
{
    for (size_t i = 0; i < NELEM(roles); i++) {
        vn_role r = VN_ROLE_NONE;
        assert_string_equal(vn_role_name(roles[i].role), roles[i].name);
        assert_int_equal(vn_role_parse(roles[i].name, &r), VN_OK);
        assert_int_equal(r, roles[i].role);
    }
}

static void test_unknown_roles_are_named_none(void **state)
{
    assert_string_equal(vn_role_name(VN_ROLE_NONE), "none");
    assert_string_equal(vn_role_name((vn_role)10), "none");
    assert_string_equal(vn_role_name((vn_role)255), "none");
    assert_string_equal(vn_role_name((vn_role)-1), "none");
    assert_string_equal(vn_role_name((vn_role)0x7fffffff), "none");
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "none", /* the placeholder is not a role anyone can be given */
        "",       "Participant", "BUDDY", "medical_lead", "medical lead",  "medicallead", "buddy ",
        " buddy", "buddies",     "budd",  "admin\n",      "casemanager\t", "king",        "1",
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        vn_role r = (vn_role)99;
        if (vn_role_parse(bad[i], &r) != VN_EINVAL) fail_msg("\"%s\" parsed as a role", bad[i]);
        assert_int_equal(r, 99); /* untouched on failure */
    }
    vn_role r = (vn_role)99;
    assert_int_equal(vn_role_parse(NULL, &r), VN_EINVAL);
    assert_int_equal(r, 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_are_stable),
        cmocka_unit_test(test_name_and_parse_round_trip),
        cmocka_unit_test(test_unknown_roles_are_named_none),
        cmocka_unit_test(test_parse_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
