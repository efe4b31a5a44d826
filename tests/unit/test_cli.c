/* Unit tests of the command line's first reading (client-cli/cli.c, built
 * from its source): the thin vangnet and the whole client must find the
 * same profile, command and words in the same line, so every way global
 * options can be written is read here, and every wrong one is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

#define MAXW 16

/* Splits the NULL-terminated words (the program's name first) into l. */
static bool split(vn_cli *l, char **rest, const char *const *words)
{
    static char *argv[MAXW];
    int argc = 0;
    while (words[argc] && argc < MAXW - 1) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    argv[argc] = NULL;
    memset(l, 0, sizeof *l);
    l->rest = rest;
    return vn_cli_split(l, argc, argv);
}

static void globals_before_and_after(void **state)
{
    (void)state;
    char *rest[MAXW];
    vn_cli l;
    const char *w[] = {"vangnet", "--profile", "/p",        "send", "bob",
                       "--json",  "hi",        "--timeout", "5",    NULL};
    assert_true(split(&l, rest, w));
    assert_string_equal(l.profile, "/p");
    assert_string_equal(l.timeout, "5");
    assert_true(l.json);
    assert_string_equal(l.name, "send");
    assert_int_equal(l.nrest, 2);
    assert_string_equal(l.rest[0], "bob");
    assert_string_equal(l.rest[1], "hi");
    assert_int_equal(l.help, VN_CLI_NONE);
}

static void dashdash_ends_globals(void **state)
{
    (void)state;
    char *rest[MAXW];
    vn_cli l;
    const char *w[] = {"vangnet", "send", "bob", "--", "--profile", "-h", NULL};
    assert_true(split(&l, rest, w));
    assert_null(l.profile);
    assert_int_equal(l.help, VN_CLI_NONE);
    assert_int_equal(l.nrest, 4);
    assert_string_equal(l.rest[1], "--");
    assert_string_equal(l.rest[2], "--profile");
}

static void help_and_version_where(void **state)
{
    (void)state;
    char *rest[MAXW];
    vn_cli l;
    const char *a[] = {"vangnet", "-h", NULL};
    assert_true(split(&l, rest, a));
    assert_int_equal(l.help, VN_CLI_BEFORE);
    assert_null(l.name);
    const char *b[] = {"vangnet", "case", "show", "--help", "--version", NULL};
    assert_true(split(&l, rest, b));
    assert_int_equal(l.help, VN_CLI_AFTER);
    assert_int_equal(l.version, VN_CLI_AFTER);
    assert_string_equal(l.name, "case");
    assert_int_equal(l.nrest, 1);
}

static void wrong_options_are_named(void **state)
{
    (void)state;
    char *rest[MAXW];
    vn_cli l;
    const char *a[] = {"vangnet", "--bogus", "whoami", NULL};
    assert_false(split(&l, rest, a));
    assert_string_equal(l.bad, "--bogus");
    assert_int_equal(l.bad_at, VN_CLI_BEFORE);
    assert_false(l.bad_value);
    const char *b[] = {"vangnet", "whoami", "--profile", NULL};
    assert_false(split(&l, rest, b));
    assert_string_equal(l.bad, "--profile");
    assert_int_equal(l.bad_at, VN_CLI_AFTER);
    assert_true(l.bad_value);
    /* After the command, an unknown option is the command's own. */
    const char *c[] = {"vangnet", "send", "--case", "x", NULL};
    assert_true(split(&l, rest, c));
    assert_int_equal(l.nrest, 2);
}

static void empty_line(void **state)
{
    (void)state;
    char *rest[MAXW];
    vn_cli l;
    const char *a[] = {"vangnet", NULL};
    assert_true(split(&l, rest, a));
    assert_null(l.name);
    assert_int_equal(l.nrest, 0);
    assert_non_null(vn_opt_find(vn_global_opts, "--json"));
    assert_null(vn_opt_find(vn_global_opts, "--jsonx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(globals_before_and_after), cmocka_unit_test(dashdash_ends_globals),
        cmocka_unit_test(help_and_version_where), cmocka_unit_test(wrong_options_are_named),
        cmocka_unit_test(empty_line)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
