/* Unit tests of client-cli/announce.c (compiled into this test directly):
 * each announcement kind is one full line naming the case and whom it is
 * about, a local name replaces an id where the caller has one, fields from
 * the server can never carry a control character into the line, and other
 * notices are left to the caller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "announce.h"

#define CASE_ID "0123456789abcdef0123456789abcdef"
#define BUDDY   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NEW_CM  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OLD_CM  "cccccccccccccccccccccccccccccccc"

static Vn__Notice notice(const char *kind, const char *account, const char *role)
{
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)kind;
    n.case_id = CASE_ID;
    n.account = (char *)account;
    n.role = (char *)role;
    return n;
}

static void expect_line(const Vn__Notice *n, const char *want)
{
    char text[512];
    assert_true(vn_announce_text(n, text, sizeof text));
    assert_string_equal(text, want);
}

static void test_kinds(void **state)
{
    (void)state;
    Vn__Notice n = notice("member-removed", BUDDY, "buddy");
    expect_line(&n,
                "member-removed: the casemanager removed the buddy " BUDDY " from case " CASE_ID);
    n = notice("removed-from-case", BUDDY, "buddy");
    expect_line(&n, "removed-from-case: your casemanager removed you (buddy) from case " CASE_ID
                    "; you no longer send or receive its messages");
    n = notice("member-left", "", "participant");
    expect_line(&n, "member-left: the participant of case " CASE_ID
                    " deleted their account and left; their casemanager decides what follows");
    n = notice("member-left", "", "naaste");
    expect_line(&n, "member-left: a naaste of case " CASE_ID
                    " deleted their account and left (case show lists who is left)");
    n = notice("casemanager-changed", NEW_CM, "casemanager");
    n.previous = OLD_CM;
    expect_line(&n, "casemanager-changed: case " CASE_ID " is now managed by " NEW_CM
                    " (before: " OLD_CM ")");
    n = notice("case-closed", NEW_CM, "casemanager");
    n.reopen_until = "2029-01-31";
    expect_line(&n, "case-closed: case " CASE_ID " was closed by its casemanager; they can "
                    "reopen it until 2029-01-31 (vangnet case reopen CASE), after that its data "
                    "is purged");
    n = notice("case-reopened", NEW_CM, "casemanager");
    expect_line(&n, "case-reopened: case " CASE_ID " was reopened by its casemanager " NEW_CM);
}

static const char *label(void *ud, const char *account, char *out, size_t size)
{
    (void)ud;
    if (strcmp(account, NEW_CM) != 0) return NULL;
    snprintf(out, size, "%s", "Jansen");
    return out;
}

static void test_labels(void **state)
{
    (void)state;
    char text[512];
    Vn__Notice n = notice("casemanager-changed", NEW_CM, "casemanager");
    n.previous = OLD_CM;
    assert_true(vn_announce_text_labelled(&n, label, NULL, text, sizeof text));
    assert_non_null(strstr(text, "now managed by Jansen (before: " OLD_CM ")"));
}

static void test_hostile_fields(void **state)
{
    (void)state;
    char text[512];
    Vn__Notice n = notice("member-removed", "\x1b[2J\nfake line", "buddy\r");
    assert_true(vn_announce_text(&n, text, sizeof text));
    for (const char *p = text; *p; p++)
        assert_true((unsigned char)*p >= 0x20);
    n = notice("member-removed", NULL, NULL);
    n.case_id = NULL;
    assert_true(vn_announce_text(&n, text, sizeof text));
    assert_non_null(strstr(text, "an unknown account"));
}

static void test_other_kinds(void **state)
{
    (void)state;
    char text[64] = "untouched";
    Vn__Notice n = notice("reminder", NULL, NULL);
    assert_false(vn_announce_text(&n, text, sizeof text));
    assert_string_equal(text, "untouched");
    n.kind = NULL;
    assert_false(vn_announce_text(&n, text, sizeof text));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_hostile_fields),
        cmocka_unit_test(test_other_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
