/* Unit tests of client-cli/text.c (compiled into this test directly; the
 * vangnet binary is not a library): peer text for a terminal never starts
 * a line of its own nor carries an escape sequence, and peer text in JSON
 * is always a valid JSON string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"

/* What vn_text_put (json false) or vn_text_json (json true) writes for s;
 * the caller frees it. */
static char *render(const char *s, const char *indent, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (json)
        vn_text_json(f, s);
    else
        vn_text_put(f, s, indent);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void expect_put(const char *in, const char *indent, const char *want)
{
    char *got = render(in, indent, 0);
    assert_string_equal(got, want);
    free(got);
}

static void expect_json(const char *in, const char *want)
{
    char *got = render(in, NULL, 1);
    assert_string_equal(got, want);
    free(got);
}

static void test_plain_text_unchanged(void **state)
{
    expect_put("hello, world", "  ", "hello, world");
    expect_put("tab\there", "  ", "tab\there");
    expect_put("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82", "  ",
               "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82");
    expect_put("back\\slash", "  ", "back\\slash");
    expect_put("", "  ", "");
    char *got = render(NULL, "  ", 0);
    assert_string_equal(got, "");
    free(got);
}

static void test_line_breaks_indented(void **state)
{
    expect_put("ok\n[notice] server: you are removed", "    ",
               "ok\n    [notice] server: you are removed");
    expect_put("a\n\nb\n", "> ", "a\n> \n> b\n> ");
    expect_put("a\nb", NULL, "a\nb");
}

static void test_controls_visible(void **state)
{
    expect_put("\x1b[2J\x1b[1;1Hgone", "  ", "\\e[2J\\e[1;1Hgone");
    expect_put("over\rwrite", "  ", "over\\rwrite");
    expect_put("bell\x07 bs\x08 del\x7f", "  ", "bell\\x07 bs\\x08 del\\x7f");
    /* C1 CSI (U+009B) and the bidi override U+202E, LS U+2028 */
    expect_put("\xc2\x9b"
               "31m",
               "  ", "\\u009b31m");
    expect_put("abc\xe2\x80\xae"
               "cba",
               "  ", "abc\\u202ecba");
    expect_put("one\xe2\x80\xa8two", "  ", "one\\u2028two");
}

static void test_invalid_utf8_replaced(void **state)
{
    const char *fffd = "\xef\xbf\xbd";
    char want[64];
    snprintf(want, sizeof want, "a%sb", fffd);
    expect_put("a\xff"
               "b",
               "  ", want);
    expect_put("a\xc0\xaf"
               "b",
               "  ",
               "a\xef\xbf\xbd\xef\xbf\xbd"
               "b"); /* overlong '/' */
    expect_put("a\xed\xa0\x80"
               "b",
               "  ",
               "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
               "b");                                                /* surrogate */
    expect_put("end\xe2\x82", "  ", "end\xef\xbf\xbd\xef\xbf\xbd"); /* cut short */
    /* An escape byte hidden in a broken sequence is still shown. */
    expect_put("\xc3\x1b[0m", "  ", "\xef\xbf\xbd\\e[0m");
}

static void test_json_escapes(void **state)
{
    expect_json("plain", "\"plain\"");
    expect_json("q\"b\\s/", "\"q\\\"b\\\\s/\"");
    expect_json("l1\nl2\r\t", "\"l1\\nl2\\r\\t\"");
    expect_json("\x1b[31m\x01\x7f", "\"\\u001b[31m\\u0001\\u007f\"");
    expect_json("x\xff"
                "y",
                "\"x\\ufffdy\"");
    expect_json("caf\xc3\xa9", "\"caf\xc3\xa9\"");
    expect_json("\xc2\x9b\xe2\x80\xa8", "\"\\u009b\\u2028\"");
    expect_json(NULL, "\"\"");
}

/* A field for a line of the client's own: one line, escaped, cut to fit. */
static void test_field_one_line(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(vn_text_field("crisis", buf, sizeof buf), "crisis");
    assert_string_equal(vn_text_field("a\nvangnet: b\x1b[2J", buf, sizeof buf),
                        "a\\nvangnet: b\\e[2J");
    assert_string_equal(vn_text_field(NULL, buf, sizeof buf), "");
    assert_string_equal(vn_text_field("0123456789abcdef0123456789abcdef0123", buf, 8), "0123456");
    assert_string_equal(vn_text_field("\x1b\x1b\x1b\x1b", buf, 6), "\\e\\e\\");
    assert_string_equal(vn_text_field("x", buf, 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged), cmocka_unit_test(test_line_breaks_indented),
        cmocka_unit_test(test_controls_visible),     cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_json_escapes),         cmocka_unit_test(test_field_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
