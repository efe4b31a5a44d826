/* Unit tests of client-cli/names.c (compiled into this test directly; the
 * vangnet binary is not a library): case handles are the shortest unique
 * prefix, a typed handle finds exactly one case or is refused (ambiguous,
 * unknown, malformed), display names are checked, and caseload lines fit
 * their columns by display width, UTF-8 included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "names.h"

static const char *const ids[] = {
    "abcdef0123456789abcdef0123456789",
    "abcdef9923456789abcdef0123456789", /* shares "abcdef" with the first */
    "abcdef99f3456789abcdef0123456789", /* shares "abcdef99" with the second */
    "0123456789abcdef0123456789abcdef",
};
#define NIDS (sizeof ids / sizeof ids[0])

static void test_unique_len(void **state)
{
    (void)state;
    /* Alone, or unique early: the minimum. */
    assert_int_equal(vn_names_unique_len(ids[3], ids, NIDS, 8), 8);
    assert_int_equal(vn_names_unique_len(ids[3], ids, NIDS, 6), 6);
    /* One past the longest prefix shared with another id. */
    assert_int_equal(vn_names_unique_len(ids[0], ids, NIDS, 6), 7);
    assert_int_equal(vn_names_unique_len(ids[1], ids, NIDS, 6), 9);
    assert_int_equal(vn_names_unique_len(ids[2], ids, NIDS, 8), 9);
    /* The id itself, or a copy of it, is no other id. */
    const char *twice[] = {ids[0], ids[0], ids[3]};
    assert_int_equal(vn_names_unique_len(ids[0], twice, 3, 8), 8);
    /* Never longer than the id. */
    assert_int_equal(vn_names_unique_len(ids[0], ids, NIDS, 40), 32);
}

static void test_match(void **state)
{
    size_t at = 99, count = 0;
    (void)state;
    assert_int_equal(vn_names_match("0123456", ids, NIDS, &at, &count), VN_OK);
    assert_int_equal(at, 3);
    assert_int_equal(count, 1);
    /* Any case; the whole id too. */
    assert_int_equal(vn_names_match("ABCDEF99F", ids, NIDS, &at, NULL), VN_OK);
    assert_int_equal(at, 2);
    assert_int_equal(vn_names_match(ids[1], ids, NIDS, &at, NULL), VN_OK);
    assert_int_equal(at, 1);
    /* Ambiguous: how many it starts. */
    assert_int_equal(vn_names_match("abcdef", ids, NIDS, &at, &count), VN_EEXISTS);
    assert_int_equal(count, 3);
    assert_int_equal(vn_names_match("abcdef99", ids, NIDS, &at, &count), VN_EEXISTS);
    assert_int_equal(count, 2);
    /* Unknown. */
    assert_int_equal(vn_names_match("fedcba", ids, NIDS, &at, &count), VN_ENOTFOUND);
    assert_int_equal(count, 0);
    assert_int_equal(vn_names_match("abcdef", NULL, 0, &at, &count), VN_ENOTFOUND);
    /* Not a handle: too short, too long, not hex, empty. */
    assert_int_equal(vn_names_match("abcde", ids, NIDS, &at, NULL), VN_EINVAL);
    assert_int_equal(vn_names_match("abcdef0123456789abcdef01234567890", ids, NIDS, &at, NULL),
                     VN_EINVAL);
    assert_int_equal(vn_names_match("abcdeg", ids, NIDS, &at, NULL), VN_EINVAL);
    assert_int_equal(vn_names_match("", ids, NIDS, &at, NULL), VN_EINVAL);
    assert_int_equal(vn_names_match(NULL, ids, NIDS, &at, NULL), VN_EINVAL);
    /* The same case listed twice (here and by the server) is one. */
    const char *twice[] = {ids[3], ids[0], ids[3]};
    assert_int_equal(vn_names_match("012345", twice, 3, &at, &count), VN_OK);
    assert_int_equal(at, 0);
    assert_int_equal(count, 1);
}

static void test_display_ok(void **state)
{
    char why[80] = "";
    (void)state;
    assert_true(vn_names_display_ok("Anna de Vries", why, sizeof why));
    assert_true(vn_names_display_ok("Zo\xc3\xab \xe6\x9d\x8e", why, sizeof why));
    assert_true(vn_names_display_ok("abcdef0123456789abcdef012345678", why, sizeof why));
    char longest[65];
    memset(longest, 'a', 64);
    longest[64] = '\0';
    assert_true(vn_names_display_ok(longest, why, sizeof why));
    struct {
        const char *name, *why;
    } bad[] = {
        {"", "it is empty"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "it is longer than 64 bytes"},
        {"bad \xff byte", "it is not UTF-8 text"},
        {" Anna", "it starts or ends with a space"},
        {"Anna ", "it starts or ends with a space"},
        {"abcdef0123456789ABCDEF0123456789", "it reads as an account id"},
        {"evil\033[2J", "it holds a control character"},
        {"two\nlines", "it holds a control character"},
        {"c1 \xc2\x9b control", "it holds a control character"},
        {"del\x7f", "it holds a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_false(vn_names_display_ok(bad[i].name, why, sizeof why));
        assert_string_equal(why, bad[i].why);
    }
    assert_false(vn_names_display_ok(NULL, NULL, 0));
}

static void test_fit(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(vn_names_cols("Anna"), 4);
    assert_int_equal(vn_names_cols("Zo\xc3\xab"), 3);
    assert_int_equal(vn_names_cols("\xe6\x9d\x8e\xf0\x9f\x98\x80"), 2);
    assert_int_equal(vn_names_cols(""), 0);
    assert_string_equal(vn_names_fit("Anna", 4, out, sizeof out), "Anna");
    assert_string_equal(vn_names_fit("Anna", 10, out, sizeof out), "Anna");
    assert_string_equal(vn_names_fit("Annabel", 4, out, sizeof out), "Ann~");
    /* Whole characters only: "Zoë" is three columns, cut after the ë. */
    assert_string_equal(vn_names_fit("Zo\xc3\xab de Wit", 4, out, sizeof out), "Zo\xc3\xab~");
    assert_int_equal(vn_names_cols(vn_names_fit("Zo\xc3\xab de Wit", 4, out, sizeof out)), 4);
    /* A buffer too small cuts too, never mid-character. */
    assert_string_equal(vn_names_fit("Zo\xc3\xab de Wit", 10, out, 4), "Zo~");
    assert_string_equal(vn_names_fit(NULL, 5, out, sizeof out), "");
    /* A name's number stays when the name is cut. */
    assert_string_equal(vn_names_fit_name("Annabel Wilhelmina Johanna (2)", 18, out, sizeof out),
                        "Annabel Wilhe~ (2)");
    assert_int_equal(vn_names_cols(out), 18);
    assert_string_equal(vn_names_fit_name("Anna de Vries (2)", 18, out, sizeof out),
                        "Anna de Vries (2)");
    /* Not a number: cut like anything else. */
    assert_string_equal(vn_names_fit_name("Annabel Wilhelmina (the first)", 18, out, sizeof out),
                        "Annabel Wilhelmin~");
    assert_string_equal(vn_names_fit_name("(2)", 2, out, sizeof out), "(~");
}

static void test_short(void **state)
{
    char out[16];
    (void)state;
    assert_string_equal(vn_names_short_date("2026-12-07", "2026-12-05", out, sizeof out), "12-07");
    assert_string_equal(vn_names_short_date("2027-01-02", "2026-12-05", out, sizeof out),
                        "2027-01-02");
    assert_string_equal(vn_names_short_date("soon", "2026-12-05", out, sizeof out), "soon");
    assert_string_equal(vn_names_short_kind("casemanager-contact"), "cm contact");
    assert_string_equal(vn_names_short_kind("buddy-contact"), "buddy contact");
    assert_string_equal(vn_names_short_kind("checkin"), "checkin");
}

/* The display column where the state starts in a caseload line. */
static size_t state_col(const char *line, const char *state)
{
    const char *at = strstr(line, state);
    assert_non_null(at);
    char head[256];
    memcpy(head, line, (size_t)(at - line));
    head[at - line] = '\0';
    return vn_names_cols(head);
}

static void test_load_line(void **state)
{
    char line[1024];
    (void)state;
    vn_names_row r = {.handle = "899734d9",
                      .who = "Anna de Vries",
                      .state = "active",
                      .next_kind = "buddy-contact",
                      .next_date = "2026-12-12",
                      .alert = "urgent:sos:open:cc48a7c7e14f942724b9ee3300db98b7",
                      .nalerts = 3,
                      .over_kind = "checkin",
                      .over_date = "2026-12-05",
                      .nover = 2};
    vn_names_load_line(&r, "2026-12-05", 100, line, sizeof line);
    assert_string_equal(line, "  899734d9  Anna de Vries       active  buddy contact 12-12  URGENT "
                              "sos +2, overdue checkin 12-05 +1");
    assert_true(vn_names_cols(line) <= 100);
    /* At 80 columns the tail is cut, marked. */
    vn_names_load_line(&r, "2026-12-05", 80, line, sizeof line);
    assert_int_equal(vn_names_cols(line), 80);
    assert_int_equal(line[strlen(line) - 1], '~');
    /* Nothing due, nothing wrong: no trailing blanks. */
    vn_names_row quiet = {.handle = "3e84fb0f", .who = "-", .state = "intake"};
    vn_names_load_line(&quiet, "2026-12-05", 100, line, sizeof line);
    assert_string_equal(line, "  3e84fb0f  -                   intake  -");
    /* The worst of everything still fits; columns line up by display
     * width with a name of multi-byte characters. */
    vn_names_row worst = {.handle = "abcdef0123456789",
                          .who = "\xe6\x9d\x8e\xe6\x9d\x8e\xe6\x9d\x8e Zo\xc3\xab van den "
                                 "Berg-Oosterhuis-Wilhelmina",
                          .state = "suspended-for-review",
                          .next_kind = "casemanager-contact",
                          .next_date = "2027-01-01",
                          .alert = "crisis:signal:open:x",
                          .nalerts = 4000000000u,
                          .over_kind = "casemanager-contact",
                          .over_date = "2025-01-01",
                          .nover = 4000000000u};
    vn_names_load_line(&worst, "2026-12-05", 100, line, sizeof line);
    assert_true(vn_names_cols(line) <= 100);
    vn_names_row ascii = worst;
    ascii.handle = "abcdef01";
    ascii.who = "Zoe";
    ascii.state = "active";
    vn_names_row utf8 = ascii;
    utf8.who = "Zo\xc3\xab";
    char l2[1024];
    vn_names_load_line(&ascii, "2026-12-05", 100, line, sizeof line);
    vn_names_load_line(&utf8, "2026-12-05", 100, l2, sizeof l2);
    assert_int_equal(state_col(line, "active"), state_col(l2, "active"));
    assert_int_equal(vn_names_cols(line), vn_names_cols(l2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_len), cmocka_unit_test(test_match),
        cmocka_unit_test(test_display_ok), cmocka_unit_test(test_fit),
        cmocka_unit_test(test_short),      cmocka_unit_test(test_load_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
