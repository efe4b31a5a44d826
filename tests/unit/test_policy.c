/* Unit tests of the messaging policy (docs/ARCHITECTURE.md): the whole role matrix as a
 * table, every ordered pair of roles (including NONE and values outside the
 * enum) in four situations: both in the same open case, in different cases,
 * in no case, and in the same case after it was closed. Then the refusal
 * sentences, self-messages, half-closed cases and the care-team roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vn/policy.h"
#include "vn/account.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Two roles outside the enum: a number no role has and the largest byte
 * a corrupted store could hold. */
#define ROLE_X10  ((vn_role)10)
#define ROLE_X255 ((vn_role)255)

enum situation { SAME, OTHER, NOCASE, CLOSED, NSITUATIONS };
static const char *const situation_name[] = {"same case", "other case", "no case", "closed case"};

#define K VN_OK
#define D VN_EDENIED

/* The matrix, written out from docs/ARCHITECTURE.md (and care_network.sh's copy of it),
 * not derived from policy.c: a participant reaches their own casemanager,
 * buddies and naasten; a casemanager the participants, buddies and naasten
 * of their own cases and any medical lead; a buddy the participant, the
 * casemanager and the other buddies of their case; a naaste only their
 * casemanager; a medical lead any casemanager; admins, NONE and unknown
 * roles nobody. Nobody reaches a role outside the enum. */
static const struct row {
    vn_role from, to;
    vn_err want[NSITUATIONS]; /* SAME, OTHER, NOCASE, CLOSED */
} matrix[] = {
    /* from participant */
    {VN_ROLE_PARTICIPANT, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_CASEMANAGER, {K, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_BUDDY, {K, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_NAASTE, {K, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, ROLE_X255, {D, D, D, D}},
    /* from casemanager */
    {VN_ROLE_CASEMANAGER, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_PARTICIPANT, {K, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_BUDDY, {K, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_NAASTE, {K, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_MEDICAL_LEAD, {K, K, K, K}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, ROLE_X255, {D, D, D, D}},
    /* from buddy */
    {VN_ROLE_BUDDY, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_PARTICIPANT, {K, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_CASEMANAGER, {K, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_BUDDY, {K, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_BUDDY, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_BUDDY, ROLE_X255, {D, D, D, D}},
    /* from naaste */
    {VN_ROLE_NAASTE, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_CASEMANAGER, {K, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_NAASTE, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_NAASTE, ROLE_X255, {D, D, D, D}},
    /* from medical lead */
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_CASEMANAGER, {K, K, K, K}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, ROLE_X255, {D, D, D, D}},
    /* from admin */
    {VN_ROLE_ADMIN, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_ADMIN, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_ADMIN, ROLE_X255, {D, D, D, D}},
    /* from NONE: an account without a role */
    {VN_ROLE_NONE, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_NONE, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_NONE, ROLE_X255, {D, D, D, D}},
    /* from roles outside the enum */
    {ROLE_X10, VN_ROLE_NONE, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_BUDDY, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_NAASTE, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_ADMIN, {D, D, D, D}},
    {ROLE_X10, ROLE_X10, {D, D, D, D}},
    {ROLE_X10, ROLE_X255, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_NONE, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_BUDDY, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_NAASTE, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_ADMIN, {D, D, D, D}},
    {ROLE_X255, ROLE_X10, {D, D, D, D}},
    {ROLE_X255, ROLE_X255, {D, D, D, D}},
    /* first contact: intake staff and visitors reach each other and nobody else */
    {VN_ROLE_NONE, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_NONE, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_PARTICIPANT, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_CASEMANAGER, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_BUDDY, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_NAASTE, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_MEDICAL_LEAD, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_ADMIN, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_INTAKE, {D, D, D, D}},
    {VN_ROLE_INTAKE, VN_ROLE_VISITOR, {K, K, K, K}},
    {VN_ROLE_INTAKE, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_INTAKE, ROLE_X255, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_NONE, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_PARTICIPANT, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_CASEMANAGER, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_BUDDY, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_NAASTE, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_MEDICAL_LEAD, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_ADMIN, {D, D, D, D}},
    {VN_ROLE_VISITOR, VN_ROLE_INTAKE, {K, K, K, K}},
    {VN_ROLE_VISITOR, VN_ROLE_VISITOR, {D, D, D, D}},
    {VN_ROLE_VISITOR, ROLE_X10, {D, D, D, D}},
    {VN_ROLE_VISITOR, ROLE_X255, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_INTAKE, {D, D, D, D}},
    {ROLE_X10, VN_ROLE_VISITOR, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_INTAKE, {D, D, D, D}},
    {ROLE_X255, VN_ROLE_VISITOR, {D, D, D, D}},
};

#undef K
#undef D

static const vn_role all_roles[] = {VN_ROLE_NONE,
                                    VN_ROLE_PARTICIPANT,
                                    VN_ROLE_CASEMANAGER,
                                    VN_ROLE_BUDDY,
                                    VN_ROLE_NAASTE,
                                    VN_ROLE_MEDICAL_LEAD,
                                    VN_ROLE_ADMIN,
                                    VN_ROLE_INTAKE,
                                    VN_ROLE_VISITOR,
                                    ROLE_X10,
                                    ROLE_X255};

/* Distinct 16-byte ids: accounts, cases and casemanagers of two cases. */
enum { ID_FROM = 1, ID_TO, ID_CASE1, ID_CASE2, ID_CM1, ID_CM2, ID_CM_NONE, ID_CM_OTHER };

static void set_id(uint8_t out[VN_ACCOUNT_LEN], int id)
{
    memset(out, 0xa0, VN_ACCOUNT_LEN);
    out[VN_ACCOUNT_LEN - 1] = (uint8_t)id;
}

static int is_member_role(vn_role r)
{
    return r == VN_ROLE_PARTICIPANT || r == VN_ROLE_BUDDY || r == VN_ROLE_NAASTE;
}

/* One side of a pair in a situation. The sender's case is case 1 (managed
 * by CM1); the recipient's is case 1 too, except in OTHER, where it is case
 * 2 (CM2). A casemanager is the manager of that side's case, except when
 * both sides are casemanagers of the same case: the recipient is then a
 * colleague who manages nothing. In NOCASE nobody is a member and the
 * casemanagers manage no case of these two. */
static vn_party party(vn_role role, int is_to, enum situation s)
{
    vn_party p;
    memset(&p, 0, sizeof p);
    p.role = role;
    int case1 = !(is_to && s == OTHER);
    set_id(p.account, is_to ? ID_TO : ID_FROM);
    if (role == VN_ROLE_CASEMANAGER)
        set_id(p.account,
               s == NOCASE ? (is_to ? ID_CM_OTHER : ID_CM_NONE) : (case1 ? ID_CM1 : ID_CM2));
    if (is_member_role(role) && s != NOCASE) {
        p.in_case = true;
        p.case_open = s != CLOSED;
        set_id(p.case_id, case1 ? ID_CASE1 : ID_CASE2);
        set_id(p.case_cm, case1 ? ID_CM1 : ID_CM2);
    }
    return p;
}

static void test_matrix_covers_every_pair(void **state)
{
    /* Every ordered pair exactly once: the table is the whole matrix. */
    assert_int_equal(NELEM(matrix), NELEM(all_roles) * NELEM(all_roles));
    for (size_t i = 0; i < NELEM(all_roles); i++) {
        for (size_t j = 0; j < NELEM(all_roles); j++) {
            int seen = 0;
            for (size_t r = 0; r < NELEM(matrix); r++)
                seen += matrix[r].from == all_roles[i] && matrix[r].to == all_roles[j];
            assert_int_equal(seen, 1);
        }
    }
}

static void test_matrix(void **state)
{
    int failures = 0, allowed = 0;
    for (size_t r = 0; r < NELEM(matrix); r++) {
        for (int s = 0; s < NSITUATIONS; s++) {
            vn_party from = party(matrix[r].from, 0, (enum situation)s);
            vn_party to = party(matrix[r].to, 1, (enum situation)s);
            /* Two casemanagers of one case: the recipient manages nothing. */
            if (matrix[r].from == VN_ROLE_CASEMANAGER && matrix[r].to == VN_ROLE_CASEMANAGER)
                set_id(to.account, ID_CM_OTHER);
            const char *rule = NULL;
            vn_err got = vn_policy_message(&from, &to, &rule);
            if (got != matrix[r].want[s]) {
                print_error("%s -> %s, %s: got %s, want %s\n", vn_role_name(matrix[r].from),
                            vn_role_name(matrix[r].to), situation_name[s], vn_err_name(got),
                            vn_err_name(matrix[r].want[s]));
                failures++;
            }
            allowed += got == VN_OK;
            /* The sentence always names the sender's rule, allowed or not. */
            assert_non_null(rule);
            assert_string_equal(rule, vn_policy_rule(matrix[r].from));
        }
    }
    assert_int_equal(failures, 0);
    /* 10 same-case pairs, casemanager <-> medical lead and intake <-> visitor
     * in all four. */
    assert_int_equal(allowed, 10 + 2 * 4 + 2 * 4);
}

/* A pair the matrix allows is refused when both sides are one account. */
static void test_self_is_denied(void **state)
{
    vn_party a = party(VN_ROLE_BUDDY, 0, SAME), b = party(VN_ROLE_BUDDY, 1, SAME);
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_OK);
    memcpy(b.account, a.account, VN_ACCOUNT_LEN);
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);

    vn_party cm = party(VN_ROLE_CASEMANAGER, 0, SAME), ml = party(VN_ROLE_MEDICAL_LEAD, 1, SAME);
    assert_int_equal(vn_policy_message(&cm, &ml, NULL), VN_OK);
    memcpy(ml.account, cm.account, VN_ACCOUNT_LEN);
    assert_int_equal(vn_policy_message(&cm, &ml, NULL), VN_EDENIED);
}

/* The relation, not the role, decides inside a case: a casemanager who is
 * not the case's own, or a member whose case is closed on one side only. */
static void test_relations(void **state)
{
    vn_party p = party(VN_ROLE_PARTICIPANT, 0, SAME), cm = party(VN_ROLE_CASEMANAGER, 1, SAME);
    assert_int_equal(vn_policy_message(&p, &cm, NULL), VN_OK);
    assert_int_equal(vn_policy_message(&cm, &p, NULL), VN_OK);
    /* The participant's case names another casemanager (after a reassignment). */
    set_id(p.case_cm, ID_CM2);
    assert_int_equal(vn_policy_message(&p, &cm, NULL), VN_EDENIED);
    assert_int_equal(vn_policy_message(&cm, &p, NULL), VN_EDENIED);

    /* Same case id, but one side sees it closed: refused both ways. */
    vn_party a = party(VN_ROLE_PARTICIPANT, 0, SAME), b = party(VN_ROLE_BUDDY, 1, SAME);
    b.case_open = false;
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);
    assert_int_equal(vn_policy_message(&b, &a, NULL), VN_EDENIED);
    b.case_open = true;
    a.case_open = false;
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);
    assert_int_equal(vn_policy_message(&b, &a, NULL), VN_EDENIED);

    /* A member flag without a case: equal (zero) case ids do not make a case. */
    a = party(VN_ROLE_PARTICIPANT, 0, NOCASE);
    b = party(VN_ROLE_BUDDY, 1, NOCASE);
    a.case_open = b.case_open = true;
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);
    a.in_case = true; /* only one side in it */
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);

    /* A naaste reaches the casemanager of a closed case no more. */
    vn_party n = party(VN_ROLE_NAASTE, 0, SAME);
    cm = party(VN_ROLE_CASEMANAGER, 1, SAME);
    assert_int_equal(vn_policy_message(&n, &cm, NULL), VN_OK);
    n.case_open = false;
    assert_int_equal(vn_policy_message(&n, &cm, NULL), VN_EDENIED);
}

static void test_rule_sentences(void **state)
{
    /* Each role with messaging has its own sentence naming the role. */
    static const struct {
        vn_role role;
        const char *starts;
    } named[] = {
        {VN_ROLE_PARTICIPANT, "a participant may message"},
        {VN_ROLE_CASEMANAGER, "a casemanager may message"},
        {VN_ROLE_BUDDY, "a buddy may message"},
        {VN_ROLE_NAASTE, "a naaste may message only"},
        {VN_ROLE_MEDICAL_LEAD, "a medical lead may message"},
        {VN_ROLE_ADMIN, "an admin has no message access"},
        {VN_ROLE_INTAKE, "intake staff may message"},
        {VN_ROLE_VISITOR, "an anonymous first contact may message only"},
    };
    for (size_t i = 0; i < NELEM(named); i++) {
        const char *r = vn_policy_rule(named[i].role);
        assert_non_null(r);
        assert_memory_equal(r, named[i].starts, strlen(named[i].starts));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(r, vn_policy_rule(named[j].role));
    }
    /* NONE and unknown roles share one sentence, distinct from the others. */
    const char *none = vn_policy_rule(VN_ROLE_NONE);
    assert_string_equal(none, "this account has no role that may send messages");
    assert_string_equal(vn_policy_rule(ROLE_X10), none);
    assert_string_equal(vn_policy_rule(ROLE_X255), none);
    assert_string_equal(vn_policy_rule((vn_role)-1), none);
    for (size_t i = 0; i < NELEM(named); i++)
        assert_string_not_equal(vn_policy_rule(named[i].role), none);

    /* A refusal fills *rule too, and NULL is accepted for it. */
    vn_party a = party(VN_ROLE_NAASTE, 0, NOCASE), b = party(VN_ROLE_BUDDY, 1, NOCASE);
    const char *rule = NULL;
    assert_int_equal(vn_policy_message(&a, &b, &rule), VN_EDENIED);
    assert_string_equal(rule, vn_policy_rule(VN_ROLE_NAASTE));
    assert_int_equal(vn_policy_message(&a, &b, NULL), VN_EDENIED);
}

static void test_in_team(void **state)
{
    static const struct {
        vn_role role;
        bool in_team;
    } want[] = {
        {VN_ROLE_NONE, false},    {VN_ROLE_PARTICIPANT, true}, {VN_ROLE_CASEMANAGER, true},
        {VN_ROLE_BUDDY, true},    {VN_ROLE_NAASTE, false},     {VN_ROLE_MEDICAL_LEAD, false},
        {VN_ROLE_ADMIN, false},   {ROLE_X10, false},           {VN_ROLE_INTAKE, false},
        {VN_ROLE_VISITOR, false}, {ROLE_X255, false},          {(vn_role)-1, false},
    };
    for (size_t i = 0; i < NELEM(want); i++) {
        if (vn_policy_in_team(want[i].role) != want[i].in_team)
            fail_msg("vn_policy_in_team(%d) should be %d", (int)want[i].role, want[i].in_team);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_covers_every_pair), cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_self_is_denied),           cmocka_unit_test(test_relations),
        cmocka_unit_test(test_rule_sentences),           cmocka_unit_test(test_in_team),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
